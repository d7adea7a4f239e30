"""Warping per-image maps onto a common face template with a piecewise affine transform.

The template's landmarks are triangulated (Delaunay, as scikit-image's PiecewiseAffineTransform
does); each template pixel keeps its triangle and barycentric weights, and in every image it reads
the point with the same weights in the image's copy of that triangle. Triangulating and locating
pixels once per template, rather than once per image, makes warping thousands of maps cheap.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import map_coordinates
from scipy.spatial import Delaunay, QhullError


def _template_mesh(template: np.ndarray, shape: tuple[int, int], chunk: int = 4096):
    """Template pixels inside the triangulation, and their triangles' vertices and barycentric weights."""
    try:
        triangles = Delaunay(template).simplices
    except QhullError as error:
        raise ValueError(f"the template's landmarks cannot be triangulated ({error.__class__.__name__}); "
                         "expected at least three distinct, non-collinear points") from None
    a, b, c = (template[triangles[:, k]] for k in range(3))
    ab, ac = b - a, c - a
    det = ab[:, 0] * ac[:, 1] - ab[:, 1] * ac[:, 0]
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    pixels = np.stack([cols.ravel(), rows.ravel()], 1).astype(np.float64)
    simplex = np.empty(len(pixels), dtype=np.intp)
    weights = np.empty((len(pixels), 3))
    # Barycentric coordinates against every triangle (numpy, chunked): each pixel takes the triangle
    # where its smallest weight is largest, which settles pixels on shared edges.
    for start in range(0, len(pixels), chunk):
        d = pixels[start:start + chunk, None, :] - a
        u = (d[..., 0] * ac[:, 1] - d[..., 1] * ac[:, 0]) / det
        v = (d[..., 1] * ab[:, 0] - d[..., 0] * ab[:, 1]) / det
        w = np.stack([1 - u - v, u, v], -1)
        best = w.min(-1).argmax(1)
        simplex[start:start + chunk] = best
        weights[start:start + chunk] = w[np.arange(len(best)), best]
    inside = weights.min(1) >= -1e-9
    return inside, triangles[simplex[inside]], weights[inside]


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
