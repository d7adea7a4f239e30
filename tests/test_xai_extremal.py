"""Extremal Perturbation: masks find the evidence, keep their areas, and batching changes nothing."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from varemotion.xai.extremal import SmoothMaskGenerator, area_loss, extremal_maps, extremal_perturbation

SIZE, PATCH = 32, 8
CORNERS = ((3, 5), (4, 20), (19, 2), (22, 22))  # top-left pixel of class k's patch
ITERATIONS = 150


class PatchClassifier(nn.Module):
    """Class k's logit: a steep function of the mean of patch k plus a weak term of the image mean."""

    def __init__(self):
        super().__init__()
        self.slope = nn.Parameter(torch.tensor(100.0))
        self.modes: list[bool] = []

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        self.modes.append(self.training)
        means = torch.stack([images[:, 0, r : r + PATCH, c : c + PATCH].mean(dim=(1, 2)) for r, c in CORNERS], 1)
        return self.slope * means + 2 * images.mean(dim=(1, 2, 3))[:, None]


def textured_images(n: int, seed: int = 0) -> torch.Tensor:
    """Grey stripes and noise, with a bright textured square at every class's patch."""
    generator = torch.Generator().manual_seed(seed)
    y, x = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
    images = 0.35 + 0.1 * torch.sin(1.3 * y + 0.7 * x) + 0.1 * torch.rand(n, 1, SIZE, SIZE, generator=generator)
    for r, c in CORNERS:
        images[:, :, r : r + PATCH, c : c + PATCH] += 0.45
    return images.clamp(0, 1)


def patch_mask(k: int) -> torch.Tensor:
    inside = torch.zeros(SIZE, SIZE, dtype=torch.bool)
    r, c = CORNERS[k]
    inside[r : r + PATCH, c : c + PATCH] = True
    return inside


def test_masks_cover_the_patch_that_drives_each_target():
    targets = torch.arange(len(CORNERS))
    area = PATCH * PATCH / SIZE**2
    masks = extremal_perturbation(PatchClassifier(), textured_images(len(targets)), targets, areas=(area,),
                                  iterations=ITERATIONS)
    assert masks.shape == (len(targets), 1, SIZE, SIZE)
    for k in range(len(targets)):
        mask, inside = masks[k, 0], patch_mask(k)
        top = mask.flatten().topk(PATCH * PATCH).indices
        assert inside.flatten()[top].float().mean() > 0.7, f"class {k}: top pixels outside its patch"
        assert mask[inside].mean() - mask[~inside].mean() > 0.5, f"class {k}: mask not concentrated on its patch"


def test_mask_areas_approach_the_requested_fractions():
    areas = (0.05, 0.1, 0.2)
    masks = extremal_perturbation(PatchClassifier(), textured_images(2, seed=1), torch.tensor([1, 2]), areas=areas,
                                  iterations=ITERATIONS)
    assert masks.shape == (2, 3, SIZE, SIZE)
    assert masks.min() >= 0 and masks.max() <= 1
    for i, area in enumerate(areas):
        assert masks[:, i].mean(dim=(1, 2)).sub(area).abs().max() < 0.02, f"area {area}"


def test_batched_optimisation_equals_one_image_at_a_time():
    # Every loss term belongs to one mask and SGD is elementwise, so only floating-point rounding
    # (matrix products and reductions over batches of different sizes) can separate the two:
    # about 1e-7 after 60 steps.
    images, targets = textured_images(3, seed=2), torch.tensor([0, 3, 1])
    settings = {"areas": (0.06, 0.15), "iterations": 60}
    batched = extremal_perturbation(PatchClassifier(), images, targets, **settings)
    alone = torch.cat([extremal_perturbation(PatchClassifier(), images[i : i + 1], targets[i : i + 1], **settings)
                       for i in range(3)])
    assert torch.allclose(batched, alone, atol=1e-5)
    assert (batched[0, 0] - batched[1, 0]).abs().max() > 0.5  # different targets: different masks


def test_maps_are_normalised_sums_over_areas():
    images, targets = textured_images(2, seed=4), torch.tensor([2, 0])
    maps = extremal_maps(PatchClassifier(), images, targets, areas=(0.05, 0.1), iterations=40)
    assert maps.shape == (2, SIZE, SIZE)
    assert torch.allclose(maps.amin(dim=(1, 2)), torch.zeros(2))
    assert torch.allclose(maps.amax(dim=(1, 2)), torch.ones(2))
    masks = extremal_perturbation(PatchClassifier(), images, targets, areas=(0.05, 0.1), iterations=40).sum(dim=1)
    assert torch.corrcoef(torch.stack([maps[0].flatten(), masks[0].flatten()]))[0, 1] > 0.999


def test_classifier_stays_frozen_and_results_repeat():
    classifier = PatchClassifier().train()
    images, targets = textured_images(1), torch.tensor([1])
    first = extremal_perturbation(classifier, images, targets, iterations=5)
    assert classifier.modes and not any(classifier.modes) and classifier.training
    assert classifier.slope.requires_grad and classifier.slope.grad is None
    assert torch.equal(first, extremal_perturbation(classifier, images, targets, iterations=5, seed=1))


def test_lone_parameters_make_flat_topped_blobs_and_clusters_reach_one():
    generator = SmoothMaskGenerator((16, 16), step=1, sigma=3.0)
    params = torch.zeros(2, 1, 16, 16)
    params[0, 0, 8, 8] = 1
    params[1, 0, 4:12, 4:12] = 1
    masks = generator.image(generator(params))[:, 0]
    assert masks[0, 7:10, 7:10].min() > 0.99 * masks[0].max() > 0.8  # a plateau of half-width σ/2 around (8, 8)
    assert masks[0, 8, 0] < 0.05 and masks[0, 0, 0] < 0.01  # fades with distance
    assert masks[1, 5:11, 5:11].min() > 0.99 and masks[1].max() <= 1 and masks[1, 0, 0] < 0.1


def test_area_loss_is_the_sorted_ranking_loss_and_treats_tied_pixels_alike():
    areas, image_pixels = (0.1, 0.3), 20
    canvas = torch.rand(4, 1, 6, 5)  # 2 images x 2 areas on a 30-pixel canvas
    ranked = canvas.flatten(1).sort(dim=1).values
    losses = area_loss(canvas, areas, image_pixels)
    for row, loss in enumerate(losses):
        reference = torch.zeros(30)
        reference[30 - round(image_pixels * areas[row % 2]) :] = 1
        assert torch.isclose(loss, ((ranked[row] - reference) ** 2).mean())
    flat = torch.full((2, 1, 6, 5), 0.7, requires_grad=True)
    area_loss(flat, areas, image_pixels).sum().backward()
    assert torch.equal(flat.grad, flat.grad[:, :, :1, :1].expand_as(flat.grad))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"areas": (0.1, 1.0)}, "areas must be fractions"), ({"areas": ()}, "areas must be fractions"),
     ({"targets": torch.tensor([0, 1])}, r"targets must have shape \(1,\)"), ({"iterations": 0}, "iterations"),
     ({"step": 0}, "step"), ({"sigma": -1.0}, "sigma must be a positive")],
)
def test_bad_settings_are_clear_errors(kwargs, message):
    arguments = {"targets": torch.tensor([0]), **kwargs}
    with pytest.raises(ValueError, match=message):
        extremal_perturbation(PatchClassifier(), textured_images(1), **arguments)
