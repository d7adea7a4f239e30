"""How good a prior's unguided samples are, drawn by the sampler of the sample sets.

The samples come from :func:`unguided_samples`, the loop that draws the unguided controls: image k
starts from noise seeded ``seed + k``. The report gives a classifier's mean max-probability and the
classes it predicts against the data's class shares, and the classifier two-sample test of
:mod:`varemotion.realism.two_sample` against held-out test faces.
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np
import torch
from torch import nn

from varemotion.atomic import write_atomically, write_json
from varemotion.data import load_split
from varemotion.data.splits import images_to_float
from varemotion.device import select_device
from varemotion.diffusion import load_prior
from varemotion.diffusion.prior import Prior
from varemotion.models import load_classifier
from varemotion.models.evaluation import predict_proba
from varemotion.realism.two_sample import two_sample_test
from varemotion.sampling.pairs import sample_pairs
from varemotion.sampling.sets import to_uint8

log = logging.getLogger(__name__)


def unguided_samples(prior: Prior, n: int, sampler: dict, max_batch: int, seed: int,
                     device: torch.device | str = "cpu") -> torch.Tensor:
    """``n`` unguided images (n, C, H, W) in [0, 1], on the CPU: the prior alone, through ``guided_sample``
    with the ``sampler`` options (scheduler, steps, time travel, re-noising), image k seeded ``seed + k``."""
    options = {**sampler, "guidance_scale": 0.0}
    return sample_pairs(prior, (), [(0, 0)], n, max_batch=max_batch, seed=seed, device=device, **options).images


def quality_report(samples: torch.Tensor, real_heldout: torch.Tensor, classifier: nn.Module,
                   real_labels: np.ndarray | None = None, device: torch.device | None = None,
                   two_sample: dict | None = None) -> dict:
    """The classifier's mean max-softmax and predicted class shares on the samples, and the C2ST.

    With `real_labels` (the held-out faces' labels), the report also gives the data's class shares
    and the total-variation distance between the two (0: the prior draws every emotion as often as
    the data holds it). The two-sample test is :func:`varemotion.realism.two_sample.two_sample_test`
    with the options (seed included) in `two_sample`.
    """
    probs = predict_proba(classifier, samples, device or torch.device("cpu"))
    k = probs.shape[1]
    predicted = np.bincount(probs.argmax(axis=1), minlength=k) / len(probs)
    result = two_sample_test(samples, real_heldout, **(two_sample or {}))
    report = {
        "n_samples": len(samples),
        "n_real": len(real_heldout),
        "mean_max_probability": float(probs.max(axis=1).mean()),
        "predicted_class_fraction": predicted.tolist(),
        "two_sample_accuracy": result.accuracy,
        "two_sample_ci": [result.ci_low, result.ci_high],
    }
    if real_labels is not None:
        data = np.bincount(np.asarray(real_labels), minlength=k) / len(real_labels)
        report |= {"data_class_fraction": data.tolist(),
                   "class_share_distance": float(0.5 * np.abs(predicted - data).sum())}
    return report


def run_prior_quality(prior_weights, heldout_path, classifier: tuple[str, str], outputs: dict, n_samples: int,
                      sampler: dict, max_batch: int, seed: int, two_sample: dict, gpus: int = 0) -> dict:
    """Draw ``n_samples`` unguided samples and write them (8-bit, as `samples`) with their quality `report`.

    ``classifier`` is the judge's (name, weight file); ``seed`` seeds the samples' noise as it seeds
    the sample sets'; ``two_sample`` holds the options of the test against the held-out faces.
    """
    device = select_device(gpus)
    prior = load_prior(prior_weights).to(device)
    started = time.perf_counter()
    samples = unguided_samples(prior, n_samples, sampler, max_batch, seed, device)
    seconds = time.perf_counter() - started
    images = to_uint8(samples)
    heldout = load_split(heldout_path)
    name, weights = classifier
    report = quality_report(images_to_float(images), heldout.images_float()[:n_samples], load_classifier(weights),
                            real_labels=heldout.labels, device=device, two_sample=two_sample)
    report |= {"classifier": name, "sampler": sampler, "seed": seed,
               "sampling_images_per_second": round(n_samples / seconds, 2)}
    log.info("quality: %s", json.dumps(report))
    write_atomically(outputs["samples"], lambda handle: np.savez_compressed(handle, images=images))
    write_json(outputs["report"], report)
    return report
