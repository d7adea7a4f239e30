"""Identity parameters of the synthetic faces: face shape, feature geometry, tones and pose.

Values are in natural units of the renderer's canonical frame, where the image spans
[-1, 1] in x (left to right) and y (top to bottom) and the face is centred at the origin.
"""

from __future__ import annotations

import torch

#: (name, low, high): the range each identity parameter is sampled from and clamped to.
IDENTITY_SPEC = (
    ("face_width", 0.62, 0.76),       # half-width of the head
    ("face_height", 0.80, 0.90),      # half-height of the head (elongation)
    ("jaw_width", 0.50, 0.80),        # width at the chin relative to the cheeks
    ("eye_spacing", 0.25, 0.31),      # half the distance between the eye centres
    ("eye_height", -0.16, -0.07),     # y of the eye centres
    ("eye_size", 0.10, 0.13),         # half-width of an eye
    ("brow_height", 0.14, 0.19),      # distance of the brow above the eye centre
    ("brow_thickness", 0.055, 0.08),  # stroke thickness of the brows
    ("nose_length", 0.25, 0.33),      # from eye level to the nostrils
    ("nose_width", 0.08, 0.12),       # half-width of the nostrils
    ("mouth_width", 0.18, 0.24),      # half-width of the mouth
    ("mouth_height", 0.38, 0.46),     # y of the mouth line
    ("lip_thickness", 0.04, 0.06),    # height of the lower lip (upper is 0.8 of it)
    ("skin_tone", 0.50, 0.80),        # grey level of the skin
    ("background_tone", 0.05, 0.95),  # grey level of the background
    ("hair_tone", 0.05, 0.45),        # grey level of hair and brows
    ("shift_x", -0.08, 0.08),         # pose: translation (image half-widths)
    ("shift_y", -0.08, 0.08),
    ("rotation", -0.15, 0.15),        # pose: in-plane rotation (radians)
    ("scale", 0.90, 1.08),            # pose: zoom
)

#: Column names of identity tensors.
IDENTITY_NAMES = tuple(name for name, _, _ in IDENTITY_SPEC)

#: name -> (low, high).
IDENTITY_RANGES = {name: (lo, hi) for name, lo, hi in IDENTITY_SPEC}


def identity_index(name: str) -> int:
    """Column of identity parameter `name` in identity tensors."""
    return IDENTITY_NAMES.index(name)


def _bounds() -> tuple[torch.Tensor, torch.Tensor]:
    lo = torch.tensor([lo for _, lo, _ in IDENTITY_SPEC])
    hi = torch.tensor([hi for _, _, hi in IDENTITY_SPEC])
    return lo, hi


def neutral_identity(n: int = 1) -> torch.Tensor:
    """(n, n_identity): every parameter at the middle of its range, no pose change."""
    lo, hi = _bounds()
    ident = ((lo + hi) / 2).expand(n, -1).clone()
    for name, value in (("shift_x", 0.0), ("shift_y", 0.0), ("rotation", 0.0), ("scale", 1.0)):
        ident[:, identity_index(name)] = value
    return ident


def sample_identity(n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """(n, n_identity) random identities; each parameter triangular on its range (mid favoured)."""
    lo, hi = _bounds()
    u = torch.rand(n, len(IDENTITY_NAMES), 2, generator=generator).mean(-1)
    ident = lo + (hi - lo) * u
    # Background stays far enough from the skin for the outline to be visible.
    skin = ident[:, identity_index("skin_tone")]
    bg = ident[:, identity_index("background_tone")]
    too_close = (bg - skin).abs() < 0.12
    ident[:, identity_index("background_tone")] = torch.where(
        too_close, torch.where(skin > 0.6, skin - 0.35, skin + 0.3), bg)
    return ident


def clamp_identity(identity: torch.Tensor) -> torch.Tensor:
    """Clamp every column to its range (the renderer relies on these bounds)."""
    lo, hi = _bounds()
    return torch.maximum(torch.minimum(identity, hi.to(identity)), lo.to(identity))
