"""Figures of the sampled stimuli: emotion-pair grids of guided samples and the prior's samples."""

from __future__ import annotations

import numpy as np

from varemotion.figures.style import PALETTE, bare_axis, new_figure
from varemotion.sampling.sets import SampleSet


def _grey(images: np.ndarray) -> np.ndarray:
    return images if images.ndim == 3 else images.mean(axis=-1).astype(np.uint8)


def pair_grid_figure(sample_set: SampleSet, keep: np.ndarray, scores: np.ndarray, title: str = "",
                     rejected_for_realism: np.ndarray | None = None, realism_labels=None):
    """One face per ordered emotion pair: row i, column j; kept images framed, rejected ones dashed.

    Each cell shows the pair's first kept image (lowest seed), or its first sample when none
    passed the filter, labelled with `scores[n] = (p_i, p_j)`: the guide's two target
    probabilities for uncertainty sets, A's p_i and B's p_j for controversial ones, and below
    them `realism_labels[n]` (the image's realism score) when given. A cell whose shown image passed
    the probability filter but not the realism filter (`rejected_for_realism`) is framed dotted.
    """
    emotions = list(sample_set.emotions)
    k = len(emotions)
    images = _grey(sample_set.images)
    if rejected_for_realism is None:
        rejected_for_realism = np.zeros(len(keep), dtype=bool)
    fig, axes = new_figure(k, k, figsize=(1.0 * k + 1.0, 1.2 * k + 0.6), squeeze=False)
    for r in range(k):
        for c in range(k):
            ax = axes[r, c]
            bare_axis(ax)
            members = np.flatnonzero((sample_set.i == r) & (sample_set.j == c))
            if len(members):
                kept = members[keep[members]]
                n = kept[0] if len(kept) else members[0]
                ax.imshow(images[n], cmap="gray", vmin=0, vmax=255)
                label = f"{scores[n, 0]:.2f} / {scores[n, 1]:.2f}"
                if realism_labels is not None:
                    label += f"\n{realism_labels[n]}"
                ax.set_xlabel(label, fontsize=6, labelpad=1)
                style = "-" if len(kept) else (":" if rejected_for_realism[n] else "--")
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_color(PALETTE[2] if len(kept) else PALETTE[3])
                    spine.set_linewidth(1.5)
                    spine.set_linestyle(style)
            if c == 0:
                ax.set_ylabel(emotions[r], rotation=0, ha="right", va="center")
            if r == 0:
                ax.set_title(emotions[c], fontsize=8)
    fig.suptitle(title)
    fig.subplots_adjust(wspace=0.08, hspace=0.5 if realism_labels is not None else 0.35)
    return fig


def realism_labels(scores) -> list[str]:
    """Short per-image realism labels for figures: the renderer residual and/or whether FaceMesh found a face."""
    labels = []
    for row in scores.itertuples():
        parts = []
        if row.residual == row.residual:  # not NaN
            parts.append(f"r {row.residual:.3f}")
        if str(row.facemesh_detected) in ("True", "False", "1.0", "0.0"):
            parts.append("face" if str(row.facemesh_detected) in ("True", "1.0") else "no face")
        labels.append(" · ".join(parts))
    return labels


def pair_scores(sample_set: SampleSet, probs: dict[str, np.ndarray]) -> np.ndarray:
    """(N, 2) target probabilities per image: (p_i, p_j) of the guide, or (A's p_i, B's p_j)."""
    rows = np.arange(len(sample_set))
    first, second = sample_set.guides[0], sample_set.guides[-1]
    return np.stack([probs[first][rows, sample_set.i], probs[second][rows, sample_set.j]], axis=1)


def samples_grid_figure(images: np.ndarray, columns: int = 10, title: str = ""):
    """A plain grid of samples (uint8), e.g. unguided draws from the prior."""
    images = _grey(images)
    rows = int(np.ceil(len(images) / columns))
    fig, axes = new_figure(rows, columns, figsize=(0.8 * columns, 0.8 * rows + 0.4), squeeze=False)
    for n, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if n < len(images):
            ax.imshow(images[n], cmap="gray", vmin=0, vmax=255)
    fig.suptitle(title)
    fig.subplots_adjust(wspace=0.04, hspace=0.04)
    return fig


def stimuli_vs_real_figure(rows: list[tuple[str, np.ndarray]], columns: int = 10, title: str = ""):
    """Rows of faces side by side: `rows` holds (label, uint8 images), e.g. real test faces, then each kind."""
    fig, axes = new_figure(len(rows), columns, figsize=(0.8 * columns + 1.6, 0.95 * len(rows) + 0.5), squeeze=False)
    for r, (label, images) in enumerate(rows):
        images = _grey(images)
        for c in range(columns):
            ax = axes[r, c]
            ax.set_axis_off()
            if c < len(images):
                ax.imshow(images[c], cmap="gray", vmin=0, vmax=255)
        axes[r, 0].text(-0.15, 0.5, label, transform=axes[r, 0].transAxes, ha="right", va="center", fontsize=7)
    fig.suptitle(title)
    fig.subplots_adjust(wspace=0.04, hspace=0.08)
    return fig
