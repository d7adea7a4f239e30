"""The 68 iBUG / dlib landmarks from FaceMesh's 468 points.

Each of the 68 points is the mean of one or two FaceMesh points (`FACEMESH_TO_IBUG`, in iBUG
order 1..68). "Left" and "right" below are the image's; iBUG numbers run from the image's left
(the subject's right), as FaceMesh's points 33 (the image-left eye's outer corner) and 263 do.
FaceMesh has points where iBUG has them on the eyes, brows, nose and lips, so those map one to one
(the mesh's upper brow edge stands for dlib's brow line). The jaw differs: dlib spaces 17 points
evenly from ear to ear, FaceMesh's face oval has 36 points from the forehead round the chin, so
a jaw point takes the oval point, or the mean of two neighbours, nearest to its place at equal
steps along the oval between the ear (127 / 356) and the chin (152), measured on the mean FER+
face; brows, eyelids and nose ridge are spaced along their FaceMesh contours the same way. The inner
lip corners are FaceMesh's inner corners (78, 308), not the outer ones as some mappings use.
"""

from __future__ import annotations

import numpy as np

#: iBUG point (1-based position in this tuple) -> the FaceMesh point(s) it is the mean of.
FACEMESH_TO_IBUG: tuple[tuple[int, ...], ...] = (
    # 1..17 jaw, image-left ear to chin to image-right ear, at equal steps along FaceMesh's oval
    (127,), (234, 93), (93, 132), (132, 58), (172,), (136, 150), (149,), (176, 148), (152,),
    (377, 400), (378,), (379, 365), (397,), (288, 361), (361, 323), (323, 454), (356,),
    # 18..22 image-left brow, outer to inner, at equal steps along the mesh's upper brow edge;
    # 23..27 image-right brow, inner to outer (the mirror images)
    (70,), (63, 105), (105, 66), (66, 107), (107,),
    (336,), (296, 336), (334, 296), (293, 334), (300,),
    # 28..31 nose ridge at equal steps from between the eyes to the tip; 32..36 the nostrils' base
    (168,), (6, 197), (195, 5), (4,),
    (98,), (97,), (2,), (326,), (327,),
    # 37..42 image-left eye: outer corner, upper lid at a third and two thirds, inner corner,
    # lower lid back; 43..48 image-right eye: inner corner, upper lid, outer corner, lower lid
    (33,), (160, 159), (158, 157), (133,), (153,), (144,),
    (362,), (385, 384), (387, 386), (263,), (373,), (380,),
    # 49..60 outer lips: left corner, upper lip (the bow's peaks at 51 and 53) to the right
    # corner, lower lip back
    (61,), (40,), (37,), (0,), (267,), (270,), (291,), (321,), (314,), (17,), (84,), (91,),
    # 61..68 inner lips: left corner, upper lip, right corner, lower lip
    (78,), (82,), (13,), (312,), (308,), (317,), (14,), (87,),
)


def ibug_from_facemesh(points) -> np.ndarray:
    """(..., 468, 2) FaceMesh points -> (..., 68, 2) iBUG points (nan stays nan)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim < 2 or points.shape[-2] < 468 or points.shape[-1] != 2:
        raise ValueError(f"FaceMesh points must be (..., 468, 2), got {points.shape}")
    return np.stack([points[..., list(indices), :].mean(axis=-2) for indices in FACEMESH_TO_IBUG], axis=-2)
