"""Each figure of the explainability stage, drawn from the stage's saved files.

Figure names: ``xai_iou``, ``xai_global_maps_<method>`` and ``xai_dendrograms_<method>`` from the
global maps (`maps`, `template`, `scores`); ``xai_attention``, ``xai_similarity`` and ``xai_2afc``
from the people's faces and answers (`images`, `attention`, `similarity`, `twoafc`) and each
classifier's saliency maps of those faces (keyed by the classifier's name).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from varemotion.figures import xai as drawn
from varemotion.xai.global_maps import load_global_maps
from varemotion.xai.map_files import load_maps, method_maps
from varemotion.xai.methods import METHODS

PEOPLE_FIGURES = ("xai_attention", "xai_similarity", "xai_2afc")
GLOBAL_FIGURES = ("xai_global_maps", "xai_dendrograms")


def xai_figure(name: str, files: Mapping, classifiers=()):
    """The figure ``name`` from ``files`` (see the module doc); ``classifiers`` name the saliency files."""
    if name in PEOPLE_FIGURES:
        return people_figure(name, files, classifiers)
    if name == "xai_iou":
        return drawn.iou_figure(pd.read_csv(files["scores"]))
    for prefix in GLOBAL_FIGURES:
        method = name.removeprefix(f"{prefix}_")
        if method != name and method in METHODS:
            return global_figure(prefix, method, files)
    raise ValueError(f"unknown explainability figure {name!r}")


def global_figure(kind: str, method: str, files: Mapping):
    """The global maps of one method on the template, or the classifiers' dendrograms of them."""
    maps, _ = load_global_maps(files["maps"])
    scores = pd.read_csv(files["scores"])
    if kind == "xai_dendrograms":
        return drawn.dendrogram_figure(maps, method, pretrained=dict(zip(scores["classifier"], scores["pretrained"])))
    with np.load(files["template"], allow_pickle=False) as template:
        truth = dict(zip(template["truth_emotions"].tolist(), template["truth"]))
        return drawn.global_maps_figure(maps, method, template_image=template["image"], truth=truth, scores=scores)


def people_figure(name: str, files: Mapping, classifiers):
    """2AFC accuracy, map similarity, or one face of each emotion beside the human and model maps."""
    if name == "xai_2afc":
        return drawn.twoafc_figure(pd.read_csv(files["twoafc"]))
    if name == "xai_similarity":
        return drawn.similarity_figure(pd.read_csv(files["similarity"]))
    with np.load(files["images"], allow_pickle=False) as faces, np.load(files["attention"], allow_pickle=False) as human:
        # One face of each emotion (the first shown), so that every expression appears.
        shown = np.unique(faces["labels"], return_index=True)[1]
        images, ids, human_maps = faces["images"][shown], faces["ids"][shown], human["maps"][shown]
    model_maps = {(classifier, method): values[shown] for classifier in classifiers
                  for method, values in method_maps(load_maps(files[classifier])).items()}
    return drawn.attention_figure(images, human_maps, model_maps, ids, n=len(shown))
