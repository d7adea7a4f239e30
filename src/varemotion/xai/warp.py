"""Warping per-image maps onto a common face template with a piecewise affine transform.

The template's landmarks are triangulated (scipy's Delaunay, as scikit-image's
PiecewiseAffineTransform does); each template pixel keeps its triangle and barycentric weights
(`find_simplex` and the triangulation's affine `transform`), and in every image it reads the point
with the same weights in the image's copy of that triangle. Triangulating and locating
pixels once per template, rather than once per image, makes warping thousands of maps cheap.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates
from scipy.spatial import Delaunay, QhullError


def _template_mesh(template: np.ndarray, shape: tuple[int, int]):
    """Template pixels inside the triangulation, and their triangles' vertices and barycentric weights."""
    try:
        mesh = Delaunay(template)
    except QhullError as error:
        raise ValueError(f"the template's landmarks cannot be triangulated ({error.__class__.__name__}); "
                         "expected at least three distinct, non-collinear points") from None
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    pixels = np.stack([cols.ravel(), rows.ravel()], 1).astype(np.float64)
    simplex = mesh.find_simplex(pixels)
    inside = simplex >= 0
    affine = mesh.transform[simplex[inside]]
    first = np.einsum("pij,pj->pi", affine[:, :2], pixels[inside] - affine[:, 2])
    weights = np.concatenate([first, 1 - first.sum(1, keepdims=True)], axis=1)
    return inside, mesh.simplices[simplex[inside]], weights


def warp_to_template(maps, landmarks, template, shape, order: int = 1) -> np.ndarray:
    """Warp maps (N, H, W) with landmarks (N, L, 2) onto a template (L, 2) of `shape` (Ht, Wt).

    Piecewise affine: each triangle of the template's Delaunay triangulation is filled from the
    image's triangle with the same landmarks. Template pixels outside the landmarks' hull get 0;
    points that fall off the image's edge read its nearest pixel. `order` is the spline order
    (1 bilinear, 0 nearest for masks). Bool maps give bool maps, float maps keep their dtype.
    """
    maps = np.asarray(maps)
    landmarks = np.asarray(landmarks, dtype=np.float64)
    template = np.asarray(template, dtype=np.float64)
    shape = tuple(int(s) for s in shape)
    if maps.ndim != 3:
        raise ValueError(f"maps must be (N, H, W), got {maps.shape}")
    if template.ndim != 2 or template.shape[1] != 2 or len(template) < 3:
        raise ValueError(f"template must be (L, 2) with L >= 3, got {template.shape}")
    if landmarks.shape != (len(maps), *template.shape):
        raise ValueError(f"landmarks must be ({len(maps)}, {template.shape[0]}, 2) like the maps and "
                         f"the template, got {landmarks.shape}")
    if not (np.isfinite(landmarks).all() and np.isfinite(template).all()):
        raise ValueError("landmarks and template must hold finite pixel coordinates")
    if len(shape) != 2 or min(shape) < 1:
        raise ValueError(f"shape must be (height, width), got {shape}")
    is_mask = maps.dtype == bool
    floating = np.issubdtype(maps.dtype, np.floating)
    values = maps if floating else maps.astype(np.float64)
    inside, vertices, weights = _template_mesh(template, shape)
    out = np.zeros((len(maps), shape[0] * shape[1]), dtype=np.float64)
    for i in range(len(maps)):
        at = np.einsum("pk,pkd->pd", weights, landmarks[i][vertices])
        out[i, inside] = map_coordinates(values[i], [at[:, 1], at[:, 0]], order=order, mode="nearest")
    out = out.reshape(len(maps), *shape)
    if is_mask:
        return out > 0.5
    return out.astype(maps.dtype if floating else np.float64)
