"""Figures of the study, in one consistent, colour-blind-safe style."""

from varemotion.figures.classifiers import confusion_matrix_figure
from varemotion.figures.faces import dataset_grid_figure, face_grid, synthetic_faces_figure
from varemotion.figures.style import PALETTE, new_figure, save_figure

__all__ = [
    "PALETTE",
    "confusion_matrix_figure",
    "dataset_grid_figure",
    "face_grid",
    "new_figure",
    "save_figure",
    "synthetic_faces_figure",
]
