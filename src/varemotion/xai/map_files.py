"""Saliency map files: one classifier's maps of one image set, every method's under ``maps_<method>``.

Beside the maps, a file holds the images' ``ids``, the explained class of each (``targets``), their
``labels``, the classifier's ``probabilities`` and the ``emotions``. Reading one needs no torch.
"""

from __future__ import annotations

import numpy as np

from varemotion.atomic import write_atomically

_PREFIX = "maps_"


def write_maps(path, maps: dict[str, np.ndarray], **arrays: np.ndarray) -> None:
    """Write every method's maps (float32) with the other arrays of the file, atomically."""
    arrays |= {f"{_PREFIX}{method}": values.astype(np.float32) for method, values in maps.items()}
    write_atomically(path, lambda handle: np.savez_compressed(handle, **arrays))


def load_maps(path) -> dict[str, np.ndarray]:
    """One saliency file as a dict of arrays."""
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def method_maps(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Method → maps (N, H, W) of a loaded saliency file."""
    return {key[len(_PREFIX):]: values for key, values in arrays.items() if key.startswith(_PREFIX)}
