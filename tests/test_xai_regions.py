"""Face regions, landmarks and the warp onto a template (varemotion.xai.regions, landmarks, warp)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from conftest import shared_dir
from helpers import frontal_face68

from varemotion.data.errors import DataError
from varemotion.faces.action_units import AU_NAMES, PROTOTYPES, prototype_matrix, sample_expressions
from varemotion.faces.identity import IDENTITY_NAMES, neutral_identity, sample_identity
from varemotion.faces.render import _geometry, _pose_grid, render
from varemotion.xai.landmarks import (
    N_IBUG,
    SYNTHETIC_POINTS,
    extend_landmarks,
    read_landmarks,
    synthetic_landmarks,
    synthetic_template,
)
from varemotion.xai.regions import EKMAN_REGIONS, ekman_mask, per_image_region_masks, synthetic_region_masks
from varemotion.xai.warp import warp_to_template

EMOTIONS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear")
SHAPE = (120, 100)


def _at(mask: np.ndarray, point) -> bool | None:
    """The mask's value at the pixel nearest to an (x, y) point (None off the image)."""
    row, col = int(round(point[1])), int(round(point[0]))
    if not (0 <= row < mask.shape[0] and 0 <= col < mask.shape[1]):
        return None
    return bool(mask[row, col])


# ---------------------------------------------------------------- Ekman regions from landmarks


def test_ekman_regions_reproduce_the_shared_masks():
    folder = shared_dir() / "data" / "ekman_masks"
    if not (folder / "template_points.json").exists():
        pytest.skip(f"no Ekman masks at {folder}")
    from PIL import Image

    spec = json.loads((folder / "template_points.json").read_text())
    points = np.asarray(spec["points"], dtype=float)
    width, height = spec["canvas_wh"]
    np.testing.assert_array_equal(extend_landmarks(points[:N_IBUG], (height, width)), points)
    scores = {}
    for emotion in EKMAN_REGIONS:
        truth = np.asarray(Image.open(folder / f"{emotion.capitalize()}_gt.png").convert("L")) > 127
        mask = ekman_mask(points, emotion, (height, width))
        scores[emotion] = (mask & truth).sum() / (mask | truth).sum()
    print("IoU with the shared Ekman masks:", {e: round(float(s), 3) for e, s in scores.items()})
    assert set(scores) == {"anger", "disgust", "fear", "happiness", "sadness", "surprise"}
    assert all(s >= 0.8 for s in scores.values()), scores


def test_extend_landmarks_projects_the_jaw_and_adds_corners():
    face = frontal_face68()
    ext = extend_landmarks(face, SHAPE)
    assert ext.shape == (89, 2)
    np.testing.assert_array_equal(ext[:68], face)
    np.testing.assert_array_equal(ext[68:85, 0], face[:17, 0])
    np.testing.assert_array_equal(ext[68:85, 1], 0)
    np.testing.assert_array_equal(ext[85:], [[0, 0], [0, 120], [100, 0], [100, 120]])
    batch = extend_landmarks(np.stack([face, face + 1]), SHAPE)
    assert batch.shape == (2, 89, 2)
    np.testing.assert_array_equal(batch[1, 85:], ext[85:])
    with pytest.raises(ValueError, match="68"):
        extend_landmarks(face[:60], SHAPE)


def test_ekman_masks_cover_each_expressions_features():
    face = frontal_face68()

    def point(number):  # 1-based, as in the iBUG chart
        return face[number - 1]

    chin = point(9) - (0, 4)
    inside = {"anger": [20, 22, 58, chin], "surprise": [20, 58, chin], "fear": [20, 22, 49],
              "happiness": [42, 49, 55], "disgust": [30, 42, 55], "sadness": [22, 50]}
    outside = {"anger": [30, 49], "surprise": [30, 49], "fear": [30, 58, chin],
               "happiness": [20, 30, 58], "disgust": [20, 58, chin], "sadness": [30, 58, chin]}
    masks = {e: ekman_mask(face, e, SHAPE) for e in EKMAN_REGIONS}
    for emotion, mask in masks.items():
        assert mask.dtype == bool and mask.shape == SHAPE
        where = [_at(mask, point(p) if isinstance(p, int) else p) for p in inside[emotion] + outside[emotion]]
        assert where == [True] * len(inside[emotion]) + [False] * len(outside[emotion]), emotion
    assert all((masks[a] != masks[b]).any() for a in masks for b in masks if a < b)
    np.testing.assert_array_equal(ekman_mask(extend_landmarks(face, SHAPE), "fear", SHAPE), masks["fear"])


def test_ekman_masks_follow_the_landmarks():
    face, (dx, dy) = frontal_face68(), (6, 9)
    # Sadness is left out: its wings reach towards the image's corners, which stay put.
    for emotion in set(EKMAN_REGIONS) - {"sadness"}:
        mask = ekman_mask(face, emotion, SHAPE)
        moved = ekman_mask(face + (dx, dy), emotion, SHAPE)
        np.testing.assert_array_equal(moved[dy:, dx:], mask[:-dy, :-dx])


def test_ekman_mask_rejects_bad_input():
    with pytest.raises(ValueError, match="contempt"):
        ekman_mask(frontal_face68(), "contempt", SHAPE)
    with pytest.raises(ValueError, match="landmarks must be"):
        ekman_mask(frontal_face68()[:30], "anger", SHAPE)


# ---------------------------------------------------------------- reading landmarks


def _write_landmarks(path, rows):
    header = ["image_id", *(f"x{k}" for k in range(1, 69)), *(f"y{k}" for k in range(1, 69))]
    lines = [",".join(header)]
    for image_id, points in rows:
        lines.append(",".join([image_id, *(repr(float(v)) for v in points[:, 0]), *(repr(float(v)) for v in points[:, 1])]))
    path.write_text("\n".join(lines) + "\n")


def test_read_landmarks_orders_rows_by_id_and_leaves_the_file(tmp_path):
    face = frontal_face68()
    path = tmp_path / "landmarks.csv"
    _write_landmarks(path, [("b", face + 1.5), ("a", face), ("c", face * 0.5)])
    before = path.read_bytes()
    points = read_landmarks(path, ["c", "a"])
    assert points.shape == (2, 68, 2)
    np.testing.assert_allclose(points[0], face * 0.5)
    np.testing.assert_allclose(points[1], face)
    assert path.read_bytes() == before


def test_read_landmarks_locates_problems(tmp_path):
    face = frontal_face68()
    path = tmp_path / "landmarks.csv"
    _write_landmarks(path, [("a", face), ("b", face)])
    with pytest.raises(DataError, match="image_id.*no row.*'z'"):
        read_landmarks(path, ["a", "z"])
    text = path.read_text().splitlines()
    fields = text[2].split(",")
    fields[5] = "12px"
    path.write_text("\n".join([*text[:2], ",".join(fields)]) + "\n")
    with pytest.raises(DataError, match=r"line 3, column 'x5': value '12px' is not a finite number"):
        read_landmarks(path, ["a", "b"])
    bad_header = [t.replace("y68", "y_68") if i == 0 else t for i, t in enumerate(text)]
    path.write_text("\n".join(bad_header) + "\n")
    with pytest.raises(DataError, match="column 'y68'"):
        read_landmarks(path, ["a"])
    path.write_text("\n".join([*text, text[1]]) + "\n")
    with pytest.raises(DataError, match="line 4.*appears twice"):
        read_landmarks(path, ["a"])


# ---------------------------------------------------------------- synthetic landmarks


def _faces(n, seed, size):
    generator = torch.Generator().manual_seed(seed)
    identity = sample_identity(n, generator)
    au = sample_expressions(torch.arange(n) % len(EMOTIONS), generator, emotions=EMOTIONS)
    return identity, au


def test_synthetic_landmarks_apply_the_renderers_pose_exactly():
    size = 40
    identity, au = _faces(8, 0, size)
    points = synthetic_landmarks(identity.numpy(), au.numpy(), size)
    assert points.shape == (8, len(SYNTHETIC_POINTS), 2)
    # The renderer's own output-pixel -> canonical map, sampled at the landmarks (it is affine in
    # pixels, so bilinear sampling is exact).
    grid = _pose_grid(_geometry(au, identity), size).permute(0, 3, 1, 2).double()
    where = torch.as_tensor((points[:, :28] + 0.5) / size * 2 - 1).unsqueeze(1)
    canonical = F.grid_sample(grid, where, align_corners=False).squeeze(2).permute(0, 2, 1).numpy()
    col = {name: identity[:, IDENTITY_NAMES.index(name)].numpy() for name in IDENTITY_NAMES}
    es, ey, ew = col["eye_spacing"], col["eye_height"], col["eye_size"]
    chin_y = -0.02 + col["face_height"] + 0.12 * au[:, AU_NAMES.index("AU26")].numpy()
    expected = {"eye_centre_left": (-es, ey), "eye_centre_right": (es, ey), "eye_outer_left": (-es - ew, ey),
                "eye_inner_right": (es - ew, ey), "chin": (0 * es, chin_y)}
    for name, (x, y) in expected.items():
        k = SYNTHETIC_POINTS.index(name)
        np.testing.assert_allclose(canonical[:, k], np.stack([x, y], 1), atol=1e-4, err_msg=name)
    edge = size - 0.5
    np.testing.assert_allclose(points[:, 28:], np.broadcast_to([[-0.5, -0.5], [edge, -0.5], [-0.5, edge],
                                                                [edge, edge]], (8, 4, 2)))


def test_synthetic_landmarks_land_on_their_features():
    size = 64
    identity, au = _faces(10, 1, size)
    _, masks = render(au, identity, size=size, noise_std=0.0, return_masks=True)
    masks = masks.numpy()
    points = synthetic_landmarks(identity, au, size)

    def region(*names):
        return masks[:, [AU_NAMES.index(n) for n in names]].any(1)

    checks = [
        (region("AU5", "AU7"), ["eye_centre_left", "eye_centre_right", "eye_top_left", "eye_bottom_right"], True),
        (region("AU12", "AU20"), ["mouth_left", "mouth_right", "mouth_centre"], True),
        (region("AU1", "AU4"), ["brow_inner_left", "brow_inner_right"], True),
        (region("AU2", "AU4"), ["brow_outer_left", "brow_outer_right"], True),
        (region("AU9"), ["nose_tip", "nostril_left", "nostril_right"], True),
        (region("AU26"), ["chin", "lower_lip"], True),
        (region("AU12", "AU20", "AU26"), ["eye_centre_left", "eye_centre_right", "brow_inner_left"], False),
        (region("AU5", "AU1", "AU2"), ["mouth_left", "mouth_right", "nose_tip"], False),
    ]
    for mask, names, wanted in checks:
        for name in names:
            k = SYNTHETIC_POINTS.index(name)
            hits = [_at(mask[i], points[i, k]) for i in range(len(points))]
            assert all(h in (wanted, None) for h in hits), (name, hits)
            assert hits.count(None) <= 2, (name, hits)


def test_synthetic_template_is_the_mean_neutral_face():
    template, shape = synthetic_template(48)
    assert shape == (48, 48) and template.shape == (len(SYNTHETIC_POINTS), 2)
    direct = synthetic_landmarks(neutral_identity(1), torch.zeros(1, len(AU_NAMES)), 48)[0]
    np.testing.assert_array_equal(template, direct)
    mirror = {n: n.replace("left", "right") for n in SYNTHETIC_POINTS if "left" in n}
    for left, right in mirror.items():
        a, b = template[SYNTHETIC_POINTS.index(left)], template[SYNTHETIC_POINTS.index(right)]
        np.testing.assert_allclose([a[0] + b[0], a[1]], [47.0, b[1]], atol=1e-9, err_msg=left)
    with pytest.raises(ValueError, match="au must be"):
        synthetic_landmarks(neutral_identity(1), torch.zeros(1, 3), 48)


# ---------------------------------------------------------------- warping onto the template


def test_warp_with_template_landmarks_is_the_identity():
    template, shape = synthetic_template(32)
    maps = np.random.default_rng(0).random((2, *shape)).astype(np.float32)
    warped = warp_to_template(maps, np.stack([template, template]), template, shape)
    assert warped.shape == (2, *shape) and warped.dtype == np.float32
    np.testing.assert_allclose(warped, maps, atol=1e-5)
    masks = maps > 0.5
    assert warp_to_template(masks, np.stack([template, template]), template, shape, order=0).dtype == bool
    np.testing.assert_array_equal(warp_to_template(masks, np.stack([template] * 2), template, shape, order=0),
                                  masks)


def test_warp_takes_image_landmarks_to_template_landmarks():
    size = 64
    identity, au = _faces(1, 3, size)
    points = synthetic_landmarks(identity, au, size)[0]
    template, shape = synthetic_template(size)
    face = points[:28]
    yy, xx = np.mgrid[:size, :size]
    blobs = np.exp(-((xx - face[:, :1, None]) ** 2 + (yy - face[:, 1:, None]) ** 2) / 2.0)
    warped = warp_to_template(blobs, np.broadcast_to(points, (28, *points.shape)), template, shape)
    peaks = np.array([np.unravel_index(np.argmax(w), shape)[::-1] for w in warped])
    assert np.abs(peaks - template[:28]).max() <= 1.0
    # Without the warp, the posed face's features sit elsewhere.
    assert np.abs(face - template[:28]).max() > 2.0


def test_warp_agrees_with_scikit_image():
    from skimage.transform import PiecewiseAffineTransform, warp

    size = 48
    identity, au = _faces(1, 4, size)
    points = synthetic_landmarks(identity, au, size)[0]
    template, shape = synthetic_template(size)
    image = np.random.default_rng(1).random((size, size))
    ours = warp_to_template(image[None], points[None], template, shape)[0]
    if hasattr(PiecewiseAffineTransform, "from_estimate"):  # scikit-image >= 0.26
        transform = PiecewiseAffineTransform.from_estimate(template, points)
    else:
        transform = PiecewiseAffineTransform()
        assert transform.estimate(template, points)
    theirs = warp(image, transform, order=1, preserve_range=True)
    rows, cols = np.mgrid[:size, :size]
    at = transform(np.stack([cols.ravel(), rows.ravel()], 1)).reshape(size, size, 2)
    on_image = ((at >= 0) & (at <= size - 1)).all(-1)
    assert on_image.mean() > 0.9
    np.testing.assert_allclose(ours[on_image], theirs[on_image], atol=1e-6)


def test_warp_undoes_a_translation_and_scale():
    template, shape = synthetic_template(48)
    scale, shift = 0.8, np.array([5.0, 3.0])
    landmarks = template * scale + shift
    yy, xx = np.mgrid[:48, :48].astype(float)
    image = 0.2 + 0.01 * xx + 0.005 * yy  # bilinear sampling is exact on it
    warped = warp_to_template(image[None], landmarks[None], template, shape)[0]
    inside = (scale * xx + shift[0] <= 47) & (scale * yy + shift[1] <= 47)
    expected = 0.2 + 0.01 * (scale * xx + shift[0]) + 0.005 * (scale * yy + shift[1])
    np.testing.assert_allclose(warped[inside], expected[inside], atol=1e-9)


def test_warp_leaves_zero_outside_the_landmarks_hull():
    template, shape = synthetic_template(48)
    face = template[:28]
    warped = warp_to_template(np.ones((1, *shape)), face[None], face, shape)[0]
    assert warped[0, 0] == 0 and warped[-1, -1] == 0
    assert warped[int(face[15, 1]), int(face[15, 0])] == 1
    with pytest.raises(ValueError, match="landmarks must be"):
        warp_to_template(np.ones((2, *shape)), face[None], face, shape)


# ---------------------------------------------------------------- synthetic ground truth


def test_synthetic_region_masks_follow_the_prototypes():
    size = 48
    regions = synthetic_region_masks(EMOTIONS, size)
    assert set(regions) == set(EMOTIONS) - {"neutral"}
    template, _ = synthetic_template(size)
    point = {name: template[k] for k, name in enumerate(SYNTHETIC_POINTS)}
    assert _at(regions["happiness"], point["mouth_left"]) and _at(regions["happiness"], point["mouth_right"])
    assert not _at(regions["happiness"], point["brow_inner_left"])
    assert _at(regions["anger"], point["brow_inner_left"]) and _at(regions["anger"], point["brow_outer_right"])
    assert not _at(regions["disgust"], point["brow_inner_left"])  # AU4 weighs 0.3 in disgust
    assert _at(synthetic_region_masks(["disgust"], size, min_weight=0.2)["disgust"], point["brow_inner_left"])
    names = sorted(regions)
    assert all((regions[a] != regions[b]).any() for a in names for b in names if a < b)
    assert all(r.dtype == bool and r.shape == (size, size) for r in regions.values())


def test_per_image_region_masks_unite_each_images_prototype_aus():
    rng = np.random.default_rng(0)
    au_masks = rng.random((4, len(AU_NAMES), 6, 6)) > 0.8
    labels = np.array([EMOTIONS.index(e) for e in ("happiness", "neutral", "disgust", "anger")])
    out = per_image_region_masks(au_masks, EMOTIONS, labels)
    happy = [AU_NAMES.index(a) for a in ("AU6", "AU12", "AU25")]
    np.testing.assert_array_equal(out[0], au_masks[0, happy].any(0))
    assert not out[1].any()
    disgust = [AU_NAMES.index(a) for a in ("AU9", "AU15", "AU17")]
    np.testing.assert_array_equal(out[2], au_masks[2, disgust].any(0))
    # On the template face, the per-image regions are the template regions.
    _, masks = render(prototype_matrix(EMOTIONS[1:]), neutral_identity(6), size=32, noise_std=0.0,
                      return_masks=True)
    per_image = per_image_region_masks(masks.numpy(), EMOTIONS, np.arange(1, 7))
    regions = synthetic_region_masks(EMOTIONS, 32)
    for i, emotion in enumerate(EMOTIONS[1:]):
        np.testing.assert_array_equal(per_image[i], regions[emotion])
    with pytest.raises(ValueError, match="label 9"):
        per_image_region_masks(au_masks, EMOTIONS, np.array([0, 1, 2, 9]))
    assert set(PROTOTYPES) >= set(EMOTIONS)
