"""Human attention from click-to-reveal trials: reading clicks, reveal-density maps, simulation, comparison.

In the task of Park & Wallraven (2021) a face is hidden behind a mask; each click uncovers a disc
around the clicked point and, after the clicks, the participant names the emotion. One trial is
one subject seeing one stimulus. A pixel (row, col) is revealed in a trial when it lies within the
radius r of any of the trial's clicks (x, y), pixel centres at integer coordinates:

    (col − x)² + (row − y)² ≤ r²

The reveal density of an image is the share of its trials that revealed each pixel (each trial
counts once per pixel, however many of its discs cover it); the attention map is that density
min–max normalised to [0, 1] (all zeros for an image without trials or with a constant density).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from varemotion.behavior.labels import parse_responses
from varemotion.behavior.simulation import SUBJECT_PREFIX
from varemotion.behavior.textfiles import read_table, require_columns, resolve_column_map
from varemotion.behavior.trials import (
    check_emotions,
    check_known_stimuli,
    check_stimulus_ids,
    error_at,
    first_row,
    position,
    raise_first,
    required_text,
    text_values,
)
from varemotion.xai.metrics import min_max

CLICK_COLUMNS = ("subject_id", "stimulus_id", "click", "x", "y", "radius", "response")
CLICKS_EXPECTED = ("a CSV or TSV table with a header line and one click per line: columns subject_id, stimulus_id,"
                   " click, x, y, radius, response")
TRIAL_KEY = ["subject_id", "stimulus_id"]


def check_shape(shape) -> tuple[int, int]:
    """(H, W) as two positive ints (ValueError otherwise)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (height, width) with both ≥ 1, got {shape}")
    return shape


def _numbers(table: pd.DataFrame, column: str, expected: str) -> tuple[np.ndarray, pd.Series]:
    """The column as finite floats, and its text; DataError at the first blank, non-number or infinity."""
    text = required_text(table, column, expected)
    numbers = pd.to_numeric(text, errors="coerce").astype(float).to_numpy()
    raise_first(table, np.isnan(numbers), "is not a number", column=column, values=text, expected=expected)
    raise_first(table, np.isinf(numbers), "is not a finite number", column=column, values=text, expected=expected)
    return numbers, text


def _coordinate(table: pd.DataFrame, column: str, size: int, axis: str) -> np.ndarray:
    expected = f"a pixel {axis} from 0 to {size - 1} of the shown image (pixel centres at whole numbers)"
    numbers, text = _numbers(table, column, expected)
    raise_first(table, (numbers < 0) | (numbers > size - 1), "is outside the image",
                column=column, values=text, expected=expected)
    return numbers


def _click_orders(table: pd.DataFrame, column: str, trial: pd.DataFrame) -> np.ndarray:
    expected = "the click's place in its trial: a whole number 1, 2, … with no repeats within a trial"
    numbers, text = _numbers(table, column, expected)
    raise_first(table, numbers % 1 != 0, "is not a whole number", column=column, values=text, expected=expected)
    raise_first(table, numbers < 1, "is below 1 (click numbers start at 1)",
                column=column, values=text, expected=expected)
    keyed = trial.assign(click=numbers)
    later = first_row(keyed.duplicated(keep="first"))
    if later is not None:
        earlier = first_row((keyed == keyed.iloc[later]).all(axis=1))
        raise error_at(table, later, f"repeats the click number of {position(table, earlier)} in the trial of"
                                     f" subject {trial['subject_id'].iat[later]!r} and stimulus"
                                     f" {trial['stimulus_id'].iat[later]!r}",
                       column=column, value=text.iat[later], expected=expected)
    return numbers.astype(np.int64)


def _responses(table: pd.DataFrame, column: str, emotions, trial: pd.DataFrame) -> pd.Series:
    """Emotion names, one per trial: DataError at a row whose response differs from its trial's first row."""
    expected = "the emotion answered in the trial, repeated on each of its clicks"
    responses = parse_responses(table, column, emotions)
    text = text_values(table[column])
    raise_first(table, responses == "", "is blank", column=column, values=text, expected=expected)
    key = trial["subject_id"] + "\x1f" + trial["stimulus_id"]
    first = responses.groupby(key, sort=False).transform("first")
    later = first_row(responses != first)
    if later is not None:
        earlier = first_row(key == key.iat[later])
        raise error_at(table, later, f"differs from the response {first.iat[later]!r} at {position(table, earlier)}"
                                     f" in the same trial (subject {trial['subject_id'].iat[later]!r}, stimulus"
                                     f" {trial['stimulus_id'].iat[later]!r})",
                       column=column, value=text.iat[later], expected=expected)
    return responses


def read_clicks(path: str | os.PathLike[str], stimulus_ids, emotions, shape, column_map: dict | None = None
                ) -> pd.DataFrame:
    """Read a click table (CSV/TSV, one click per line) into the CLICK_COLUMNS layout, checking every value.

    subject_id and stimulus_id (an id of ``stimulus_ids``) name the trial; click is the 1-based
    order within the trial; x, y the click in pixels of the (H, W) = ``shape`` image (x right,
    y down, within [0, W − 1] and [0, H − 1]); radius the revealed disc's radius in pixels (> 0);
    response the emotion answered (a name in any case, or a 0-based index into ``emotions``), the
    same on every row of a trial. ``column_map`` maps canonical names to the file's column names.
    Raises DataError naming the file, line, column and value of the first problem; the file is
    only read.
    """
    emotions, known = check_emotions(emotions), check_stimulus_ids(stimulus_ids)
    height, width = check_shape(shape)
    names = resolve_column_map(column_map, {c: c for c in CLICK_COLUMNS})
    table = read_table(path, CLICKS_EXPECTED)
    require_columns(table, path, list(CLICK_COLUMNS), names)
    trial = pd.DataFrame({
        "subject_id": required_text(table, names["subject_id"], "the id of the subject who clicked, on every row"),
        "stimulus_id": required_text(table, names["stimulus_id"], "the id of the shown stimulus, on every row"),
    })
    check_known_stimuli(table, trial["stimulus_id"], known, names["stimulus_id"])
    x = _coordinate(table, names["x"], width, "column (x)")
    y = _coordinate(table, names["y"], height, "row (y)")
    radius_expected = "the reveal radius in pixels, a number > 0"
    radius, radius_text = _numbers(table, names["radius"], radius_expected)
    raise_first(table, radius <= 0, "is not above 0",
                column=names["radius"], values=radius_text, expected=radius_expected)
    click = _click_orders(table, names["click"], trial)
    response = _responses(table, names["response"], emotions, trial)
    clicks = trial.assign(click=click, x=x, y=y, radius=radius, response=response.to_numpy(dtype=object))
    return clicks[list(CLICK_COLUMNS)].reset_index(drop=True)


def reveal_mask(x, y, radius, shape) -> np.ndarray:
    """bool (H, W): the union of the discs (col − x)² + (row − y)² ≤ r² of the given clicks."""
    height, width = check_shape(shape)
    mask = np.zeros((height, width), dtype=bool)
    for cx, cy, r in zip(np.atleast_1d(x), np.atleast_1d(y), np.atleast_1d(radius)):
        top, bottom = max(int(np.ceil(cy - r)), 0), min(int(np.floor(cy + r)), height - 1)
        left, right = max(int(np.ceil(cx - r)), 0), min(int(np.floor(cx + r)), width - 1)
        if top > bottom or left > right:
            continue
        rows = np.arange(top, bottom + 1)[:, None]
        cols = np.arange(left, right + 1)[None, :]
        mask[top:bottom + 1, left:right + 1] |= (cols - cx) ** 2 + (rows - cy) ** 2 <= r * r
    return mask


def _stimulus_rows(clicks: pd.DataFrame, stimulus_ids) -> tuple[pd.Index, np.ndarray]:
    needed = ["subject_id", "stimulus_id", "x", "y", "radius"]
    missing = [c for c in needed if c not in clicks.columns]
    if missing:
        raise ValueError(f"clicks are missing columns {missing}; maps need {needed}")
    ids = pd.Index([str(s) for s in stimulus_ids])
    if not ids.is_unique:
        raise ValueError("stimulus_ids contain duplicates")
    rows = ids.get_indexer(clicks["stimulus_id"].astype(str))
    if (rows < 0).any():
        unknown = pd.unique(clicks["stimulus_id"].astype(str)[rows < 0])
        raise ValueError(f"clicks name {len(unknown)} stimuli not in stimulus_ids, e.g. {list(unknown[:3])}")
    return ids, rows


def trials_per_image(clicks: pd.DataFrame, stimulus_ids) -> np.ndarray:
    """int (S,): the number of trials (distinct subjects) with clicks on each stimulus; 0 marks an image without."""
    ids, _ = _stimulus_rows(clicks, stimulus_ids)
    trials = clicks[TRIAL_KEY].astype(str).drop_duplicates()
    return trials["stimulus_id"].value_counts().reindex(ids, fill_value=0).to_numpy(dtype=np.int64)


def reveal_density(clicks: pd.DataFrame, stimulus_ids, shape) -> np.ndarray:
    """float (S, H, W): per stimulus, the share of its trials whose clicks revealed each pixel (0 without trials)."""
    ids, rows = _stimulus_rows(clicks, stimulus_ids)
    height, width = check_shape(shape)
    table = clicks.reset_index(drop=True)
    x, y, r = (table[c].to_numpy(dtype=float) for c in ("x", "y", "radius"))
    density = np.zeros((len(ids), height, width))
    for positions in table[TRIAL_KEY].astype(str).groupby(TRIAL_KEY, sort=False).indices.values():
        density[rows[positions[0]]] += reveal_mask(x[positions], y[positions], r[positions], (height, width))
    counts = trials_per_image(table, ids)
    density[counts > 0] /= counts[counts > 0, None, None]
    return density


def attention_maps(clicks: pd.DataFrame, stimulus_ids, shape) -> np.ndarray:
    """float32 (S, H, W): the reveal density of each stimulus min–max normalised to [0, 1].

    An image without trials gets all zeros; :func:`trials_per_image` tells which those are.
    """
    return min_max(reveal_density(clicks, stimulus_ids, shape)).astype(np.float32)


def _check_simulation(region_masks, face_masks, stimulus_ids, labels, emotions, numbers: dict) -> None:
    if region_masks.ndim != 3 or region_masks.shape != face_masks.shape:
        raise ValueError(f"region_masks {region_masks.shape} and face_masks {face_masks.shape} must both be (S, H, W)")
    if len(stimulus_ids) != len(region_masks) or labels.shape != (len(region_masks),):
        raise ValueError(f"need one stimulus id and one label per mask: {len(region_masks)} masks,"
                         f" {len(stimulus_ids)} ids, labels of shape {labels.shape}")
    if ((labels < 0) | (labels >= len(emotions))).any():
        raise ValueError(f"labels must be emotion indices 0 to {len(emotions) - 1}")
    empty = np.flatnonzero(~face_masks.any(axis=(1, 2)))
    if empty.size:
        raise ValueError(f"face_masks of {stimulus_ids[empty[0]]!r} is empty (expected the face's pixels)")
    bad = [name for name, ok in numbers.items() if not ok]
    if bad:
        raise ValueError(f"simulate_clicks: out of range: {', '.join(bad)} (see the docstring)")


def _individual_relevance(relevance: float, concentration: float, n: int, rng) -> np.ndarray:
    if relevance in (0.0, 1.0):
        return np.full(n, relevance)
    return rng.beta(relevance * concentration, (1.0 - relevance) * concentration, n)


def simulate_clicks(region_masks, face_masks, stimulus_ids, labels, emotions, n_subjects: int, n_clicks: int,
                    radius: float, relevance: float, noise_sd: float, seed: int,
                    relevance_concentration: float = 10.0, ceiling: float = 0.95) -> pd.DataFrame:
    """Simulated click-to-reveal trials in the CLICK_COLUMNS layout: every subject sees every image once.

    Subject s (ids 'sim001', … as in :func:`~varemotion.behavior.simulation.sample_observers`)
    has a relevance ρ_s ~ Beta(relevance · c, (1 − relevance) · c), c = ``relevance_concentration``
    (exactly ``relevance`` when it is 0 or 1). Each of a trial's ``n_clicks`` clicks falls, with
    probability ρ_s, on a pixel drawn uniformly from the image's relevant region R (its
    ``region_masks`` entry, or the face where that is empty, e.g. neutral) and otherwise on a
    pixel drawn uniformly from the face (``face_masks``); Gaussian jitter of sd ``noise_sd`` is
    added to x and y, and the point is clipped to the image. Each click reveals a disc of
    ``radius``. The response is the true emotion (``labels``, indices into ``emotions``) with
    probability 1/K + (``ceiling`` − 1/K) · v, v the share of R the trial revealed, and otherwise
    an emotion drawn uniformly from the K − 1 others. Deterministic given ``seed``.
    """
    regions, faces = np.asarray(region_masks, dtype=bool), np.asarray(face_masks, dtype=bool)
    emotions, labels = check_emotions(emotions), np.asarray(labels, dtype=np.int64)
    stimulus_ids = [str(s) for s in stimulus_ids]
    k = len(emotions)
    _check_simulation(regions, faces, stimulus_ids, labels, emotions, {
        "n_subjects": n_subjects >= 1, "n_clicks": n_clicks >= 1, "radius": radius > 0,
        "relevance": 0 <= relevance <= 1, "noise_sd": noise_sd >= 0, "relevance_concentration":
        relevance_concentration > 0, "ceiling": 1 / k <= ceiling <= 1})
    height, width = regions.shape[1:]
    rng = np.random.default_rng(seed)
    rho = _individual_relevance(float(relevance), relevance_concentration, n_subjects, rng)
    width_digits = max(3, len(str(n_subjects)))
    subjects = np.asarray([f"{SUBJECT_PREFIX}{s + 1:0{width_digits}d}" for s in range(n_subjects)], dtype=object)
    parts = []
    for i, stimulus in enumerate(stimulus_ids):
        relevant = regions[i] if regions[i].any() else faces[i]
        region_pixels, face_pixels = np.flatnonzero(relevant), np.flatnonzero(faces[i])
        on_region = rng.random((n_subjects, n_clicks)) < rho[:, None]
        pixel = np.where(on_region, region_pixels[rng.integers(0, len(region_pixels), on_region.shape)],
                         face_pixels[rng.integers(0, len(face_pixels), on_region.shape)])
        row, col = np.divmod(pixel, width)
        x = np.clip(col + rng.normal(0.0, noise_sd, pixel.shape), 0, width - 1)
        y = np.clip(row + rng.normal(0.0, noise_sd, pixel.shape), 0, height - 1)
        revealed = np.array([(reveal_mask(x[s], y[s], np.full(n_clicks, radius), (height, width)) & relevant).sum()
                             for s in range(n_subjects)]) / relevant.sum()
        correct = rng.random(n_subjects) < 1 / k + (ceiling - 1 / k) * revealed
        other = (labels[i] + rng.integers(1, max(k, 2), n_subjects)) % k
        answer = np.where(correct | (k == 1), labels[i], other)
        parts.append(pd.DataFrame({
            "subject_id": np.repeat(subjects, n_clicks), "stimulus_id": stimulus,
            "click": np.tile(np.arange(1, n_clicks + 1), n_subjects), "x": x.ravel(), "y": y.ravel(),
            "radius": float(radius), "response": np.repeat(np.asarray(emotions, dtype=object)[answer], n_clicks),
        }))
    # Zero-padded ids sort in subject order; the stable sort keeps images and clicks in order.
    clicks = pd.concat(parts, ignore_index=True).sort_values("subject_id", kind="stable")
    return clicks[list(CLICK_COLUMNS)].reset_index(drop=True)
