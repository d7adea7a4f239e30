"""Saliency maps: CAM, Grad-CAM, LIME and the method dispatcher."""

from __future__ import annotations

import sys
import types

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from varemotion.models.classifier import Classifier, ClassifierConfig
from varemotion.xai.methods import METHODS, saliency_maps
from varemotion.xai.saliency import cam, grad_cam, lime, stretched, superpixels

EMOTIONS = ["neutral", "happiness", "sadness", "surprise"]
# output_stride 8 keeps a 4 x 4 feature map at 32 x 32 pixels, so the maps have structure.
TINY_RESNET = {"channels": [8, 16, 16, 16], "stem_width": 8, "output_stride": 8}


def tiny_classifier(arch: str = "resnet10t", size: int = 32, seed: int = 0, **kwargs) -> Classifier:
    torch.manual_seed(seed)
    config = ClassifierConfig(arch=arch, emotions=EMOTIONS, image_size=[size, size], kwargs=kwargs)
    return Classifier(config).eval()


@pytest.fixture(scope="module")
def resnet() -> Classifier:
    return tiny_classifier(**TINY_RESNET)


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    return torch.rand(3, 1, 32, 32, generator=torch.Generator().manual_seed(1))


def predicted(classifier: nn.Module, images: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return classifier(images).argmax(dim=1)


class QuadrantNet(nn.Module):
    """Toy classifier: the logit of class 0 grows with the mean brightness of the top-left quadrant."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        brightness = images[:, :, :16, :16].mean(dim=(1, 2, 3))
        return torch.stack([8.0 * (brightness - 0.25), torch.zeros_like(brightness)], dim=1)


def test_stretched_maps_min_max_and_constant():
    maps = torch.stack([torch.tensor([[1.0, 3.0], [2.0, 5.0]]), torch.full((2, 2), 7.0)])
    out = stretched(maps)
    assert out.dtype == torch.float32
    assert torch.allclose(out[0], torch.tensor([[0.0, 0.5], [0.25, 1.0]]))
    assert torch.equal(out[1], torch.zeros(2, 2))


def test_cam_equals_grad_cam_on_gap_linear_head(resnet, images):
    targets = predicted(resnet, images)
    maps_cam = cam(resnet, images, targets)
    maps_grad = grad_cam(resnet, images, targets)
    assert torch.equal(maps_cam.amax(dim=(1, 2)), torch.ones(3)), "maps should not be constant"
    assert torch.allclose(maps_cam, maps_grad, atol=1e-4)
    other = (targets + 1) % len(EMOTIONS)
    differences = (cam(resnet, images, other) - maps_grad).abs().amax(dim=(1, 2))
    assert (differences > 0.05).all()


@pytest.mark.parametrize("method", ["cam", "gradcam", "lime"])
def test_maps_shape_range_and_peak(resnet, images, method):
    settings = {"n_samples": 100, "n_segments": 16} if method == "lime" else {}
    maps = saliency_maps(resnet, images, predicted(resnet, images), method, **settings)
    assert maps.shape == (3, 32, 32) and maps.dtype == torch.float32 and maps.device.type == "cpu"
    assert maps.min() >= 0 and maps.max() <= 1
    for single in maps:
        assert single.max() == 1 or torch.equal(single, torch.zeros_like(single))
    assert maps.amax(dim=(1, 2)).sum() >= 1


def smooth_images(n: int, size: int = 32, seed: int = 1) -> torch.Tensor:
    """Blobs of different brightness plus mild noise, so superpixels follow image structure."""
    generator = torch.Generator().manual_seed(seed)
    coarse = F.interpolate(torch.rand(n, 1, 4, 4, generator=generator), size=(size, size), mode="bilinear")
    return (coarse + 0.05 * torch.randn(n, 1, size, size, generator=generator)).clamp(0, 1)


def test_superpixels_are_consecutive_labels_robust_to_noise(images):
    for image in (images[0], smooth_images(1)[0]):
        labels = superpixels(image, n_segments=16)
        assert labels.shape == (1, 32, 32) and labels.dtype == torch.long
        assert torch.equal(labels.unique(), torch.arange(int(labels.max()) + 1))
        assert 9 <= len(labels.unique()) <= 25


def test_lime_finds_the_quadrant_and_is_deterministic():
    images = smooth_images(3)
    toy = QuadrantNet()
    targets = torch.zeros(3, dtype=torch.long)
    maps = lime(toy, images, targets, n_segments=16, n_samples=300, seed=3)
    for single in maps:
        inside = single[:16, :16].mean()
        assert inside > 4 * single[16:, :].mean() and inside > 4 * single[:, 16:].mean()
        peak = int(single.argmax())
        assert peak // 32 < 16 and peak % 32 < 16
        assert single[20:, 20:].max() < 0.2
    assert torch.equal(maps, lime(toy, images, targets, n_segments=16, n_samples=300, seed=3))
    assert torch.equal(maps[1:2], lime(toy, images[1:2], targets[1:2], n_segments=16, n_samples=300, seed=3))
    assert not torch.equal(maps, lime(toy, images, targets, n_segments=16, n_samples=300, seed=4))


def test_lime_batches_forward_passes(images):
    calls = []

    class Recording(QuadrantNet):
        def forward(self, batch):
            calls.append(len(batch))
            return super().forward(batch)

    lime(Recording(), images[:1], torch.zeros(1, dtype=torch.long), n_samples=50, batch_size=20)
    assert calls == [20, 20, 10]


def test_cam_rejects_identity_head(images):
    classifier = tiny_classifier(**TINY_RESNET)
    classifier.net.reset_classifier(0)
    with pytest.raises(ValueError, match="resnet10t.*Identity"):
        cam(classifier, images, torch.zeros(3, dtype=torch.long))


@pytest.mark.parametrize(
    "arch,reason,kwargs",
    [
        ("convnext_atto", "not global average pooling", {"dims": (8, 8, 16, 16), "depths": (1, 1, 1, 1)}),
        ("mobilenetv3_small_050", "inputs", {}),
    ],
)
def test_cam_rejects_heads_beyond_pooling_and_linear(arch, reason, kwargs):
    classifier = tiny_classifier(arch, size=64, **kwargs)
    batch = torch.rand(2, 1, 64, 64)
    with pytest.raises(ValueError, match=f"CAM is undefined for architecture '{arch}'.*{reason}"):
        cam(classifier, batch, torch.tensor([0, 1]))
    maps = grad_cam(classifier, batch, torch.tensor([0, 1]))
    assert maps.shape == (2, 64, 64) and torch.isfinite(maps).all()


def test_grad_cam_rejects_token_features():
    vit = tiny_classifier("vit_tiny_patch16_224", img_size=32, patch_size=8, depth=1, embed_dim=16, num_heads=2)
    with pytest.raises(ValueError, match="vit_tiny_patch16_224.*spatial feature maps"):
        grad_cam(vit, torch.rand(1, 1, 32, 32), torch.tensor([0]))


def test_saliency_maps_dispatches_and_restores_mode(resnet, images):
    targets = predicted(resnet, images)
    classifier = tiny_classifier(**TINY_RESNET).train()
    running_mean = classifier.net.bn1.running_mean.clone()
    assert torch.equal(saliency_maps(classifier, images, targets, "cam"), cam(resnet, images, targets))
    assert torch.equal(saliency_maps(classifier, images, targets, "gradcam"), grad_cam(resnet, images, targets))
    assert classifier.training and classifier.net.bn1.training
    assert torch.equal(classifier.net.bn1.running_mean, running_mean)


def test_saliency_maps_imports_a_method_when_it_computes(resnet, images, monkeypatch):
    seen = {}

    def extremal_maps(classifier, images, targets, **settings):
        seen.update(settings, training=classifier.training)
        return torch.ones(len(images), *images.shape[-2:])

    fake = types.ModuleType("varemotion.xai.extremal")
    fake.extremal_maps = extremal_maps
    monkeypatch.setitem(sys.modules, "varemotion.xai.extremal", fake)
    maps = saliency_maps(resnet.train(), images, torch.zeros(3, dtype=torch.long), "extremal", areas=(0.1,))
    resnet.eval()
    assert seen == {"areas": (0.1,), "training": True}  # the method itself puts the classifier in eval mode
    assert isinstance(maps, torch.Tensor) and maps.shape == (3, 32, 32)


def test_the_registry_names_every_method_with_its_settings():
    assert list(METHODS) == ["cam", "gradcam", "extremal", "lime"]
    assert [METHODS[name].function for name in ("cam", "gradcam", "lime")] == [cam, grad_cam, lime]
    settings = {"lime": {"n_segments": 8, "n_samples": 40}, "extremal": {"areas": [0.1], "iterations": 5}, "seed": 3}
    assert METHODS["lime"].settings(settings) == {"n_segments": 8, "n_samples": 40, "seed": 3}
    assert METHODS["extremal"].settings(settings) == {"areas": (0.1,), "iterations": 5, "seed": 3}
    assert METHODS["cam"].settings(settings) == {} and METHODS["gradcam"].label == "Grad-CAM"


def test_saliency_maps_rejects_unknown_method_and_bad_targets(resnet, images):
    with pytest.raises(ValueError, match="'smoothgrad'.*" + ", ".join(METHODS)):
        saliency_maps(resnet, images, torch.zeros(3, dtype=torch.long), "smoothgrad")
    with pytest.raises(ValueError, match=r"targets must be \(3,\)"):
        saliency_maps(resnet, images, torch.zeros(2, dtype=torch.long), "cam")
    with pytest.raises(ValueError, match="integer class indices"):
        saliency_maps(resnet, images, torch.zeros(3), "cam")
