"""The cross-data-set figure: each classifier's confusion matrix on another data set's test split."""

from __future__ import annotations

import numpy as np
import pandas as pd

from varemotion.figures.style import SEQUENTIAL_CMAP, new_figure, save_figure


def _flags(column: pd.Series) -> pd.Series:
    """A column of true/false written by pandas, as bools."""
    return column.astype(str).str.lower() == "true"


def cross_dataset_figure(metrics: pd.DataFrame, confusion: pd.DataFrame, emotions: pd.DataFrame):
    """One row-normalised confusion matrix per classifier over the shared emotions, and the unmatched emotions."""
    names = list(metrics["classifier"])
    shared = list(emotions.loc[_flags(emotions["scored"]), "emotion"])
    size = 1.0 + 0.5 * max(len(shared), 2)
    fig, axes = new_figure(1, len(names), figsize=(size * len(names) + 1.0, size + 0.9), squeeze=False)
    for column, (ax, (_, row)) in enumerate(zip(axes[0], metrics.iterrows())):
        cells = confusion[confusion["classifier"] == row["classifier"]]
        counts = cells.pivot(index="true", columns="predicted", values="count").reindex(index=shared, columns=shared)
        counts = counts.fillna(0).to_numpy(dtype=np.int64)
        rates = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        ax.imshow(rates, cmap=SEQUENTIAL_CMAP, vmin=0, vmax=1)
        for (i, j), count in np.ndenumerate(counts):
            ax.text(j, i, str(count), ha="center", va="center", fontsize=6, color="black" if rates[i, j] > 0.6 else "white")
        ax.set_xticks(range(len(shared)), shared, rotation=45, ha="right")
        ax.set_yticks(range(len(shared)), shared if column == 0 else [])
        ax.set_xlabel("classifier's answer")
        ax.set_title(f"{row['classifier']}: accuracy {row['accuracy']:.1%}, macro-F1 {row['macro_f1']:.2f}\n"
                     f"({int(row['n_images'])} images)", fontsize=8)
    axes[0, 0].set_ylabel("data set's label")
    only_classifier = list(emotions.loc[~_flags(emotions["in_dataset"]), "emotion"])
    only_dataset = list(emotions.loc[~_flags(emotions["in_classifier"]), "emotion"])
    fig.text(0.01, -0.02, f"not in the data set: {', '.join(only_classifier) or 'none'};  "
                          f"unknown to the classifiers: {', '.join(only_dataset) or 'none'}", fontsize=7)
    return fig


def run_cross_dataset_figure(metrics_path, confusion_path, emotions_path, png, pdf, dpi: int) -> None:
    """Draw the figure from the evaluation's three tables."""
    figure = cross_dataset_figure(pd.read_csv(metrics_path), pd.read_csv(confusion_path, keep_default_na=False),
                                  pd.read_csv(emotions_path, keep_default_na=False))
    save_figure(figure, png, pdf, dpi=dpi)
