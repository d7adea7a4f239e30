"""Which realism measures a run uses: the `realism` config section, settled for a data source.

Kept free of torch so that the workflow can settle the measures when it reads its config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from varemotion.realism.facemesh import facemesh_available

log = logging.getLogger(__name__)

MEASURES = ("renderer", "facemesh", "none")


@dataclass(frozen=True)
class RealismSettings:
    """Which measures to compute and how (the workflow's `realism` config section)."""

    measure: str = "renderer"
    facemesh: bool = False
    renderer_steps: int = 150
    renderer_lr: float = 0.08
    reference_quantile: float = 0.99

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(f"realism measure must be one of {MEASURES}, got {self.measure!r}")
        if self.measure == "facemesh" and not self.facemesh:
            raise ValueError("the facemesh realism measure needs facemesh detection switched on")


def resolve_measure(measure: str, source: str, facemesh: str | bool) -> tuple[str, bool]:
    """The measure and whether to run FaceMesh, with `auto` settled by the data source and what is installed.

    `auto` measures synthetic faces with the renderer fit and other faces with FaceMesh, or with
    nothing (logged) when MediaPipe is missing; `facemesh: auto` runs FaceMesh when it is installed.
    """
    installed = facemesh_available()
    if facemesh == "auto":
        facemesh = installed
    elif facemesh and not installed:
        raise ValueError("realism.facemesh is on, but mediapipe is not installed (see the README's realism section)")
    if measure == "auto":
        measure = "renderer" if source == "synthetic" else ("facemesh" if facemesh else "none")
        if measure == "none":
            log.warning("no realism measure for %s faces without mediapipe: the realism filter is off", source)
    if measure == "renderer" and source != "synthetic":
        raise ValueError(f"the renderer-fit realism measure needs synthetic faces; the data source is {source!r}")
    if measure == "facemesh" and not facemesh:
        raise ValueError("realism.measure is facemesh, but FaceMesh detection is off or mediapipe is missing")
    return measure, bool(facemesh)
