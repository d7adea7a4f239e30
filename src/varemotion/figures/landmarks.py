"""The landmark overlay: 68 points on example faces of each emotion, and on faces without a detection."""

from __future__ import annotations

import numpy as np
from matplotlib.lines import Line2D

from varemotion.data.splits import Split, load_split
from varemotion.figures.faces import face_grid
from varemotion.figures.style import PALETTE, save_figure
from varemotion.landmarks.accuracy import truth_points
from varemotion.xai.landmarks import LandmarkRows, read_landmark_rows

#: Point colours: detected, fallback (mean shape), the renderer's own (synthetic faces).
DETECTED, FALLBACK, TRUTH = PALETTE[5], PALETTE[1], PALETTE[2]


def _example_rows(split: Split, rows: LandmarkRows, columns: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """Random detected faces of each emotion, then a row of faces without a detection (if any)."""
    rng = np.random.default_rng(seed)
    picked, labels = [], []
    for k, emotion in enumerate(split.emotions):
        members = np.flatnonzero((split.labels == k) & rows.detected)
        total = int((split.labels == k).sum())
        if total:
            picked.append(np.sort(rng.choice(members, size=min(columns, len(members)), replace=False)))
            labels.append(f"{emotion}\n{len(members)}/{total}\ndetected")
    missed = np.flatnonzero(~rows.detected)
    if len(missed):
        picked.append(np.sort(rng.choice(missed, size=min(columns, len(missed)), replace=False)))
        labels.append(f"not detected\n({len(missed)})")
    return picked, labels


def landmarks_figure(split: Split, rows: LandmarkRows, columns: int = 8, seed: int = 0, truth: np.ndarray | None = None):
    """Faces with their 68 points: detected points in blue, fallback points in orange, and with `truth`
    (N, P, 2) the renderer's own points as green crosses."""
    images = split.images if split.images.ndim == 3 else split.images.mean(axis=-1).astype(np.uint8)
    picked, labels = _example_rows(split, rows, columns, seed)
    fig = face_grid([images[members] for members in picked], labels, cell=1.3)
    axes = np.asarray(fig.axes).reshape(len(picked), -1)
    for r, members in enumerate(picked):
        for c, i in enumerate(members):
            ax = axes[r, c]
            points = rows.points[i]
            if np.isfinite(points).all():
                ax.scatter(points[:, 0], points[:, 1], s=2.5, lw=0, c=DETECTED if rows.detected[i] else FALLBACK)
            if truth is not None:
                ax.scatter(truth[i, :, 0], truth[i, :, 1], s=6, marker="x", lw=0.5, c=TRUTH)
            ax.set_xlim(-0.5, images.shape[2] - 0.5)
            ax.set_ylim(images.shape[1] - 0.5, -0.5)
    handles = [Line2D([], [], ls="", marker="o", ms=3, color=DETECTED, label="detected (FaceMesh)"),
               Line2D([], [], ls="", marker="o", ms=3, color=FALLBACK, label="not detected: mean shape")]
    if truth is not None:
        handles.append(Line2D([], [], ls="", marker="x", ms=4, color=TRUTH, label="the renderer's landmarks"))
    fig.subplots_adjust(wspace=0.04, hspace=0.04, top=0.98, bottom=0.05)
    fig.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.045), ncol=len(handles), frameon=False,
               fontsize=7)
    return fig


def run_landmarks_figure(test_path, landmarks_path, png, pdf, columns: int, dpi: int) -> None:
    """The overlay figure of a test split and its landmarks table (with the renderer's points on synthetic faces)."""
    split = load_split(test_path)
    rows = read_landmark_rows(landmarks_path, split.ids)
    truth = None
    if {"identity", "au"} <= set(split.extras):
        truth = truth_points(split.extras["identity"], split.extras["au"], split.image_size[0])
    save_figure(landmarks_figure(split, rows, columns, truth=truth), png, pdf, dpi=dpi)
