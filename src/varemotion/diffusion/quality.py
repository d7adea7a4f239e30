"""How good a prior's unguided samples are: classifier confidence, class shares and a two-sample test."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from varemotion.models.evaluation import predict_proba
from varemotion.realism.two_sample import two_sample_test


def quality_report(
    samples: torch.Tensor,
    real_heldout: torch.Tensor,
    classifier: nn.Module,
    real_labels: np.ndarray | None = None,
    seed: int = 0,
    device: torch.device | None = None,
    two_sample: dict | None = None,
) -> dict:
    """The classifier's mean max-softmax and predicted class shares on the samples, and the C2ST.

    With `real_labels` (the held-out faces' labels), the report also gives the data's class shares
    and the total-variation distance between the two (0: the prior draws every emotion as often as
    the data holds it). The two-sample test is :func:`varemotion.realism.two_sample.two_sample_test`
    with the options in `two_sample`.
    """
    probs = predict_proba(classifier, samples, device or torch.device("cpu"))
    k = probs.shape[1]
    predicted = np.bincount(probs.argmax(axis=1), minlength=k) / len(probs)
    result = two_sample_test(samples, real_heldout, seed=seed, **(two_sample or {}))
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
