"""The realism stage from files to files: scores per image set, the threshold, and the report.

The first `n_real` real test faces are split in two halves: the first (`reference`) sets the
renderer threshold, the second (`heldout`) is what sample sets and kept stimuli are compared with, so that the real faces'
own pass rate and two-sample test are measured on faces that did not set the threshold.
"""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd

from varemotion.atomic import write_csv, write_json
from varemotion.data import DataError
from varemotion.data.splits import images_to_float
from varemotion.realism.scores import (
    RealismSettings,
    read_scores,
    read_threshold,
    realism_scores,
    realism_threshold,
    realistic,
    write_scores,
)
from varemotion.realism.two_sample import two_sample_test
from varemotion.sampling.sets import load_sample_set
from varemotion.stimuli import read_manifest, read_stimulus_images

log = logging.getLogger(__name__)

REPORT_COLUMNS = ["set", "kind", "n", "realistic_fraction", "residual_median", "facemesh_rate", "face_score_median",
                  "c2st_accuracy", "c2st_ci_low", "c2st_ci_high", "c2st_p", "c2st_n"]
#: Which half of the real test faces each part is.
REAL_PARTS = ("reference", "heldout")


def read_images(path) -> np.ndarray:
    """The uint8 `images` array of any of the workflow's image archives (splits, sample sets, stimuli)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            return archive["images"]
    except FileNotFoundError:
        raise DataError(path, "image archive does not exist") from None
    except (KeyError, ValueError, OSError, EOFError) as error:
        raise DataError(path, f"is not a readable image archive ({error})", expected="an .npz with an images array") from None


def real_part(images: np.ndarray, part: str, n_real: int) -> np.ndarray:
    """The first (reference) or second (heldout) half of the first `n_real` real test faces."""
    half = min(n_real, len(images)) // 2
    return images[:half] if part == "reference" else images[half : 2 * half]


def run_scores(images_path, out_path, settings: RealismSettings, part: str | None = None, n_real: int = 0) -> None:
    """Score every image of one archive (or one half of the first `n_real` real test faces) and write the table."""
    images = read_images(images_path)
    if part is not None:
        images = real_part(images, part, n_real)
    table = realism_scores(images, settings)
    write_scores(table, out_path)
    log.info("%d images scored: %s", len(table), json.dumps(_summary(table)))


def run_threshold(reference_path, out_path, settings: RealismSettings) -> dict:
    """Write the realism verdict's settings: the measure and, for the renderer, the residual threshold."""
    threshold = realism_threshold(read_scores(reference_path), settings)
    payload = {"measure": settings.measure, "reference_quantile": settings.reference_quantile,
               "max_residual": threshold}
    write_json(out_path, payload)
    log.info("realism: %s", json.dumps(payload))
    return payload


def _summary(table: pd.DataFrame) -> dict:
    detected = table["facemesh_detected"].dropna()
    return {"residual_median": float(table["residual"].median()) if table["residual"].notna().any() else None,
            "facemesh_rate": float(detected.astype(bool).mean()) if len(detected) else None}


def report_row(name: str, kind: str, images: np.ndarray, scores: pd.DataFrame, real: np.ndarray, measure: str,
               threshold: float | None, c2st: dict | None) -> dict:
    """One row of the realism report: pass rate and scores of a set of images, and its C2ST against `real`."""
    scores = _numeric(scores)
    passed = realistic(scores, measure, threshold) if measure != "none" else np.full(len(scores), np.nan)
    detected = scores["facemesh_detected"].dropna()
    row = {"set": name, "kind": kind, "n": len(images),
           "realistic_fraction": float(np.mean(passed)) if len(passed) else np.nan,
           "residual_median": scores["residual"].median(),
           "facemesh_rate": float(detected.astype(bool).mean()) if len(detected) else np.nan,
           "face_score_median": scores["face_score"].median()}
    if c2st is not None and len(images) >= c2st.get("folds", 5):
        result = two_sample_test(images_to_float(images), images_to_float(real), **c2st)
        row |= {"c2st_accuracy": result.accuracy, "c2st_ci_low": result.ci_low, "c2st_ci_high": result.ci_high,
                "c2st_p": result.p_value, "c2st_n": result.n_per_set}
    return row


def run_report(real: dict, unguided: dict, sample_sets: dict, stimuli: dict, threshold_path, out: dict,
               c2st: dict, n_real: int) -> pd.DataFrame:
    """The realism report (:data:`REPORT_COLUMNS`) and its summary, written to `out["report"]`, `out["summary"]`.

    `real` holds the test split (`images`) and the score tables of its two halves (`reference`,
    `heldout`); `unguided` the prior's own samples and their scores; `sample_sets` maps each set's
    name to its archive and scores; `stimuli` the stimulus set's images and manifest. `c2st` holds
    :func:`~varemotion.realism.two_sample.two_sample_test` options.
    """
    measure, threshold = read_threshold(threshold_path)
    test = read_images(real["images"])
    heldout, reference = real_part(test, "heldout", n_real), real_part(test, "reference", n_real)
    rows = [report_row("real_heldout", "real", heldout, read_scores(real["heldout"], len(heldout)), reference,
                       measure, threshold, c2st),
            report_row("unguided", "unguided", read_images(unguided["images"]),
                       read_scores(unguided["scores"]), heldout, measure, threshold, c2st)]
    for name, paths in sample_sets.items():
        sample_set = load_sample_set(paths["images"])
        scores = read_scores(paths["scores"], len(sample_set))
        rows.append(report_row(name, sample_set.kind, sample_set.images, scores, heldout, measure, threshold, None))
    ids, images = read_stimulus_images(stimuli["images"])
    manifest = read_manifest(stimuli["manifest"]).set_index("stimulus_id").loc[ids]
    for kind in manifest["kind"].unique():
        part = (manifest["kind"] == kind).to_numpy()
        scores = manifest.loc[part, [f"realism_{c}" for c in ("residual", "facemesh_detected", "face_score")]]
        scores = scores.set_axis(["residual", "facemesh_detected", "face_score"], axis=1).reset_index(drop=True)
        rows.append(report_row(f"kept_{kind}", kind, images[part], scores, heldout, measure, threshold, c2st))
    report = pd.DataFrame(rows).reindex(columns=REPORT_COLUMNS)
    summary = {"measure": measure, "max_residual": threshold,
               "sets": {r["set"]: {k: _plain(r.get(k)) for k in REPORT_COLUMNS[2:]} for r in rows}}
    write_csv(out["report"], report, float_format="%.4g")
    write_json(out["summary"], summary)
    return report


def _numeric(scores: pd.DataFrame) -> pd.DataFrame:
    """Score columns as numbers (NaN where a measure was not computed), however the table was read."""
    detected = scores["facemesh_detected"].map({True: 1.0, False: 0.0, "True": 1.0, "False": 0.0})
    return scores.assign(residual=pd.to_numeric(scores["residual"], errors="coerce"),
                         facemesh_detected=detected.astype(float),
                         face_score=pd.to_numeric(scores["face_score"], errors="coerce"))


def _plain(value):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value.item() if hasattr(value, "item") else value


def realism_rows(test_path, stimuli_path, manifest_path, report_path, columns: int,
                 n_real: int) -> list[tuple[str, np.ndarray]]:
    """Figure rows: held-out real test faces, then the kept stimuli of each kind, labelled with their realism."""
    report = pd.read_csv(report_path).set_index("set")
    ids, images = read_stimulus_images(stimuli_path)
    kinds = read_manifest(manifest_path).set_index("stimulus_id").loc[ids, "kind"].to_numpy()
    rng = np.random.default_rng(0)
    rows = [(_row_label("real test faces", report.loc["real_heldout"]), real_part(read_images(test_path), "heldout", n_real))]
    for kind in [k for k in ("uncertainty", "controversial", "control") if (kinds == k).any()]:
        part = np.flatnonzero(kinds == kind)
        pick = np.sort(rng.choice(part, size=min(columns, len(part)), replace=False))
        rows.append((_row_label(f"kept {kind}", report.loc[f"kept_{kind}"]), images[pick]))
    return [(label, faces[:columns]) for label, faces in rows]


def _row_label(name: str, row: pd.Series) -> str:
    parts = [name, f"n = {int(row['n'])}"]
    if pd.notna(row["realistic_fraction"]):
        parts.append(f"realistic {row['realistic_fraction']:.2f}")
    if pd.notna(row["facemesh_rate"]):
        parts.append(f"FaceMesh {row['facemesh_rate']:.2f}")
    if pd.notna(row["c2st_accuracy"]):
        parts.append(f"C2ST {row['c2st_accuracy']:.2f}")
    return "\n".join(parts)
