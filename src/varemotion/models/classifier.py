"""A timm classifier that owns its input (size, channels, normalisation), saved as a state dict plus JSON config."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import timm
import torch
import torch.nn.functional as F
from torch import nn

from varemotion.atomic import write_atomically, write_json
from varemotion.checkpoints import WEIGHTS_EXPECTED, load_state_dict
from varemotion.data.errors import DataError

CONFIG_FILE = "config.json"


@dataclass
class ClassifierConfig:
    """Everything needed to rebuild a classifier before loading its weights."""

    arch: str
    emotions: list[str]
    in_chans: int = 1
    image_size: list[int] = field(default_factory=lambda: [48, 48])
    kwargs: dict = field(default_factory=dict)
    mean: float = 0.5
    std: float = 0.25

    @property
    def num_classes(self) -> int:
        return len(self.emotions)


class Classifier(nn.Module):
    """A timm network behind its own input adaptation and normalisation: callers pass images in [0, 1].

    Images of another size are resized bilinearly, and colour images are averaged to grey (or grey
    ones repeated) for the channels the network was built for, differentiably, so that guidance,
    filters and explanations all see the same input. Features and head are reached as in timm.
    """

    def __init__(self, config: ClassifierConfig):
        super().__init__()
        self.config = config
        self.net = create_network(config)

    def adapt(self, images: torch.Tensor) -> torch.Tensor:
        """Images (N, C, H, W) resized and converted to the size and channels the network takes."""
        size = tuple(self.config.image_size)
        if tuple(images.shape[-2:]) != size:
            images = F.interpolate(images, size=size, mode="bilinear", align_corners=False)
        if images.shape[1] == self.config.in_chans:
            return images
        if self.config.in_chans == 1:
            return images.mean(dim=1, keepdim=True)
        if images.shape[1] == 1:
            return images.expand(-1, self.config.in_chans, -1, -1)
        raise ValueError(f"cannot feed {images.shape[1]}-channel images to a {self.config.in_chans}-channel classifier")

    def normalise(self, images: torch.Tensor) -> torch.Tensor:
        return (images - self.config.mean) / self.config.std

    def forward_features(self, images: torch.Tensor) -> torch.Tensor:
        """The network's features (timm's `forward_features`) of images in [0, 1]."""
        return self.net.forward_features(self.normalise(self.adapt(images)))

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """Logits from the network's features (timm's `forward_head`: pooling and the final layer)."""
        return self.net.forward_head(features)

    def get_classifier(self) -> nn.Module:
        """The final layer (timm's `get_classifier`)."""
        return self.net.get_classifier()

    @property
    def feature_format(self) -> str:
        """The layout of `forward_features`' maps: "NCHW", or "NHWC" for networks such as Swin."""
        return getattr(self.net, "output_fmt", "NCHW")

    def head(self) -> ClassifierHead:
        """The head as a module of its own, sharing this classifier's weights and their names."""
        return ClassifierHead(self.net)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits for a batch of images (N, C, H, W) in [0, 1]."""
        return self.forward_head(self.forward_features(images))


class ClassifierHead(nn.Module):
    """Features → logits of a classifier, with the classifier's parameter names (e.g. for `functional_call`)."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.net.forward_head(features)


def create_network(config: ClassifierConfig) -> nn.Module:
    """Build the timm architecture named in `config`, with a clear error for unknown names."""
    if not timm.is_model(config.arch):
        close = timm.list_models(f"*{config.arch.split('_')[0]}*")[:8]
        raise ValueError(
            f"unknown timm architecture {config.arch!r}; expected a name from timm.list_models()"
            + (f", e.g. {', '.join(close)}" if close else "")
        )
    return timm.create_model(
        config.arch,
        pretrained=False,
        num_classes=config.num_classes,
        in_chans=config.in_chans,
        **config.kwargs,
    )


def load_pretrained_weights(classifier: Classifier, path: str | Path) -> list[str]:
    """Initialise the network from a local weights file (e.g. ImageNet weights).

    The classification head is re-initialised when its shape differs, and a first convolution
    trained on a different number of input channels is adapted with timm's `adapt_input_conv`.
    Returns the names of the parameters that were not taken from the file.
    """
    state = _tensors_by_name(load_state_dict(path), path)
    own = classifier.net.state_dict()
    kept = {}
    for name, value in state.items():
        if name not in own:
            continue
        if not isinstance(value, torch.Tensor):
            raise DataError(path, f"under {name!r} is of type {type(value).__name__}, not a tensor", value=value,
                            expected=WEIGHTS_EXPECTED)
        target = own[name].shape
        if value.shape == target:
            kept[name] = value
        elif value.ndim == 4 and value.shape[0] == target[0] and value.shape[2:] == target[2:]:
            kept[name] = timm.models.adapt_input_conv(target[1], value)
    if not kept:
        raise DataError(
            path, f"no parameter matches architecture {classifier.config.arch!r}; the file has e.g. "
                  f"{', '.join(list(state)[:3])}",
            expected=f"weights of {classifier.config.arch!r}, with names such as {', '.join(list(own)[:3])}",
        )
    classifier.net.load_state_dict(kept, strict=False)
    return sorted(set(own) - set(kept))


def save_classifier(classifier: Classifier, weights: str | Path, config: str | Path) -> None:
    """Write the state dict to `weights` and the config (JSON) to `config`, each atomically."""
    write_atomically(weights, lambda handle: torch.save(classifier.state_dict(), handle))
    write_json(config, asdict(classifier.config))


def load_classifier(weights: str | Path, config: str | Path | None = None) -> Classifier:
    """Load a classifier saved by `save_classifier` (weights only, never pickled code).

    Without `config`, the `config.json` beside the weights is read, as the workflow writes it.
    """
    weights = Path(weights)
    config = Path(config) if config is not None else weights.with_name(CONFIG_FILE)
    classifier = Classifier(ClassifierConfig(**json.loads(config.read_text())))
    state = _tensors_by_name(load_state_dict(weights), weights)
    try:
        classifier.load_state_dict(state)
    except RuntimeError:
        raise DataError(weights, f"does not fit the classifier of {config}: {_mismatch(classifier, state)}",
                        expected=f"the weights saved with that config (architecture {classifier.config.arch!r}, "
                                 f"{classifier.config.num_classes} emotions)") from None
    return classifier.eval()


def _tensors_by_name(state, path) -> dict:
    """The name → tensor mapping of a weights file, also when it is nested under a common key."""
    if isinstance(state, dict):
        for key in ("state_dict", "model", "model_state_dict"):
            if isinstance(state.get(key), dict):
                state = state[key]
    if not isinstance(state, dict):
        raise DataError(path, f"holds a {type(state).__name__}, not a mapping of parameter names to tensors",
                        expected=WEIGHTS_EXPECTED)
    return state


def _mismatch(classifier: Classifier, state: dict) -> str:
    """The first missing, unexpected or differently shaped parameter, for an error message."""
    own = classifier.state_dict()
    missing = [name for name in own if name not in state]
    unexpected = [name for name in state if name not in own]
    shape = {name: tuple(getattr(value, "shape", ())) for name, value in state.items()}
    shapes = [name for name in own if name in state and shape[name] != tuple(own[name].shape)]
    parts = []
    if missing:
        parts.append(f"{len(missing)} parameters missing (e.g. {missing[0]!r})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]!r})")
    if shapes:
        name = shapes[0]
        parts.append(f"{len(shapes)} of another shape (e.g. {name!r}: {shape[name]} in the file, "
                     f"{tuple(own[name].shape)} expected)")
    return "; ".join(parts) or "parameters that do not load"
