"""Morph continua drawn by the renderer: action units interpolated from neutral to each emotion's prototype.

For each of ``n_identities`` identities (drawn from ``seed``), the face at level 0 (no action
unit: neutral) and, for every emotion with a non-empty prototype, the faces whose action units
are the given share of the prototype's (e.g. 25, 50, 75 and 100 %). The level-0 face starts every
continuum of its identity, so it is drawn once. Each face has its own pixel noise.

:func:`write_morph_set` writes the faces as a folder of PNGs with a stimulus table
(:mod:`varemotion.external.table`): stimulus_id, file, seed (the identity's number: the faces of
one identity are not independent), identity, from, to and intensity (the level, in percent).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from varemotion.atomic import write_csv
from varemotion.faces.action_units import PROTOTYPES, prototype_matrix
from varemotion.faces.identity import sample_identity
from varemotion.faces.render import render
from varemotion.stimuli import write_png_folder

TABLE_COLUMNS = ["stimulus_id", "file", "seed", "identity", "from", "to", "intensity"]
START = "neutral"


@dataclass
class MorphSet:
    """The faces (uint8, N × S × S) and their stimulus table (:data:`TABLE_COLUMNS`)."""

    images: np.ndarray
    table: pd.DataFrame


def morph_rows(emotions: Sequence[str], n_identities: int, levels: Sequence[float]) -> pd.DataFrame:
    """One row per face: identity number, target emotion and level (percent); level 0 once per identity."""
    targets = [e for e in emotions if PROTOTYPES.get(e)]
    if not targets:
        raise ValueError(f"none of the emotions {list(emotions)} has an action-unit prototype to morph towards")
    levels = sorted({float(v) for v in levels})
    if not levels or levels[0] < 0 or levels[-1] > 100:
        raise ValueError(f"levels must be percentages from 0 to 100, got {levels}")
    rows = []
    for identity in range(n_identities):
        if levels[0] == 0:
            rows.append((identity, START, 0.0))
        rows += [(identity, target, level) for target in targets for level in levels if level > 0]
    return pd.DataFrame(rows, columns=["identity_number", "to", "intensity"])


def render_morphs(emotions: Sequence[str], n_identities: int, levels: Sequence[float], image_size: int,
                  seed: int) -> MorphSet:
    """Draw every face of :func:`morph_rows` (same arguments, same bytes)."""
    if n_identities < 1:
        raise ValueError(f"n_identities must be at least 1, got {n_identities}")
    rows = morph_rows(emotions, n_identities, levels)
    generator = torch.Generator().manual_seed(int(seed))
    identities = sample_identity(n_identities, generator)
    targets = sorted(set(rows["to"]) - {START})
    prototypes = dict(zip(targets, prototype_matrix(targets)))
    au = torch.stack([prototypes[t] * (level / 100) if t != START else torch.zeros_like(prototypes[targets[0]])
                      for t, level in zip(rows["to"], rows["intensity"])])
    with torch.no_grad():
        faces = render(au, identities[torch.as_tensor(rows["identity_number"].to_numpy().copy())], size=image_size,
                       generator=generator)
    images = (faces[:, 0] * 255 + 0.5).to(torch.uint8).numpy()
    width = len(str(n_identities))
    ids = [f"morph-{n + 1:0{width}d}-{t}-{int(round(v)):03d}" for n, t, v in rows.itertuples(index=False)]
    table = pd.DataFrame({
        "stimulus_id": ids, "file": [f"{i}.png" for i in ids], "seed": rows["identity_number"],
        "identity": [f"id{n + 1:0{width}d}" for n in rows["identity_number"]], "from": START, "to": rows["to"],
        "intensity": rows["intensity"],
    })
    return MorphSet(images, table[TABLE_COLUMNS])


def write_morph_set(morphs: MorphSet, folder, table_path) -> None:
    """Write the PNGs into ``folder`` (built aside, moved into place whole) and the table beside it."""
    write = lambda: write_csv(table_path, morphs.table, float_format="%g")
    write_png_folder(morphs.table["stimulus_id"], morphs.images, folder, before_move=write)
