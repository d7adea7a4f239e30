"""Figures of the study, in one consistent, colour-blind-safe style.

One module per subject (classifiers, faces, stimuli, statistics, power); each is imported on
its own so that a figure script loads only what it draws (the statistics figures need no torch).
"""

from varemotion.figures.style import PALETTE, new_figure, save_figure

__all__ = ["PALETTE", "new_figure", "save_figure"]
