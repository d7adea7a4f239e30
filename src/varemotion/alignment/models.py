"""Individual models: P variants of one group classifier, stored as stacked weights.

With ``trainable: head`` each participant's model is the group network with its own final
linear layer (timm's ``get_classifier()``): the frozen trunk's features are computed once for all
participants and only the heads are trained, batched. With ``trainable: all`` every weight is
the participant's own.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import torch
from torch.func import functional_call, vmap

from varemotion.atomic import write_atomically
from varemotion.checkpoints import load_state_dict
from varemotion.models.classifier import Classifier

TRAINABLE = ("head", "all")


def head_parameter_names(classifier: Classifier) -> list[str]:
    """Names (as in ``classifier.state_dict()``) of the final linear layer's parameters."""
    names = {id(p): name for name, p in classifier.named_parameters()}
    return [names[id(p)] for p in classifier.get_classifier().parameters()]


@torch.no_grad()
def trunk_features(classifier: Classifier, images: torch.Tensor, device, batch_size: int = 512) -> torch.Tensor:
    """The frozen trunk's feature maps for images in [0, 1] (eval mode), on ``device``."""
    classifier.to(device).eval()
    return torch.cat([classifier.forward_features(batch.to(device)) for batch in images.split(batch_size)])


def trainable_names(classifier: Classifier, trainable: str) -> list[str]:
    """The parameters an individual model owns."""
    if trainable not in TRAINABLE:
        raise ValueError(f"trainable must be one of {TRAINABLE}, got {trainable!r}")
    if trainable == "head":
        return head_parameter_names(classifier)
    return [name for name, _ in classifier.named_parameters()]


def stacked_copies(classifier: Classifier, names: list[str], n: int, buffers: bool) -> tuple[dict, dict]:
    """``n`` copies of the named parameters (and, with ``buffers``, of every buffer), stacked on dim 0."""
    state = classifier.state_dict()
    params = {name: state[name].detach().unsqueeze(0).repeat_interleave(n, 0) for name in names}
    stacked_buffers = {name: b.detach().unsqueeze(0).repeat_interleave(n, 0)
                       for name, b in classifier.named_buffers()} if buffers else {}
    return params, stacked_buffers


@dataclass
class IndividualModels:
    """One model per subject: the group classifier with the stacked tensors of ``state`` swapped in."""

    subjects: list[str]
    trainable: str
    state: dict[str, torch.Tensor]
    group: Classifier

    def __len__(self) -> int:
        return len(self.subjects)

    def classifier(self, subject: str) -> Classifier:
        """A stand-alone classifier for one subject (e.g. to guide the sampler)."""
        index = self.subjects.index(subject)
        model = copy.deepcopy(self.group)
        model.load_state_dict({name: tensor[index] for name, tensor in self.state.items()}, strict=False)
        return model.eval()

    @torch.no_grad()
    def logits(self, images: torch.Tensor, device, batch_size: int = 256) -> torch.Tensor:
        """Every subject's logits for images in [0, 1]: (P, N, K), on the CPU."""
        group = self.group.to(device).eval()
        state = {name: tensor.to(device) for name, tensor in self.state.items()}
        if self.trainable == "head":
            module, inputs = group.head(), trunk_features(group, images, device)
        else:
            module, inputs = group, images
        batched = vmap(lambda s, x: functional_call(module, s, (x,)), in_dims=(0, None))
        return torch.cat([batched(state, x.to(device)).cpu() for x in inputs.split(batch_size)], dim=1)


def save_individual_models(models: IndividualModels, path: str | os.PathLike[str]) -> None:
    """Write the subjects, the trainable mode and the stacked tensors (a plain tensor file)."""
    payload = {"subjects": list(models.subjects), "trainable": models.trainable,
               "state": {name: tensor.detach().cpu() for name, tensor in models.state.items()}}
    write_atomically(path, lambda handle: torch.save(payload, handle))


def load_individual_models(path: str | os.PathLike[str], group: Classifier) -> IndividualModels:
    """Individual models written by :func:`save_individual_models` on top of their group classifier."""
    payload = load_state_dict(path)
    own = group.state_dict()
    for name, tensor in payload["state"].items():
        if name not in own or tuple(tensor.shape[1:]) != tuple(own[name].shape):
            raise ValueError(f"{path}: tensor {name!r} does not fit the group classifier")
    return IndividualModels(list(payload["subjects"]), str(payload["trainable"]), payload["state"], group.eval())
