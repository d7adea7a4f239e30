"""Tests of the synthetic face renderer (varemotion.faces)."""

import numpy as np
import pytest
import torch

from varemotion.emotions import BASIC_EMOTIONS
from varemotion.faces import (
    AU_NAMES,
    IDENTITY_NAMES,
    PROTOTYPES,
    au_index,
    emotion_masks,
    generate_faces,
    identity_index,
    neutral_identity,
    prototype_matrix,
    render,
    sample_expressions,
    sample_identity,
)

N_AU = len(AU_NAMES)


@pytest.fixture(scope="module")
def identities():
    ident = sample_identity(12, torch.Generator().manual_seed(0))
    ident[0] = neutral_identity(1)[0]
    return ident


def _centroid(mask):
    """(row, col) centroid of a bool (H, W) mask."""
    rows, cols = torch.nonzero(mask, as_tuple=True)
    return rows.float().mean().item(), cols.float().mean().item()


def test_au_names_and_prototypes():
    assert AU_NAMES[:4] == ("AU1", "AU2", "AU4", "AU5")
    assert len(set(AU_NAMES)) == N_AU == 14
    assert set(BASIC_EMOTIONS) <= set(PROTOTYPES)
    assert PROTOTYPES["neutral"] == {}
    for emotion, proto in PROTOTYPES.items():
        assert set(proto) <= set(AU_NAMES), emotion
        assert all(0 < w <= 1 for w in proto.values()), emotion
    assert PROTOTYPES["happiness"]["AU12"] == 1.0
    with pytest.raises(ValueError):
        prototype_matrix(["nonsense"])


def test_render_shapes_dtype_range(identities):
    au = sample_expressions(torch.arange(12) % 7, torch.Generator().manual_seed(1))
    img, masks = render(au, identities, size=48, return_masks=True,
                        generator=torch.Generator().manual_seed(2))
    assert img.shape == (12, 1, 48, 48) and img.dtype == torch.float32
    assert masks.shape == (12, N_AU, 48, 48) and masks.dtype == torch.bool
    assert img.min() >= 0 and img.max() <= 1
    assert img.std() > 0.05
    # every AU region is non-empty for every face
    assert masks.flatten(2).any(-1).all()
    small = render(au[:2], identities[:2], size=32)
    assert small.shape == (2, 1, 32, 32)
    with pytest.raises(ValueError):
        render(au[:, :5], identities)


def test_expression_sampling(identities):
    gen = torch.Generator().manual_seed(3)
    labels = torch.arange(700) % 7
    au = sample_expressions(labels, gen)
    assert au.shape == (700, N_AU) and au.min() >= 0 and au.max() <= 1
    proto = prototype_matrix()[labels]
    on = au[proto > 0].mean()
    off = au[proto == 0].mean()
    assert on > 0.3 and 0 < off < 0.15
    # neutral faces activate nothing systematically
    assert au[labels == 0].mean() < 0.15
    sharp = sample_expressions(labels, gen, intensity=(1, 1), jitter=0, dropout=0)
    assert torch.equal(sharp, proto.clamp(0, 1))


def test_gradients_reach_every_au(identities):
    au = torch.full((len(identities), N_AU), 0.5, requires_grad=True)
    img, masks = render(au, identities, noise_std=0.0, return_masks=True)
    for i, name in enumerate(AU_NAMES):
        (grad,) = torch.autograd.grad((img[:, 0] * masks[:, i]).sum(), au, retain_graph=True)
        assert (grad[:, i].abs() > 1e-6).all(), name
    ident = identities.clone().requires_grad_(True)
    render(au.detach(), ident, noise_std=0.0).sum().backward()
    for name in ("eye_spacing", "mouth_width", "skin_tone", "shift_x", "rotation"):
        assert ident.grad[:, identity_index(name)].abs().sum() > 0, name


def test_masks_cover_the_right_regions(identities):
    au = torch.zeros(len(identities), N_AU)
    _, masks = render(au, identities, noise_std=0.0, return_masks=True)
    for face in range(len(identities)):
        m = masks[face]
        cy = {name: _centroid(m[au_index(name)])[0] for name in AU_NAMES}
        for upper in ("AU1", "AU2", "AU4", "AU5"):
            assert cy[upper] < 24, upper
        for lower in ("AU12", "AU15", "AU17", "AU20", "AU23", "AU25", "AU26"):
            assert cy[lower] > 24, lower
        assert cy["AU4"] < cy["AU5"] < cy["AU9"] < cy["AU12"] < cy["AU17"]
    # In the upright neutral face, the AU1 region lies nearer the midline than the AU2 region.
    m = masks[0]
    cols = torch.arange(48).float().sub(23.5).abs()
    dist = {name: cols[torch.nonzero(m[au_index(name)])[:, 1]].mean().item()
            for name in ("AU1", "AU2")}
    assert dist["AU1"] + 3 < dist["AU2"]
    assert not m[au_index("AU1")].any(0)[:4].any()  # nothing at the left image edge


def test_masks_follow_pose():
    ident = neutral_identity(2)
    ident[1, identity_index("shift_x")] = 0.08
    ident[1, identity_index("shift_y")] = -0.08
    _, masks = render(torch.zeros(2, N_AU), ident, noise_std=0.0, return_masks=True)
    for i in range(N_AU):
        (r0, c0), (r1, c1) = _centroid(masks[0, i]), _centroid(masks[1, i])
        assert c1 - c0 == pytest.approx(0.08 * 24, abs=0.75)
        assert r1 - r0 == pytest.approx(-0.08 * 24, abs=0.75)


def test_au_changes_stay_inside_their_region(identities):
    base = torch.zeros(len(identities), N_AU)
    img0, m0 = render(base, identities, noise_std=0.0, return_masks=True)
    for i, name in enumerate(AU_NAMES):
        au = base.clone()
        au[:, i] = 1.0
        img1, m1 = render(au, identities, noise_std=0.0, return_masks=True)
        change = (img1 - img0).abs()[:, 0]
        inside = (change * (m0[:, i] | m1[:, i])).sum((1, 2))
        assert (change.sum((1, 2)) > 0.5).all(), name
        assert (inside / change.sum((1, 2)) > 0.7).all(), name


def test_render_noise_uses_generator(identities):
    au = torch.zeros(len(identities), N_AU)
    a = render(au, identities, generator=torch.Generator().manual_seed(5))
    b = render(au, identities, generator=torch.Generator().manual_seed(5))
    c = render(au, identities, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_generate_faces_deterministic_and_balanced():
    a = generate_faces(70, seed=11, with_masks=True, batch_size=32)
    b = generate_faces(70, seed=11, with_masks=True, batch_size=32)
    c = generate_faces(70, seed=12)
    assert a["images"].dtype == np.uint8 and a["images"].shape == (70, 48, 48)
    assert a["labels"].dtype == np.int64 and a["au"].dtype == np.float32
    assert a["identity"].shape == (70, len(IDENTITY_NAMES))
    assert a["au_masks"].shape == (70, N_AU, 48, 48) and a["au_masks"].dtype == bool
    for key in a:
        assert np.array_equal(a[key], b[key]), key
    assert not np.array_equal(a["images"], c["images"])
    assert np.bincount(a["labels"], minlength=7).tolist() == [10] * 7
    assert not np.array_equal(a["labels"], np.arange(70) % 7)  # shuffled
    assert "au_masks" not in c


def test_emotion_masks():
    data = generate_faces(14, seed=3, with_masks=True)
    masks = emotion_masks(data["au_masks"], data["labels"])
    assert masks.shape == (14, 48, 48) and masks.dtype == bool
    for row, label in enumerate(data["labels"]):
        proto = PROTOTYPES[BASIC_EMOTIONS[label]]
        expected = np.zeros((48, 48), bool)
        for au in proto:
            expected |= data["au_masks"][row, au_index(au)]
        assert np.array_equal(masks[row], expected)
        assert masks[row].any() == bool(proto)
