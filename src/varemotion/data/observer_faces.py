"""Faces for the simulated observers' front-end, disjoint from the guides' training faces.

The front-end stands in for people's perception; if it learnt from the faces the guide
classifiers learnt from, people and guides would share decision boundaries by construction. On
the synthetic source the front-end has faces of its own, drawn with another seed. A real data set
has one set of faces: :func:`set_aside` keeps a stratified share of its training and validation
faces for the front-end, and the guides (and every other stage that learns from the training
split) use the rest. The test split stays whole.
"""

from __future__ import annotations

import numpy as np

from .splits import Split


def take(split: Split, rows: np.ndarray) -> Split:
    """The images ``rows`` of a split, with the per-image extras (those with one entry per image)."""
    rows = np.asarray(rows, dtype=np.int64)
    extras = {name: value[rows] if len(value) == split.n else value for name, value in split.extras.items()}
    return Split(images=split.images[rows], labels=split.labels[rows], ids=split.ids[rows], emotions=split.emotions,
                 soft_labels=None if split.soft_labels is None else split.soft_labels[rows], extras=extras)


def set_aside(split: Split, share: float, seed: int) -> tuple[Split, Split]:
    """(the rest, the faces set aside): round(share × n) faces of each label for the front-end, in file order."""
    if not 0.0 < float(share) < 1.0:
        raise ValueError(f"the share of faces for the front-end must be in (0, 1), got {share!r}")
    rng = np.random.default_rng(seed)
    chosen = np.zeros(split.n, dtype=bool)
    for label in np.unique(split.labels):
        members = np.flatnonzero(split.labels == label)
        chosen[rng.choice(members, size=int(round(share * len(members))), replace=False)] = True
    return take(split, np.flatnonzero(~chosen)), take(split, np.flatnonzero(chosen))
