"""The people side of the explainability stage from files to files: faces, clicks, 2AFC, comparison."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from varemotion.atomic import write_atomically, write_csv, write_json
from varemotion.data.splits import load_split
from varemotion.xai.attention import attention_maps, read_clicks, simulate_clicks
from varemotion.xai.geometry import geometry_of
from varemotion.xai.similarity import SHUFFLED_COLUMNS, map_similarity, shuffled_similarity
from varemotion.xai.map_files import load_maps, method_maps
from varemotion.xai.twoafc import (
    RULES,
    design_twoafc,
    model_twoafc,
    percent_correct,
    read_twoafc,
    simulate_twoafc,
    target_share,
)

log = logging.getLogger(__name__)


def choose_faces(labels: np.ndarray, n_per_emotion: int, n_emotions: int, seed: int) -> np.ndarray:
    """Up to `n_per_emotion` random faces of each true emotion, in a stable order (emotion, then draw)."""
    rng = np.random.default_rng(seed)
    rows = [rng.permutation(np.flatnonzero(labels == k))[:n_per_emotion] for k in range(n_emotions)]
    return np.concatenate(rows).astype(np.int64)


def run_people_images(test_path, landmarks_path, out_path, people: dict, seed: int, template_size: int,
                      include_undetected: bool, files: dict | None = None) -> None:
    """The test faces people see: those named in people's own `files` (`clicks` and `twoafc`) when given
    (the whole image is their face where it has no landmarks), else drawn per emotion among the faces
    with usable landmarks for simulated people."""
    test = load_split(test_path)
    shape = test.images.shape[1:3]
    arrays = {}
    known_geometry = "au_masks" in test.extras or landmarks_path
    if files:
        ids = set(read_clicks(files["clicks"], test.ids, test.emotions, shape, people["column_map"])["stimulus_id"])
        ids |= set(read_twoafc(files["twoafc"], test.ids, test.emotions, people["column_map"])["stimulus_id"])
        rows = np.array(sorted(i for i, name in enumerate(test.ids) if name in ids), dtype=np.int64)
        if known_geometry:
            geometry = geometry_of(test, landmarks_path, template_size, include_undetected)
            masks = geometry.face_masks[rows]
            masks[~geometry.usable[rows]] = True
            arrays = {"face_masks": masks}
        else:
            log.info("no landmarks: maps are compared over the whole image, not within the face")
    else:
        geometry = geometry_of(test, landmarks_path, template_size, include_undetected)
        usable = np.flatnonzero(geometry.usable)
        rows = usable[choose_faces(test.labels[usable], people["n_per_emotion"], len(test.emotions), seed)]
        arrays = {"region_masks": geometry.image_regions[rows], "face_masks": geometry.face_masks[rows]}
    arrays.update(ids=test.ids[rows], labels=test.labels[rows], images=test.images[rows],
                  emotions=np.array(test.emotions))
    log.info("%d faces for the people", len(rows))
    write_atomically(out_path, lambda handle: np.savez_compressed(handle, **arrays))


def load_people_images(path) -> dict[str, np.ndarray]:
    """The faces people see, with their ids, labels and (simulated people) regions."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def run_people_data(images_path, frontend_weights, outputs: dict, people: dict, population: dict, seed: int,
                    gpus: int = 0, files: dict | None = None) -> None:
    """The `clicks` and `twoafc` tables (``outputs``): read from people's own `files` when given, else
    simulated from the faces' regions and the observer model."""
    faces = load_people_images(images_path)
    emotions = [str(e) for e in faces["emotions"]]
    shape = faces["images"].shape[1:3]
    if files:
        clicks = read_clicks(files["clicks"], faces["ids"], emotions, shape, people["column_map"])
        trials = read_twoafc(files["twoafc"], faces["ids"], emotions, people["column_map"])
    else:
        clicks, trials = simulate_people(faces, emotions, frontend_weights, people, population, seed, gpus)
    write_csv(outputs["clicks"], clicks)
    write_csv(outputs["twoafc"], trials)


def simulate_people(faces: dict, emotions: list[str], frontend_weights, people: dict, population: dict, seed: int,
                    gpus: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulated clicks (regions with noise) and 2AFC answers (the behaviour stage's observer model)."""
    from varemotion.behavior.simulation import ObserverPopulation, sample_observers
    from varemotion.data.splits import images_to_float
    from varemotion.device import select_device
    from varemotion.models.classifier import load_classifier
    from varemotion.models.evaluation import predict_logits

    width = faces["images"].shape[2]
    clicks = simulate_clicks(faces["region_masks"], faces["face_masks"], faces["ids"], faces["labels"], emotions,
                             n_subjects=people["n_subjects"], n_clicks=people["n_clicks"],
                             radius=people["radius"] * width, relevance=people["relevance"],
                             noise_sd=people["noise_sd"] * width, seed=seed)
    frontend = load_classifier(frontend_weights)
    logits = predict_logits(frontend, images_to_float(faces["images"]), select_device(gpus))
    observers = sample_observers(people["n_subjects"], ObserverPopulation(**population), emotions, seed)
    design = design_twoafc(faces["ids"], faces["labels"], emotions, people["n_subjects"], seed)
    trials = simulate_twoafc(design, logits, observers, emotions, seed, stimulus_ids=faces["ids"])
    return clicks, trials


def model_accuracies(name: str, probabilities, trials: pd.DataFrame, ids, emotions, resampling: dict) -> list[dict]:
    """A model's 2AFC accuracy under each decision rule (:data:`~varemotion.xai.twoafc.RULES`)."""
    expected = target_share(probabilities, trials, ids, emotions)
    rows = []
    for rule in RULES:
        answered = trials.assign(response=model_twoafc(probabilities, trials, ids, emotions, resampling["seed"], rule))
        rows.append(percent_correct(answered, name, rule=rule, expected=expected if rule == "sample" else None,
                                    **resampling))
    return rows


def run_attention_comparison(maps_of: dict, images_path, clicks_path, twoafc_path, out: dict, methods,
                             resampling: dict) -> None:
    """Human attention maps, their similarity to every model map within the face (and to maps of other faces
    of the same emotion), and 2AFC accuracy of people and models. ``maps_of`` maps each classifier's name
    to its saliency file; ``resampling`` has the CIs' n_resamples, confidence and seed."""
    faces = load_people_images(images_path)
    ids, emotions = faces["ids"], [str(e) for e in faces["emotions"]]
    shape = faces["images"].shape[1:3]
    masks = faces.get("face_masks")
    clicks = read_clicks(clicks_path, ids, emotions, shape)
    trials = read_twoafc(twoafc_path, ids, emotions)
    human = attention_maps(clicks, ids, shape)
    similarity, accuracy = [], [percent_correct(trials, "people", **resampling)]
    for name, path in maps_of.items():
        maps = load_maps(path)
        if maps["ids"].tolist() != ids.tolist():
            raise ValueError(f"{path}: maps are of other faces than {images_path}; rerun the saliency maps")
        of_method = method_maps(maps)
        for method in methods:
            table = map_similarity(of_method[method], human, ids, masks=masks)
            baseline = shuffled_similarity(of_method[method], human, ids, faces["labels"], masks)
            similarity.append(table.merge(baseline, on="stimulus_id").assign(classifier=name, method=method))
        accuracy += model_accuracies(name, maps["probabilities"], trials, ids, emotions, resampling)
    similarity = pd.concat(similarity, ignore_index=True)
    accuracy = pd.DataFrame(accuracy)
    write_atomically(out["attention"], lambda handle: np.savez_compressed(handle, ids=ids, maps=human.astype(np.float32)))
    write_csv(out["similarity"], similarity)
    write_csv(out["twoafc_accuracy"], accuracy)
    write_json(out["summary"], people_summary(similarity, accuracy))


def people_summary(similarity: pd.DataFrame, accuracy: pd.DataFrame) -> dict:
    """Mean similarity of model to human maps per (classifier, method), beside the shuffled-face baseline
    (``spearman_excess``: how much closer a model's map is to the human map of its own face), and
    2AFC percent correct."""
    columns = ["spearman", "pearson", "auc", *SHUFFLED_COLUMNS]
    means = similarity.groupby(["classifier", "method"])[columns].mean().reset_index()
    means["spearman_excess"] = means["spearman"] - means["spearman_shuffled"]
    best = means.loc[means["spearman"].idxmax()] if means["spearman"].notna().any() else None
    return {
        "similarity": means.to_dict(orient="records"),
        "closest_to_people": None if best is None else {"classifier": best["classifier"], "method": best["method"],
                                                        "spearman": best["spearman"]},
        "twoafc": accuracy.to_dict(orient="records"),
    }
