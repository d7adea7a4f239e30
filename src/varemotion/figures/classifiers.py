"""Figures of classifier performance."""

from __future__ import annotations

import numpy as np

from varemotion.figures.style import SEQUENTIAL_CMAP, new_figure


def confusion_matrix_figure(metrics: dict, title: str = ""):
    """Row-normalised confusion matrix (true emotion × predicted), with counts in the cells."""
    counts = np.asarray(metrics["confusion_matrix"])
    emotions = metrics["emotions"]
    rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 1.2 + 0.55 * len(emotions)
    fig, ax = new_figure(figsize=(size + 1.2, size))
    image = ax.imshow(rates, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(counts):
        colour = "black" if rates[i, j] > 0.6 else "white"
        ax.text(j, i, str(count), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(len(emotions)), emotions, rotation=45, ha="right")
    ax.set_yticks(range(len(emotions)), emotions)
    ax.set_xlabel("predicted emotion")
    ax.set_ylabel("true emotion")
    ax.set_title(f"{title} — test accuracy {metrics['accuracy']:.1%}, macro-F1 {metrics['macro_f1']:.2f}")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of true emotion")
    return fig
