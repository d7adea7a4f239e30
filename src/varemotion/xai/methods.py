"""The saliency methods by name: the one list that the config check, the explainability stage and its figures read.

Each entry gives the method's published name, its function (imported when maps are computed, so
that reading the names needs no torch) and the keyword arguments it takes from the stage's
``xai`` settings. The order of :data:`METHODS` is the order of the default config and of figures.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field


def _no_settings(settings: dict) -> dict:
    return {}


def _lime_settings(settings: dict) -> dict:
    return {**settings["lime"], "seed": settings["seed"]}


def _extremal_settings(settings: dict) -> dict:
    return {"areas": tuple(settings["extremal"]["areas"]), "iterations": settings["extremal"]["iterations"],
            "seed": settings["seed"]}


@dataclass(frozen=True)
class SaliencyMethod:
    """A method's published name, its function as ``module:name``, and its settings from the stage's."""

    label: str
    function_path: str
    settings: Callable[[dict], dict] = field(default=_no_settings)

    @property
    def function(self) -> Callable:
        """``function(classifier, images, targets, **settings)`` → maps (N, H, W) in [0, 1]."""
        module, name = self.function_path.split(":")
        return getattr(importlib.import_module(module), name)


METHODS: dict[str, SaliencyMethod] = {
    "cam": SaliencyMethod("CAM", "varemotion.xai.saliency:cam"),
    "gradcam": SaliencyMethod("Grad-CAM", "varemotion.xai.saliency:grad_cam"),
    "extremal": SaliencyMethod("Extremal Perturbation", "varemotion.xai.extremal:extremal_maps", _extremal_settings),
    "lime": SaliencyMethod("LIME", "varemotion.xai.saliency:lime", _lime_settings),
}


def check_methods(names) -> list[str]:
    """The names as a list, ValueError for one that is not in :data:`METHODS`."""
    unknown = [name for name in names if name not in METHODS]
    if unknown:
        raise ValueError(f"unknown saliency method(s) {unknown}; expected some of {', '.join(METHODS)}")
    return list(names)


def saliency_maps(classifier, images, targets, method: str, **settings):
    """Saliency maps (N, H, W) in [0, 1] by ``method`` (a name of :data:`METHODS`); ``settings`` go to it."""
    check_methods([method])
    return METHODS[method].function(classifier, images, targets, **settings)
