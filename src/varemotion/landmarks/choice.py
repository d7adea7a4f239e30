"""Which landmarks the explainability stage uses: `xai.landmarks` settled for a data source.

Kept free of torch and mediapipe so that the workflow can settle it when it reads its config.
"""

from __future__ import annotations

import logging

from varemotion.realism.facemesh import facemesh_available

log = logging.getLogger(__name__)


def rule_output(source: str) -> str:
    """The landmark rule's table for a data source."""
    return f"results/landmarks/{source}/landmarks.csv"


def landmarks_input(setting: str | None, source: str) -> str | None:
    """The landmarks file of real faces: the user's path, the landmark rule's table (`auto`, when mediapipe
    is installed) or None (synthetic faces, which carry the renderer's own landmarks, or no landmarks)."""
    if setting != "auto":
        return setting
    if source == "synthetic":
        return None
    if facemesh_available():
        return rule_output(source)
    log.warning("xai.landmarks is auto but mediapipe is not installed (pip install -e \".[facemesh]\"): global maps "
                "and simulated people are left out on %s faces", source)
    return None
