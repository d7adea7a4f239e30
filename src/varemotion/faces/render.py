"""Batched, differentiable renderer of grey synthetic faces from action units and identity.

Every shape is an analytic soft (sigmoid-edged) field. Faces are drawn in a canonical frame
(x, y in [-1, 1], y down, face centred), where identity ranges bound each feature to a fixed band
of rows, so features are computed on those bands only. The pose (translation, rotation, scale)
is then applied to image and AU-region masks alike with one affine resampling, so masks follow
geometry and pose exactly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from varemotion.faces.action_units import AU_NAMES
from varemotion.faces.identity import IDENTITY_NAMES, IDENTITY_RANGES, clamp_identity

#: Default standard deviation of the Gaussian pixel noise.
DEFAULT_NOISE_STD = 0.03

_HEAD_CY = -0.02     # canonical y of the head centre
_JAW_DROP = 0.12     # how far AU26 at 1 lowers the jaw, lower lip and chin
_LIPS_PART = 0.05    # lip gap of AU25 at 1


def _lo(name):
    return IDENTITY_RANGES[name][0]


def _hi(name):
    return IDENTITY_RANGES[name][1]


# Row bands (canonical y) that bound each feature for every identity and AU setting.
_BROW_BAND = (_lo("eye_height") - _hi("brow_height") - 0.22,
              _hi("eye_height") - _lo("brow_height") + 0.18)
_HAIR_BAND = (-1.0, _HEAD_CY - 0.64 * _lo("face_height") + 0.42)
_EYE_BAND = (_lo("eye_height") - 0.16, _hi("eye_height") + 0.36)
_NOSE_BAND = (_lo("eye_height") - 0.04, _hi("eye_height") + _hi("nose_length") + 0.08)
_MOUTH_BAND = (_lo("eye_height") + _lo("nose_length") - 0.04, 1.0)


def _step(d, k):
    return torch.sigmoid(k * d)


def _gauss(d, width):
    u = d / width
    return torch.exp(-u * u)


def _lerp(img, color, alpha):
    return img + alpha * (color - img)


def _shade(img, terms):
    """img * (1 + sum_i fy_i * fx_i) for separable terms (fy (N, R, 1), fx (N, 1, W))."""
    total = None
    for fy, fx in terms:
        total = fy * fx if total is None else total.addcmul_(fy, fx) if not total.requires_grad \
            else total + fy * fx
    return img + img * total


def _rows(band, size):
    """Row slice of the canonical grid covering canonical y in `band`."""
    r0 = max(0, math.floor((band[0] + 1) / 2 * size))
    r1 = min(size, math.ceil((band[1] + 1) / 2 * size))
    return r0, r1


def _geometry(au, identity):
    """Per-face (N, 1, 1) tensors: AU activations and identity parameters, by name."""
    n = au.shape[0]
    g = {name: au[:, i].view(n, 1, 1) for i, name in enumerate(AU_NAMES)}
    ident = clamp_identity(identity)
    g.update({name: ident[:, i].view(n, 1, 1) for i, name in enumerate(IDENTITY_NAMES)})
    g["brow_y"] = g["eye_height"] - g["brow_height"]
    g["nose_y"] = g["eye_height"] + g["nose_length"]
    g["jaw_drop"] = _JAW_DROP * g["AU26"]
    g["chin_y"] = _HEAD_CY + g["face_height"] + g["jaw_drop"]
    return g


def _head_width(y, g):
    """Half-width of the head at canonical rows y (N, R, 1); AU26 stretches rows below the mouth."""
    my = g["mouth_height"]
    ramp = ((y - my + 0.06) / 0.12).clamp(0.0, 1.0)
    yw = y - g["jaw_drop"] * ramp  # rows below the mouth read the undropped head shape
    fh, fw, jaw = g["face_height"], g["face_width"], g["jaw_width"]
    t = (yw - _HEAD_CY) / fh
    circ = (1 - t * t).clamp(min=1e-4).sqrt()
    lower = jaw + (1 - jaw) * (1 - t * t).clamp(min=0.0)
    return fw * torch.where(t > 0, circ * lower, circ) - 0.02 * (t.abs() > 1)


def _draw_head(x, y, g, k):
    """Background, neck and the head with soft shading towards its outline (full grid)."""
    skin, bg = g["skin_tone"], g["background_tone"]
    ax = x.abs()
    neck = _step(0.3 * g["face_width"] - ax, k) * _step(y - 0.35, k)
    img = _lerp(bg, skin * 0.72, neck)
    w = _head_width(y, g)
    head = torch.sigmoid(k * w - k * ax)
    r = ax * (1 / w.clamp(min=0.05))
    r = (r * r).clamp(max=1.0)
    return _lerp(img, skin - (0.22 * skin) * (r * r), head)


def _draw_hair(img, x, y, g, k):
    """A hair cap slightly larger than the skull, above a hairline dipping at the temples."""
    fw, fh, hair = g["face_width"], g["face_height"], g["hair_tone"]
    ty = ((y - _HEAD_CY) / (fh + 0.07)).clamp(max=0.0)
    cap = (fw + 0.05) * (1 - ty * ty).clamp(min=1e-4).sqrt()
    hairline = _HEAD_CY - 0.64 * fh + 0.3 * (x / fw) ** 2
    hair_a = torch.sigmoid(k * cap - k * x.abs()) * torch.sigmoid(k * hairline - k * y)
    return _lerp(img, hair + 0.1 * (1 - ty * ty) * hair, hair_a)


def _brow_curve(ax, g):
    """Brow centre line y(|x|), its thickness and its horizontal extent (all (N, 1, W))."""
    es, ew = g["eye_spacing"], g["eye_size"]
    a1, a2, a4 = g["AU1"], g["AU2"], g["AU4"]
    x_in = es - 0.95 * ew - 0.05 * a4
    x_out = es + 1.25 * ew
    t = ((ax - x_in) / (x_out - x_in)).clamp(0.0, 1.0)
    # AU1 lifts the inner end, AU2 the outer end, each with a profile local to its end.
    lift = 0.12 * a1 * (1 - t) ** 2 + 0.11 * a2 * t ** 2
    lower = 0.08 * a4 * (1 - 0.7 * t)
    arch = (0.035 + 0.02 * a2) * 4 * t * (1 - t)
    yc = g["brow_y"] + 0.015 * (1 - t) + 0.03 * t - arch - lift + lower
    thick = g["brow_thickness"] * (1 - 0.45 * t)
    extent = _step(ax - x_in, k=100.0) * _step(x_out - ax, k=100.0)
    return yc, thick, extent


def _draw_brows(img, x, y, g, k):
    """Eyebrows as thick curved strokes, plus the AU4 glabella furrows between them."""
    ax = x.abs()
    yc, thick, extent = _brow_curve(ax, g)
    brow = torch.sigmoid(k * thick / 2 - (k * y - k * yc).abs()) * (0.9 * extent)
    color = (0.15 + 0.6 * g["hair_tone"]) * g["skin_tone"] / 0.65
    img = _lerp(img, color, brow)
    # Glabella: two short vertical furrows at the inner brow ends, darker with AU4.
    fx = _step(0.025 - (ax - 0.045).abs(), k)
    by = g["brow_y"]
    fy = _step(y - by + 0.02, k) * _step(by + 0.1 - y, k) * (-0.35 * g["AU4"])
    return _shade(img, [(fy, fx)])


def _eye_lids(ax, g):
    """Upper and lower lid curves (N, 1, W) and the horizontal eye profile."""
    t = (ax - g["eye_spacing"]) / g["eye_size"]
    p = (1 - t * t).clamp(min=0.0)
    # AU5 raises the upper lid; AU7 tightens and AU6 pushes up the lower lid.
    up = 0.05 * (1 + 0.9 * g["AU5"]) * p
    low = 0.038 * (1 - 0.75 * g["AU7"] - 0.4 * g["AU6"]) * p
    ey = g["eye_height"]
    return ey - up, ey + low, p


def _draw_eyes(img, x, y, g, k):
    """Sockets, almond eyes with irises, lash lines and cheeks (AU5, AU6, AU7)."""
    ax, ey, es, ew, skin = x.abs(), g["eye_height"], g["eye_spacing"], g["eye_size"], g["skin_tone"]
    a6, a7 = g["AU6"], g["AU7"]
    y_up, y_low, p = _eye_lids(ax, g)
    img = _shade(img, [
        # socket shadow between brow and eye
        (-0.16 * _gauss(y - ey + 0.06, 0.07), _gauss(ax - es, 1.3 * ew)),
        # cheek highlight, lifted and brightened by AU6
        ((0.04 + 0.22 * a6) * _gauss(y - ey - 0.2 + 0.05 * a6, 0.07), _gauss(ax - es - 0.02, 0.13)),
        # crow's feet at the outer eye corners (AU6)
        (-0.25 * a6 * (1 - ((y - ey) / 0.04) ** 2).clamp(min=0.0),
         _step(0.05 - (ax - es - ew - 0.05).abs(), k)),
        # tension line under the tightened lower lid (AU7)
        (-0.4 * a7 * _gauss(y - ey - 0.05 + 0.02 * a7, 0.02), p),
    ])
    inside = _step(ew - (ax - es).abs(), k)
    ky, kup, klow = k * y, k * y_up, k * y_low
    opening = torch.sigmoid(ky - kup) * torch.sigmoid(klow - ky) * inside
    iris = _gauss(y - ey - 0.004, 0.045) ** 2 * _gauss(ax - es, 0.045) ** 2
    sclera = 0.55 + 0.35 * skin
    img = _lerp(img, sclera + (0.08 - sclera) * iris, opening)
    # Dark lash line along the upper lid.
    lash = torch.sigmoid(0.022 * k - (ky - kup + 0.008 * k).abs()) * (0.85 * inside)
    return _lerp(img, 0.08, lash)


def _draw_nose(img, x, y, g, k):
    """Nose bridge shading, nostrils and the AU9 wrinkles across the bridge (all separable)."""
    ax, ey, a9 = x.abs(), g["eye_height"], g["AU9"]
    ny = g["nose_y"] - 0.03 * a9
    nw = g["nose_width"] * (1 + 0.2 * a9)
    along = _step(y - ey - 0.05, k / 2) * _step(ny - 0.02 - y, k / 2)
    band = _step(y - ey + 0.02, k) * _step(ey + 0.14 - y, k)
    ridges = 0.5 + 0.5 * torch.cos((y - ey) * (2 * math.pi / 0.075))
    return _shade(img, [
        (-0.12 * along, _gauss(ax - 0.06, 0.025)),                      # sides of the bridge
        (-0.2 * _gauss(y - ny + 0.015, 0.04), _gauss(ax - nw, 0.04)),   # nose wings
        (-0.55 * _gauss(y - ny, 0.02), _gauss(ax - 0.55 * nw, 0.035)),  # nostrils
        (0.08 * _gauss(y - ny + 0.04, 0.05), _gauss(ax, 0.06)),         # tip highlight
        (-a9 * band * (0.18 + 0.3 * ridges), _step(0.1 - ax, k)),       # AU9 wrinkles
    ])


def _mouth_shape(ax, g):
    """Lip boundaries b0 <= b1 <= b2 <= b3 (N, 1, W) and half-width of the mouth."""
    a12, a15, a20, a23 = g["AU12"], g["AU15"], g["AU20"], g["AU23"]
    half = g["mouth_width"] * (1 + 0.12 * a12 + 0.3 * a20 - 0.12 * a23)
    s = (ax / half).clamp(max=1.5)
    q = (1 - s * s).clamp(min=0.0)
    corner = -0.085 * a12 + 0.07 * a15 + 0.02 * a20
    yc = g["mouth_height"] + corner * s * s
    lt = g["lip_thickness"] * (1 - 0.65 * a23 - 0.25 * a20) * q.sqrt()
    gap = (_LIPS_PART * g["AU25"] + g["jaw_drop"]) * q ** 0.6
    b2 = yc + gap - 0.015 * g["AU17"] * q
    return yc - 0.8 * lt, yc, b2, b2 + lt, half


def _draw_mouth(img, x, y, g, k):
    """Lips, the dark mouth gap with teeth, smile folds (AU12), chin boss (AU17)."""
    ax, skin, a17 = x.abs(), g["skin_tone"], g["AU17"]
    b0, b1, b2, b3, half = _mouth_shape(ax, g)
    ny, my, nw = g["nose_y"], g["mouth_height"], g["nose_width"]
    # Nasolabial folds from the nose wings to the mouth corners, deepened by AU12.
    fy = ((y - ny) / (my - ny)).clamp(0.0, 1.0)
    fold_x = nw + 0.04 + fy * (half + 0.03 - nw)
    fold_y = _step(y - ny - 0.03, k) * _step(my - y, k) * (0.03 + 0.2 * g["AU12"])
    img = img * (1 - _gauss(ax - fold_x, 0.025) * fold_y)
    lip_bottom = my + g["lip_thickness"] + _LIPS_PART * g["AU25"] + g["jaw_drop"]
    img = _shade(img, [
        # chin boss highlight and the crease under the lower lip, both deepened by AU17
        ((0.03 + 0.18 * a17) * _gauss(y - g["chin_y"] + 0.14, 0.07), _gauss(ax, 0.13)),
        (-(0.05 + 0.3 * a17) * _gauss(y - lip_bottom - 0.04 + 0.02 * a17, 0.02), _gauss(ax, 0.1)),
        # shadows below the mouth corners pulled down by AU15
        (-0.3 * g["AU15"] * _gauss(y - my - 0.06, 0.05), _gauss(ax - half, 0.04)),
    ])
    ext = _step(half - ax, k)
    ky = k * y
    kb0, kb1, kb2, kb3 = k * b0, k * b1, k * b2, k * b3
    lips = torch.sigmoid(ky - kb0) * torch.sigmoid(kb3 - ky) * ext
    img = _lerp(img, skin * 0.68, lips)
    gap = torch.sigmoid(ky - kb1) * torch.sigmoid(kb2 - ky) * ext
    teeth = torch.sigmoid(kb1 + 0.035 * k - ky)
    img = _lerp(img, 0.07 + (0.78 + 0.1 * skin) * teeth, gap)
    line = _gauss(y - b1, 0.018) * (ext * (0.5 + 0.3 * g["AU23"]))
    return img - img * line


def _render_canonical(g, size):
    """(N, size, size) face images in the canonical (unposed) frame."""
    n = g["AU1"].shape[0]
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    x = coords.view(1, 1, size)
    k = 1.6 * size
    img = _draw_head(x, coords.view(1, size, 1), g, k).expand(n, size, size)
    for band, draw in ((_HAIR_BAND, _draw_hair), (_BROW_BAND, _draw_brows), (_EYE_BAND, _draw_eyes),
                       (_NOSE_BAND, _draw_nose), (_MOUTH_BAND, _draw_mouth)):
        r0, r1 = _rows(band, size)
        y = coords[r0:r1].view(1, -1, 1)
        mid = draw(img[:, r0:r1], x, y, g, k)
        img = torch.cat([img[:, :r0], mid, img[:, r1:]], dim=1)
    return img


def _pose_grid(g, size):
    """(N, size, size, 2) sampling grid mapping output pixels to canonical coordinates.

    Inverse pose q = R(-rotation) (p - shift) / scale; built directly rather than with
    F.affine_grid, whose batched matmul is slow on CPU.
    """
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    px = coords.view(1, 1, size) - g["shift_x"]
    py = coords.view(1, size, 1) - g["shift_y"]
    c, s = torch.cos(g["rotation"]) / g["scale"], torch.sin(g["rotation"]) / g["scale"]
    return torch.stack([c * px + s * py, c * py - s * px], -1)


def _region_masks(g, size):
    """(N, n_au, size, size) float {0, 1} AU-region masks in the canonical frame."""
    coords = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    x, y = coords.view(1, 1, size), coords.view(1, size, 1)
    ax = x.abs()

    def box(x0, x1, y0, y1):
        return (ax >= x0) & (ax <= x1) & (y >= y0) & (y <= y1)

    es, ew, ey, by = g["eye_spacing"], g["eye_size"], g["eye_height"], g["brow_y"]
    x_in, x_out = es - 0.95 * ew - 0.05, es + 1.25 * ew
    x_a, x_b = x_in + 0.62 * (x_out - x_in), x_in + 0.38 * (x_out - x_in)
    ny, nw, my, mw = g["nose_y"], g["nose_width"], g["mouth_height"], g["mouth_width"]
    jd, cy = g["jaw_drop"], g["chin_y"]
    head = (_head_width(y, g) + 0.06 - ax >= 0) & (y <= cy + 0.06)
    regions = {
        "AU1": box(0.0, x_a, by - 0.19, by + 0.07),
        "AU2": box(x_b, x_out + 0.06, by - 0.2, by + 0.08),
        "AU4": box(0.0, x_out + 0.05, by - 0.08, by + 0.13),
        "AU5": box(es - ew - 0.04, es + ew + 0.04, ey - 0.15, ey + 0.02),
        "AU6": box(es - ew - 0.04, es + ew + 0.14, ey - 0.05, ey + 0.32),
        "AU7": box(es - ew - 0.04, es + ew + 0.04, ey - 0.02, ey + 0.1),
        "AU9": box(0.0, nw + 0.08, ey - 0.06, ny + 0.06),
        "AU12": box(0.0, 1.3 * mw + 0.1, ny - 0.02, my + 0.13),
        "AU15": box(0.0, mw + 0.08, my - 0.1, my + 0.15),
        "AU17": box(0.0, mw + 0.04, my + 0.02 + jd, cy - 0.02),
        "AU20": box(0.0, 1.3 * mw + 0.08, my - 0.1, my + 0.14),
        "AU23": box(0.0, mw + 0.06, my - 0.1, my + 0.12),
        "AU25": box(0.0, mw + 0.06, my - 0.1, my + 0.14 + jd),
        "AU26": head & (y >= my - 0.1),
    }
    return torch.stack([regions[name] for name in AU_NAMES], 1).float()


def render(au, identity, size=48, noise_std=DEFAULT_NOISE_STD, generator=None,
           return_masks=False):
    """Render faces (N, 1, size, size) in [0, 1] from AUs (N, n_au) and identities (N, n_id).

    Differentiable w.r.t. `au` and `identity`. Pixel noise N(0, noise_std) is drawn from
    `generator`. With `return_masks`, also returns bool AU-region masks (N, n_au, size, size)
    in image coordinates.
    """
    au = torch.as_tensor(au, dtype=torch.float32)
    identity = torch.as_tensor(identity, dtype=torch.float32)
    if au.ndim != 2 or au.shape[1] != len(AU_NAMES):
        raise ValueError(f"au must be (N, {len(AU_NAMES)}), got {tuple(au.shape)}")
    if identity.shape != (au.shape[0], len(IDENTITY_NAMES)):
        raise ValueError(f"identity must be ({au.shape[0]}, {len(IDENTITY_NAMES)}), "
                         f"got {tuple(identity.shape)}")
    g = _geometry(au.clamp(0.0, 1.0), identity)
    canon = _render_canonical(g, size).unsqueeze(1)
    grid = _pose_grid(g, size)
    img = F.grid_sample(canon, grid, mode="bilinear", padding_mode="border",
                        align_corners=False)
    if noise_std > 0:
        noise = torch.randn(img.shape, generator=generator, device=img.device)
        img = img + noise_std * noise
    img = img.clamp(0.0, 1.0)
    if not return_masks:
        return img
    masks = F.grid_sample(_region_masks(g, size), grid, mode="bilinear",
                          padding_mode="zeros", align_corners=False) > 0.5
    return img, masks
