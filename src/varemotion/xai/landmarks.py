"""Face landmarks: 68-point iBUG sets (read from a detector's CSV and extended to the image's
edges) and the analytic landmarks of the package's synthetic faces.

Landmarks are float arrays (..., L, 2) of (x, y) pixel coordinates, pixel centres at integers.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass

import numpy as np
import torch

from varemotion.behavior.textfiles import read_table
from varemotion.behavior.trials import ORIGIN_COLUMNS, ORIGIN_POSITION
from varemotion.data.errors import DataError
from varemotion.faces.action_units import AU_NAMES
from varemotion.faces.identity import IDENTITY_NAMES, neutral_identity
from varemotion.faces.render import _HEAD_CY, _brow_curve, _eye_lids, _geometry, _head_width, _mouth_shape

#: Points of the iBUG / dlib landmark set.
N_IBUG = 68
#: Points of the extended set: 68 landmarks, the 17 jaw points projected to y = 0, four corners.
N_EXTENDED = N_IBUG + 17 + 4

#: Names of the synthetic faces' landmarks, in the order `synthetic_landmarks` returns them
#: ("left" is the image's left); the four image corners follow them.
SYNTHETIC_POINTS = (
    "forehead",
    "brow_outer_left", "brow_inner_left", "brow_inner_right", "brow_outer_right",
    "eye_outer_left", "eye_inner_left", "eye_top_left", "eye_bottom_left", "eye_centre_left",
    "eye_inner_right", "eye_outer_right", "eye_top_right", "eye_bottom_right", "eye_centre_right",
    "nose_tip", "nostril_left", "nostril_right",
    "mouth_left", "mouth_right", "upper_lip", "mouth_centre", "lower_lip",
    "chin",
    "cheek_left", "cheek_right", "jaw_left", "jaw_right",
    "corner_top_left", "corner_top_right", "corner_bottom_left", "corner_bottom_right",
)

LANDMARKS_EXPECTED = ("a CSV of 68-point landmarks with columns image_id, x1..x68, y1..y68 "
                      "(pixel coordinates, points numbered 1..68 as in iBUG/dlib; all blank: no landmarks), "
                      "and optionally detected (true/false)")
_COLUMNS = ["image_id", *(f"x{k}" for k in range(1, N_IBUG + 1)), *(f"y{k}" for k in range(1, N_IBUG + 1))]
_TRUE, _FALSE = ("true", "1", "1.0", "yes"), ("false", "0", "0.0", "no")


@dataclass
class LandmarkRows:
    """Landmarks (N, 68, 2) of N images (nan for an image without landmarks) and whether a detector
    found each face (False for points from a fallback; a file without a `detected` column found every
    face that has points)."""

    points: np.ndarray
    detected: np.ndarray

    def usable(self, include_undetected: bool = False) -> np.ndarray:
        """(N,) bool: faces with landmarks, and of those only the detected ones unless `include_undetected`."""
        has_points = np.isfinite(self.points).all(axis=(1, 2))
        return has_points if include_undetected else has_points & self.detected


def extend_landmarks(points, shape) -> np.ndarray:
    """(..., 68, 2) landmarks -> (..., 89, 2): points 69..85 are the jaw points 1..17 moved to y = 0,
    points 86..89 the corners (0, 0), (0, H), (W, 0), (W, H) of an image of `shape` (H, W)."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim < 2 or points.shape[-2:] != (N_IBUG, 2):
        raise ValueError(f"landmarks must be (..., {N_IBUG}, 2), got {points.shape}")
    height, width = shape
    top = points[..., :17, :].copy()
    top[..., 1] = 0.0
    corners = np.array([[0, 0], [0, height], [width, 0], [width, height]], dtype=np.float64)
    corners = np.broadcast_to(corners, (*points.shape[:-2], 4, 2))
    return np.concatenate([points, top, corners], axis=-2)


def read_landmarks(path: str | os.PathLike[str], ids) -> np.ndarray:
    """(N, 68, 2) landmarks of the images `ids`, in that order, from a CSV `image_id, x1..x68, y1..y68`
    (nan for an image whose row has every coordinate blank)."""
    return read_landmark_rows(path, ids).points


def read_landmark_rows(path: str | os.PathLike[str], ids) -> LandmarkRows:
    """Landmarks and detection flags of the images `ids`, in that order, from a landmarks CSV.

    Problems (missing columns or ids, repeated ids, a row with some coordinates blank, values that
    are not finite numbers, a `detected` value that is not true or false) raise DataError naming
    the file, line, column and value. The file is only read.
    """
    table = read_table(path, LANDMARKS_EXPECTED)
    _require_columns(table, path)
    lines = {}
    for image_id, line in zip(table["image_id"], table[ORIGIN_POSITION]):
        if image_id in lines:
            raise DataError(path, f"appears twice (first on line {lines[image_id]})", row=int(line),
                            column="image_id", value=image_id, expected="one row per image")
        lines[image_id] = int(line)
    wanted = [str(i) for i in ids]
    missing = [i for i in wanted if i not in lines]
    if missing:
        raise DataError(path, f"has no row for {len(missing)} image id(s), e.g. {missing[:3]}", column="image_id",
                        expected=f"a row for each of the {len(wanted)} images")
    rows = table.set_index("image_id").loc[wanted]
    blank = (rows[_COLUMNS[1:]].apply(lambda column: column.str.strip()) == "").all(axis=1).to_numpy()
    out = np.full((len(wanted), N_IBUG, 2), np.nan)
    for axis, letter in enumerate("xy"):
        for k in range(N_IBUG):
            column = f"{letter}{k + 1}"
            out[~blank, k, axis] = [_number(path, value, line, column)
                                    for value, line in zip(rows[column][~blank], rows[ORIGIN_POSITION][~blank])]
    detected = ~blank
    if "detected" in rows.columns:
        detected &= np.array([_flag(path, value, line) for value, line in zip(rows["detected"], rows[ORIGIN_POSITION])])
    return LandmarkRows(out, detected)


def _require_columns(table, path) -> None:
    """DataError naming the first missing column (and how many are missing), with a close match."""
    missing = [c for c in _COLUMNS if c not in table.columns]
    if not missing:
        return
    others = [c for c in table.columns if c not in _COLUMNS and c not in ORIGIN_COLUMNS]
    close = difflib.get_close_matches(missing[0], others, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise DataError(path, f"column is missing from the header ({len(missing)} of {len(_COLUMNS)} columns missing)"
                          f"{hint}", row=1, column=missing[0], expected="columns image_id, x1..x68, y1..y68")


def _number(path, value: str, line, column: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not np.isfinite(number):
        raise DataError(path, "is not a finite number", row=int(line), column=column, value=value,
                        expected="a pixel coordinate (or every coordinate of the row blank: no landmarks)")
    return number


def _flag(path, value: str, line) -> bool:
    text = str(value).strip().lower()
    if text not in _TRUE + _FALSE:
        raise DataError(path, "is not true or false", row=int(line), column="detected", value=value,
                        expected="true (a detector found the face) or false (points from a fallback)")
    return text in _TRUE


def _canonical_points(g) -> torch.Tensor:
    """(N, 28, 2) face landmarks (`SYNTHETIC_POINTS[:28]`) in the renderer's canonical frame, from its geometry `g`."""
    es, ew, ey = g["eye_spacing"], g["eye_size"], g["eye_height"]
    zero = torch.zeros_like(ey)
    # Brow ends, as `render._brow_curve` bounds them.
    x_in, x_out = es - 0.95 * ew - 0.05 * g["AU4"], es + 1.25 * ew
    brow_y, _, _ = _brow_curve(torch.cat([x_in, x_out], -1), g)
    lid_up, lid_low, _ = _eye_lids(es, g)
    ny = g["nose_y"] - 0.03 * g["AU9"]
    nostril = 0.55 * g["nose_width"] * (1 + 0.2 * g["AU9"])
    b0, b1, b2, b3, half = _mouth_shape(zero, g)
    corner_y = _mouth_shape(half, g)[1]
    my = g["mouth_height"]
    cheek = _head_width(ey, g)
    jaw_y = my + 0.5 * (g["chin_y"] - my)
    jaw = _head_width(jaw_y, g)

    def pair(x, y):
        return [(-x, y), (x, y)]

    points = [
        (zero, _HEAD_CY - 0.64 * g["face_height"]),
        (-x_out, brow_y[..., 1:]), (-x_in, brow_y[..., :1]), (x_in, brow_y[..., :1]), (x_out, brow_y[..., 1:]),
        (-es - ew, ey), (-es + ew, ey), (-es, lid_up), (-es, lid_low), (-es, ey),
        (es - ew, ey), (es + ew, ey), (es, lid_up), (es, lid_low), (es, ey),
        (zero, ny - 0.04), *pair(nostril, ny),
        *pair(half, corner_y), (zero, b0), (zero, (b1 + b2) / 2), (zero, b3),
        (zero, g["chin_y"]),
        *pair(cheek, ey), *pair(jaw, jaw_y),
    ]
    return torch.stack([torch.cat([x.expand_as(y), y], -1) for x, y in points], 1).reshape(-1, len(points), 2)


def synthetic_landmarks(identity, au, size: int) -> np.ndarray:
    """(N, 32, 2) pixel landmarks of synthetic faces (`SYNTHETIC_POINTS`) rendered at `size`.

    Face features come from the renderer's geometry in its canonical frame, moved by the pose
    exactly as `render` resamples (p = scale R(rotation) q + shift, align_corners=False); the
    four image corners (-0.5 and size - 0.5) are appended so a warp covers every pixel.
    """
    identity = torch.as_tensor(identity).detach().to("cpu", torch.float64)
    au = torch.as_tensor(au).detach().to("cpu", torch.float64)
    if au.ndim != 2 or au.shape[1] != len(AU_NAMES):
        raise ValueError(f"au must be (N, {len(AU_NAMES)}), got {tuple(au.shape)}")
    if identity.shape != (au.shape[0], len(IDENTITY_NAMES)):
        raise ValueError(f"identity must be ({au.shape[0]}, {len(IDENTITY_NAMES)}), got {tuple(identity.shape)}")
    g = _geometry(au.clamp(0.0, 1.0), identity)
    q = _canonical_points(g)
    n = q.shape[0]
    scale, angle = g["scale"].view(n, 1), g["rotation"].view(n, 1)
    cos, sin = torch.cos(angle), torch.sin(angle)
    px = scale * (cos * q[..., 0] - sin * q[..., 1]) + g["shift_x"].view(n, 1)
    py = scale * (sin * q[..., 0] + cos * q[..., 1]) + g["shift_y"].view(n, 1)
    face = ((torch.stack([px, py], -1) + 1) / 2 * size - 0.5).numpy()
    edge = size - 0.5
    corners = np.array([[-0.5, -0.5], [edge, -0.5], [-0.5, edge], [edge, edge]])
    return np.concatenate([face, np.broadcast_to(corners, (n, 4, 2))], axis=1)


def synthetic_template(size: int) -> tuple[np.ndarray, tuple[int, int]]:
    """Landmarks (32, 2) of the mean identity with neutral AUs and no pose, and the shape (size, size)."""
    landmarks = synthetic_landmarks(neutral_identity(1), torch.zeros(1, len(AU_NAMES)), size)
    return landmarks[0], (size, size)
