"""varemotion: human perceptual variability on facial expressions, studied with faces
synthesised on the decision boundaries of neural networks."""

__version__ = "0.1.0"
