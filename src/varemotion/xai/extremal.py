"""Extremal Perturbation (Fong, Patrick & Vedaldi, ICCV 2019): the smallest smooth regions that keep a class.

For each image and each area fraction ``a``, the method looks for a smooth mask ``m`` in [0, 1]
covering about ``a`` of the image whose *preserve* perturbation ``x·m + blur(x)·(1 − m)`` keeps the
target class's score as high as possible. As in the paper (and its reference code, TorchRay):

- the perturbation baseline is the image blurred by a Gaussian (``blur_sigma``, by default the
  paper's 20 px at 224 px scaled to the image size);
- the mask is a smooth max of blobs, one per parameter on a grid every ``step`` pixels, each
  scaled by its parameter in [0, 1], so masks are unions of smooth blobs (the paper's smooth mask
  generator). The blob of a parameter at offset ``(dy, dx)`` is ``k(dy)·k(dx)`` with the paper's
  flat-topped kernel ``k(d) = exp(−2·max(|d|/σ − ½, 0)²)`` (applied along rows and columns rather
  than to the radial distance), and the smooth max is the power mean of order 20 (the paper's
  smooth max has temperature 1/20): ``m(u) = (Σ_i (p_i·k_i(u))^20 / c)^(1/20)``, where ``c`` is
  the largest sum that parameters of all ones reach, so masks stay within [0, 1] and a cluster of
  parameters at 1 makes a plateau at 1 (a lone parameter's blob peaks a little lower, at 0.88 for
  σ = 3 steps). Because the kernel factorises, the sum is two small matrix products, and its cost
  does not grow with the kernel's area;
- masks live on a canvas that extends the image by 2σ, and the area loss sees the whole canvas:
  a blob at the image border pays for its soft edge like any other;
- the area constraint is the ranking loss: the sorted canvas mask values are compared with a
  reference of ``a·H·W`` ones after zeros (computed without the sort, see :func:`area_loss`),
  and the mean squared difference is weighted by λ that grows geometrically during the
  optimisation, from ``area_weight`` by ``area_growth`` (the paper's 300, growing by 1.0035 per
  step for 800 steps, is a growth of ×16);
- the reward is the target's logit (TorchRay's reward for the preserve variant); the parameters
  start at 1 (the whole image kept), are optimised by SGD with momentum 0.9 (TorchRay's, with
  equal dampening), and are clamped to [0, 1] after each step.

The masks of all images and all areas are optimised together as one batch: one forward and one
backward pass per iteration. Every loss term belongs to one mask and SGD updates each parameter
from its own gradient, so the batch gives each mask the optimisation it would get alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from varemotion.models.modes import eval_mode
from varemotion.xai.saliency import stretched

ORDER = 20  # of the power mean that stands for the max
FLOOR = 1e-3  # added to the parameters: keeps every power positive, so gradients reach parameters at 0
SMALLEST = 1e-100  # powered kernel values below are dropped: products stay clear of slow subnormal numbers
TIE = 1e-6  # mask values closer than this count as equal in the area loss (rounding differs between pixels)


def gaussian_blur(images: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (N, C, H, W) images, edges replicated."""
    radius = max(1, math.ceil(3 * sigma))
    offsets = torch.arange(-radius, radius + 1, dtype=images.dtype, device=images.device)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    kernel = kernel / kernel.sum()
    n, c, h, w = images.shape
    x = images.reshape(n * c, 1, h, w)
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
    x = F.conv2d(F.pad(x, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
    return x.reshape(n, c, h, w)


class SmoothMaskGenerator:
    """Masks on a canvas (B, 1, H + 2·margin, W + 2·margin) from parameters (B, 1, ceil(H/step), ceil(W/step)).

    Parameter (i, j) sits at the centre of the grid cell of pixels [i·step, (i+1)·step) ×
    [j·step, (j+1)·step). Computed in float64, where 20th powers of small values stay representable.
    """

    def __init__(self, shape: tuple[int, int], step: int, sigma: float, device=None):
        self.shape, self.step = tuple(shape), int(step)
        self.margin = math.ceil(2 * sigma)  # the kernel is below 0.012 beyond 2σ
        self.grid = tuple(math.ceil(size / self.step) for size in self.shape)
        self.canvas = tuple(size + 2 * self.margin for size in self.shape)
        self.rows, self.columns = (self._powered_kernel(size, cells, sigma).to(device)
                                   for size, cells in zip(self.shape, self.grid))
        # the largest total that parameters of all ones reach: dividing by it keeps masks within [0, 1]
        self.scale = (self.rows.sum(dim=1).amax() * self.columns.sum(dim=1).amax()).item() * (1 + FLOOR) ** ORDER

    def _powered_kernel(self, size: int, cells: int, sigma: float) -> torch.Tensor:
        """k^ORDER along one axis: (canvas pixels, grid points)."""
        pixels = torch.arange(-self.margin, size + self.margin, dtype=torch.float64)
        points = torch.arange(cells, dtype=torch.float64) * self.step + (self.step - 1) / 2
        beyond_top = ((pixels[:, None] - points[None, :]).abs() / sigma - 0.5).clamp(min=0)
        powered = torch.exp(-2 * ORDER * beyond_top**2)
        return torch.where(powered >= SMALLEST, powered, 0)

    def __call__(self, params: torch.Tensor) -> torch.Tensor:
        powered = (params.double() + FLOOR) ** ORDER
        total = self.rows @ powered @ self.columns.T  # the kernel's rows and columns apart
        # the root as exp(log / ORDER): the logarithm needs float64, the rest fits the masks' dtype
        return torch.log(total / self.scale + SMALLEST**3).to(params.dtype).div(ORDER).exp()

    def image(self, masks: torch.Tensor) -> torch.Tensor:
        """The image part (B, 1, H, W) of canvas masks."""
        m = self.margin
        return masks[:, :, m : m + self.shape[0], m : m + self.shape[1]]


def area_loss(canvas: torch.Tensor, areas: Sequence[float], image_pixels: int) -> torch.Tensor:
    """The ranking loss (N·A,) of canvas masks (N·A, P), mask n·A + i with area fraction areas[i].

    The paper compares the sorted mask values with a reference of zeros followed by K = a·H·W
    ones. That sum of squares needs only each mask's K-th largest value v: values above v are
    compared with 1, values below with 0. Values within :data:`TIE` of v share the reference of
    the ranks they occupy, so none of them is singled out by the order a sort would put them in
    (masks start out flat).
    """
    values = canvas.flatten(1).view(-1, len(areas), canvas[0].numel())
    reference = torch.zeros_like(values)
    with torch.no_grad():
        for i, area in enumerate(areas):
            ones = max(1, round(image_pixels * area))
            row = values[:, i]
            kth = row.kthvalue(row.shape[1] - ones + 1, dim=1, keepdim=True).values
            above, band = row > kth + TIE, (row - kth).abs() <= TIE
            share = (ones - above.sum(dim=1, keepdim=True)) / band.sum(dim=1, keepdim=True)
            reference[:, i] = torch.where(above, 1.0, torch.where(band, share.to(row.dtype), 0.0))
    return ((values - reference) ** 2).mean(dim=2).flatten()


def _check(images: torch.Tensor, targets: torch.Tensor, areas: Sequence[float], iterations: int, step, sigma,
           blur_sigma) -> None:
    if images.ndim != 4:
        raise ValueError(f"images must have shape (N, C, H, W), got {tuple(images.shape)}")
    if targets.shape != (images.shape[0],):
        raise ValueError(
            f"targets must have shape ({images.shape[0]},) (one class per image), got {tuple(targets.shape)}"
        )
    if len(areas) == 0 or not all(0 < float(a) < 1 for a in areas):
        raise ValueError(f"areas must be fractions in (0, 1), got {list(areas)!r}")
    if int(iterations) < 1:
        raise ValueError(f"iterations must be at least 1, got {iterations!r}")
    if step is not None and int(step) < 1:
        raise ValueError(f"step must be a positive number of pixels, got {step!r}")
    for name, value in (("sigma", sigma), ("blur_sigma", blur_sigma)):
        if value is not None and not float(value) > 0:
            raise ValueError(f"{name} must be a positive number of pixels, got {value!r}")


def extremal_perturbation(
    classifier: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    areas: Sequence[float] = (0.05, 0.1, 0.2),
    iterations: int = 300,
    step: int | None = None,
    sigma: float | None = None,
    blur_sigma: float | None = None,
    lr: float = 0.03,
    momentum: float = 0.9,
    area_weight: float = 300.0,
    area_growth: float = 16.0,
    seed: int = 0,
) -> torch.Tensor:
    """Extremal masks (N, len(areas), H, W) in [0, 1] of `images` (N, C, H, W) for class indices `targets`.

    `step` (grid spacing of the mask's parameters), `sigma` (the mask kernel's σ) and `blur_sigma`
    (the baseline's blur), all in pixels, default to the paper's 7, 21 and 20 px at 224 px, scaled
    to the shorter image side. `lr` is TorchRay's 0.01 for 800 steps, scaled for 300. The
    optimisation draws no random numbers: `seed` is accepted for the common interface of saliency
    methods and does not change the masks.
    """
    targets = torch.as_tensor(targets, dtype=torch.long, device=images.device)
    _check(images, targets, areas, iterations, step, sigma, blur_sigma)
    n, _, h, w = images.shape
    side = min(h, w)
    step = int(step) if step is not None else max(1, round(side * 7 / 224))
    generator = SmoothMaskGenerator((h, w), step, float(sigma or side * 21 / 224), images.device)
    count = len(areas)
    images = images.detach().float()
    blurred = gaussian_blur(images, float(blur_sigma or side * 20 / 224))
    shown, baseline = images.repeat_interleave(count, 0), blurred.repeat_interleave(count, 0)
    wanted = targets.repeat_interleave(count)
    params = torch.ones(n * count, 1, *generator.grid, device=images.device, requires_grad=True)
    optimizer = torch.optim.SGD([params], lr=lr, momentum=momentum, dampening=momentum)
    with eval_mode(classifier, freeze=True):
        for t in range(iterations):
            canvas = generator(params)
            logits = classifier(baseline + generator.image(canvas) * (shown - baseline))
            reward = logits.gather(1, wanted[:, None]).squeeze(1)
            weight = area_weight * area_growth ** (t / max(iterations - 1, 1))
            optimizer.zero_grad(set_to_none=True)
            (weight * area_loss(canvas, areas, h * w) - reward).sum().backward()
            optimizer.step()
            with torch.no_grad():
                params.clamp_(0, 1)
    with torch.no_grad():
        masks = generator.image(generator(params))
    return masks.reshape(n, count, h, w).clamp(0, 1)


def extremal_maps(
    classifier: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    areas: Sequence[float] = (0.05, 0.1, 0.2),
    iterations: int = 300,
    **settings,
) -> torch.Tensor:
    """Saliency maps (N, H, W): the extremal masks summed over `areas`, min–max normalised per map.

    A constant map becomes all zeros. `settings` go to :func:`extremal_perturbation`.
    """
    return stretched(extremal_perturbation(classifier, images, targets, areas, iterations, **settings).sum(dim=1))
