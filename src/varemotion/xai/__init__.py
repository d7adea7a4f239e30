"""Where models look: saliency maps, face regions, global maps and human attention."""
