"""Saliency maps of a classifier's decision: CAM, Grad-CAM, LIME and extremal perturbations.

Every method returns float32 CPU tensors (N, H, W) at image resolution, each map min-max
stretched to [0, 1] (:func:`varemotion.xai.metrics.min_max`; a constant map becomes all zeros).
The classifier runs in eval mode; its previous train/eval state is restored afterwards. The
methods are listed by name in :mod:`varemotion.xai.methods`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import torch
from captum.attr import LayerAttribution, LayerGradCam, Lime
from captum._utils.models.linear_model import SkLearnRidge
from skimage.segmentation import slic
from torch import nn

from varemotion.models.modes import eval_mode
from varemotion.xai.metrics import min_max


def stretched(maps: torch.Tensor) -> torch.Tensor:
    """Each map (..., H, W) min-max stretched to [0, 1] in float32, on the CPU."""
    return torch.from_numpy(min_max(maps.detach().float().cpu().numpy()))


def _upsampled(maps: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """Maps (N, 1, h, w) bilinearly interpolated to the images' (H, W), as (N, H, W)."""
    return LayerAttribution.interpolate(maps, tuple(images.shape[-2:]), "bilinear")[:, 0]


def cam(classifier: nn.Module, images: torch.Tensor, targets: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Class Activation Mapping (Zhou et al. 2016): ReLU(sum_k w_ck A_k), upsampled and normalised.

    Defined only for networks whose head is global average pooling followed by one Linear layer
    (checked numerically against `forward_head`); other heads raise ValueError.
    """
    targets = _check_inputs(images, targets)
    weight = _linear_head_weight(classifier)
    chunks = []
    with eval_mode(classifier), torch.no_grad():
        device = _device(classifier, images)
        for batch, batch_targets in zip(images.split(batch_size), targets.split(batch_size)):
            features = _features_nchw(classifier, classifier.forward_features(batch.to(device)))
            _check_gap_linear(classifier, features)
            maps = torch.einsum("nk,nkhw->nhw", weight[batch_targets.to(device)], features).relu()
            chunks.append(_upsampled(maps[:, None], images))
    return stretched(torch.cat(chunks))


def grad_cam(
    classifier: nn.Module, images: torch.Tensor, targets: torch.Tensor, batch_size: int = 64
) -> torch.Tensor:
    """Grad-CAM (Selvaraju et al. 2017) on the output of `forward_features`, via Captum's LayerGradCam.

    Works for any timm network whose features are spatial maps (convolutional networks, and
    NHWC-feature networks such as Swin); token-sequence features (ViTs) raise ValueError.
    """
    targets = _check_inputs(images, targets)
    wrapped = _FeatureTap(classifier)
    attribution = LayerGradCam(wrapped, wrapped.features_out)
    chunks = []
    with eval_mode(classifier):
        device = _device(classifier, images)
        for batch, batch_targets in zip(images.split(batch_size), targets.split(batch_size)):
            maps = attribution.attribute(batch.to(device), target=batch_targets.to(device), relu_attributions=True)
            chunks.append(_upsampled(maps.detach(), images))
    return stretched(torch.cat(chunks))


def lime(
    classifier: nn.Module,
    images: torch.Tensor,
    targets: torch.Tensor,
    n_segments: int = 30,
    n_samples: int = 1000,
    seed: int = 0,
    batch_size: int = 256,
    compactness: float = 0.2,
) -> torch.Tensor:
    """LIME (Ribeiro et al. 2016) over SLIC superpixels, via Captum's Lime.

    Each sample hides a random half of the superpixels (set to black, 0); a ridge regression
    (alpha 1, as in the reference LIME implementation) weighted by Captum's exponential cosine
    kernel explains the softmax probability of the target class. A pixel's value is its
    superpixel's weight, negatives clipped to 0 (see `superpixels` for the segmentation).
    The perturbations are drawn from a torch.Generator seeded by `seed` and the image's content
    (the global RNG is untouched), so a map is reproducible and independent of the other images
    in the call. `batch_size` perturbed images go through the network at once.
    """
    targets = _check_inputs(images, targets)
    maps = []
    with eval_mode(classifier):
        device = _device(classifier, images)

        @torch.no_grad()
        def probability(batch: torch.Tensor) -> torch.Tensor:
            return torch.softmax(classifier(batch).float(), dim=1)

        for image, target in zip(images, targets):
            generator = torch.Generator().manual_seed(_image_seed(seed, image))
            explainer = Lime(probability, interpretable_model=SkLearnRidge(alpha=1.0),
                             perturb_func=_bernoulli_sampler(generator))
            mask = superpixels(image, n_segments, compactness)
            weights = explainer.attribute(
                image[None].to(device),
                target=int(target),
                baselines=0.0,
                feature_mask=mask.expand_as(image)[None].to(device),
                n_samples=n_samples,
                perturbations_per_eval=batch_size,
            )
            maps.append(weights[0].amax(dim=0).clamp_min(0.0).float().cpu())
    return stretched(torch.stack(maps))


def superpixels(image: torch.Tensor, n_segments: int = 30, compactness: float = 0.2) -> torch.Tensor:
    """SLIC superpixel labels (1, H, W), consecutive from 0, of one image (C, H, W) in [0, 1].

    Intensities stay on the [0, 1] scale (no Lab conversion) and are smoothed (sigma 1 pixel) so
    that pixel noise does not fragment the segments.
    """
    array = image.detach().cpu().double().numpy()
    grey = array.shape[0] == 1
    labels = slic(
        array[0] if grey else np.moveaxis(array, 0, -1),
        n_segments=n_segments,
        compactness=compactness,
        channel_axis=None if grey else -1,
        convert2lab=False,
        sigma=1.0,
        start_label=0,
    )
    labels = np.unique(labels, return_inverse=True)[1].reshape(labels.shape)
    return torch.from_numpy(labels).long()[None]


class _FeatureTap(nn.Module):
    """The classifier as features -> Identity -> head, so Captum can hook the Identity."""

    def __init__(self, classifier: nn.Module):
        super().__init__()
        self.classifier = classifier
        self.features_out = nn.Identity()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = _features_nchw(self.classifier, self.classifier.forward_features(images))
        return self.classifier.forward_head(_restore_layout(self.classifier, self.features_out(features)))


def _check_inputs(images: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Validate images (N, C, H, W) and targets (N,) of class indices; return targets as int64 CPU."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        shape = tuple(images.shape) if hasattr(images, "shape") else type(images).__name__
        raise ValueError(f"images must be a tensor (N, C, H, W), got {shape}")
    targets = torch.as_tensor(targets)
    if targets.ndim != 1 or len(targets) != len(images):
        raise ValueError(f"targets must be ({len(images)},) class indices, got shape {tuple(targets.shape)}")
    if targets.is_floating_point() or (len(targets) and int(targets.min()) < 0):
        raise ValueError(f"targets must be non-negative integer class indices, got {targets.tolist()[:8]}")
    return targets.long().cpu()


def _device(classifier: nn.Module, images: torch.Tensor) -> torch.device:
    parameter = next(iter(classifier.parameters()), None) if isinstance(classifier, nn.Module) else None
    return parameter.device if parameter is not None else images.device


def _arch(classifier: nn.Module) -> str:
    config = getattr(classifier, "config", None)
    return getattr(config, "arch", type(classifier).__name__)


def _features_nchw(classifier: nn.Module, features: torch.Tensor) -> torch.Tensor:
    """Feature maps as (N, C, h, w); NHWC networks (timm's `output_fmt`) are permuted."""
    if features.ndim != 4:
        raise ValueError(
            f"architecture {_arch(classifier)!r}: forward_features returns shape {tuple(features.shape)}, "
            "but class activation maps need spatial feature maps (N, C, h, w)"
        )
    return features.permute(0, 3, 1, 2) if classifier.feature_format == "NHWC" else features


def _restore_layout(classifier: nn.Module, features: torch.Tensor) -> torch.Tensor:
    return features.permute(0, 2, 3, 1) if classifier.feature_format == "NHWC" else features


def _linear_head_weight(classifier: nn.Module) -> torch.Tensor:
    """The weights (K, C) of the head's Linear layer, or ValueError when the head is not one."""
    head = classifier.get_classifier()
    if not isinstance(head, nn.Linear):
        raise ValueError(
            f"CAM is undefined for architecture {_arch(classifier)!r}: its classifier is "
            f"{type(head).__name__}, not a single Linear layer after global pooling; use Grad-CAM"
        )
    return head.weight.detach()


def _check_gap_linear(classifier: nn.Module, features: torch.Tensor) -> None:
    """Raise ValueError unless forward_head(features) == Linear(global average of features)."""
    head = classifier.get_classifier()
    problem = None
    if head.in_features != features.shape[1]:
        problem = f"its Linear layer takes {head.in_features} inputs but the features have {features.shape[1]} channels"
    else:
        expected = head(features.mean(dim=(2, 3)))
        actual = classifier.forward_head(_restore_layout(classifier, features))
        scale = expected.abs().max().clamp_min(1.0)
        if actual.shape != expected.shape or not torch.allclose(actual, expected, rtol=1e-3, atol=1e-4 * float(scale)):
            problem = "its head is not global average pooling followed by the Linear layer alone"
    if problem:
        raise ValueError(f"CAM is undefined for architecture {_arch(classifier)!r}: {problem}; use Grad-CAM")


def _image_seed(seed: int, image: torch.Tensor) -> int:
    digest = hashlib.sha256(image.detach().cpu().float().contiguous().numpy().tobytes()).digest()
    return (int(seed) * 1_000_003 + int.from_bytes(digest[:6], "little")) % (2**63)


def _bernoulli_sampler(generator: torch.Generator) -> Callable[..., torch.Tensor]:
    """Captum perturbation function: keep each superpixel with probability 1/2, drawn from `generator`."""

    def sample(original_input: torch.Tensor, num_interp_features: int, **_) -> torch.Tensor:
        keep = torch.bernoulli(torch.full((1, num_interp_features), 0.5), generator=generator)
        return keep.long().to(original_input.device)

    return sample
