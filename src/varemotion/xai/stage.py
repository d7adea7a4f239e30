"""The model side of the explainability stage from files to files: saliency maps and global maps."""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd
import torch

from varemotion.atomic import write_atomically, write_csv, write_json
from varemotion.data.splits import images_to_float, load_split
from varemotion.device import select_device
from varemotion.models.classifier import load_classifier
from varemotion.models.evaluation import predict_proba
from varemotion.xai.geometry import geometry_of, usable_faces
from varemotion.xai.global_maps import (
    global_map,
    iou_summary,
    network_correlations,
    save_global_maps,
    score_global_maps,
    select_by_prediction,
)
from varemotion.xai.map_files import load_maps, method_maps, write_maps
from varemotion.xai.methods import METHODS, saliency_maps
from varemotion.xai.warp import warp_to_template

log = logging.getLogger(__name__)


def explain(classifier, images: torch.Tensor, targets: np.ndarray, settings: dict, device) -> dict[str, np.ndarray]:
    """Every configured method's maps (N, H, W) of `images` for class indices `targets`, batch by batch."""
    classifier.to(device).eval()
    targets = torch.as_tensor(targets, dtype=torch.long)
    maps = {}
    for method in settings["methods"]:
        start = time.perf_counter()
        chunks = [
            saliency_maps(classifier, batch.to(device), labels.to(device), method, **METHODS[method].settings(settings))
            for batch, labels in zip(images.split(settings["batch_size"]), targets.split(settings["batch_size"]))
        ]
        maps[method] = torch.cat(chunks).float().cpu().numpy() if chunks else np.zeros((0, *images.shape[2:]), np.float32)
        log.info("%s: %d maps in %.1f s", method, len(targets), time.perf_counter() - start)
    return maps


def run_saliency(weights, test_path, people_path, out_path, image_set: str, n_per_emotion: int, settings: dict,
                 gpus: int = 0, landmarks_path=None, include_undetected: bool = False) -> None:
    """Maps of one classifier for the global set (images predicted as each expression, among the faces
    with usable landmarks) or the people's images."""
    device = select_device(gpus)
    classifier = load_classifier(weights)
    test = load_split(test_path)
    images = images_to_float(test.images)
    probabilities = predict_proba(classifier, images, device)
    if image_set == "global":
        usable = np.flatnonzero(usable_faces(test, landmarks_path, include_undetected))
        chosen = select_by_prediction(probabilities[usable], n_per_emotion, list(test.emotions))
        rows = usable[np.concatenate([np.asarray(r, dtype=np.int64) for r in chosen.values()] or [np.zeros(0, np.int64)])]
        targets = probabilities[rows].argmax(axis=1)
    else:
        with np.load(people_path, allow_pickle=False) as people:
            wanted = people["ids"]
        position = {name: i for i, name in enumerate(test.ids)}
        rows = np.array([position[name] for name in wanted], dtype=np.int64)
        targets = test.labels[rows]
    log.info("%s set: %d images", image_set, len(rows))
    maps = explain(classifier, images[torch.as_tensor(rows)], targets, settings, device)
    write_maps(out_path, maps, ids=test.ids[rows], targets=targets.astype(np.int64), labels=test.labels[rows],
               probabilities=probabilities[rows].astype(np.float32), emotions=np.array(test.emotions))


def warp_images(values: np.ndarray, rows: np.ndarray, geometry, order: int = 1) -> np.ndarray:
    """Warp (N, H, W) arrays of the images at `rows` onto the geometry's template."""
    return warp_to_template(values, geometry.landmarks[rows], geometry.template, geometry.template_shape, order=order)


def run_global_maps(maps_of: dict, test_path, landmarks_path, out: dict, methods, pretrained: dict,
                    template_size: int, include_undetected: bool) -> None:
    """Global maps per (classifier, method, expression) on the template, scored against the regions.

    ``maps_of`` maps each classifier's name to its saliency file of the global image set.
    """
    test = load_split(test_path)
    emotions = list(test.emotions)
    geometry = geometry_of(test, landmarks_path, template_size, include_undetected)
    position = {name: i for i, name in enumerate(test.ids)}
    maps, counts, shown = {}, {}, set()
    for name, path in maps_of.items():
        data = load_maps(path)
        of_method = method_maps(data)
        rows = np.array([position[i] for i in data["ids"]], dtype=np.int64)
        if not geometry.usable[rows].all():
            raise ValueError(f"{path}: maps of faces without usable landmarks in {landmarks_path}; rerun the saliency maps")
        shown.update(rows.tolist())
        for method in methods:
            warped = warp_images(of_method[method], rows, geometry)
            for k, emotion in enumerate(emotions):
                chosen = data["targets"] == k
                if chosen.any():
                    maps[(name, method, emotion)] = global_map(warped[chosen])
                    counts[(name, method, emotion)] = int(chosen.sum())
    scores = score_global_maps(maps, geometry.truth, pretrained, counts)
    correlations = pd.concat([network_correlations(maps, method).assign(method=method) for method in methods],
                             ignore_index=True)
    correlations = correlations[["method", *(c for c in correlations.columns if c != "method")]]
    rows = np.array(sorted(shown), dtype=np.int64)
    faces = test.images[rows].astype(np.float32) / 255
    template_image = warp_images(faces if faces.ndim == 3 else faces.mean(axis=-1), rows, geometry).mean(axis=0) \
        if len(rows) else np.zeros(geometry.template_shape, np.float32)
    save_global_maps(out["maps"], maps, counts)
    truth_names = sorted(geometry.truth)
    template = {"image": template_image.astype(np.float32), "landmarks": geometry.template,
                "truth": np.stack([geometry.truth[e] for e in truth_names]) if truth_names
                else np.zeros((0, *geometry.template_shape), bool),
                "truth_emotions": np.array(truth_names, dtype=str)}
    write_atomically(out["template"], lambda handle: np.savez_compressed(handle, **template))
    write_csv(out["scores"], scores)
    write_csv(out["correlations"], correlations)
    summary = global_summary(scores)
    write_json(out["summary"], summary)
    log.info("mean IoU per method: %s", summary["mean_iou"])


def global_summary(scores: pd.DataFrame) -> dict:
    """Mean IoU per method, and the mean scores per method alone and with each classifier, expression
    and pre-training (JSON-ready)."""
    table = iou_summary(scores)
    levels = {level: rows.drop(columns="level").to_dict(orient="records") for level, rows in table.groupby("level")}
    per_method = table[table["level"] == "method"]
    return {"mean_iou": dict(zip(per_method["method"], per_method["iou"])),
            **{f"per_{level}": levels.get(level, []) for level in ("method", "classifier", "emotion", "pretrained")}}


