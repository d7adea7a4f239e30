"""Classifier wrapper, training, resume, safe loading and metrics."""

from __future__ import annotations

import json
import os
import pickle

import numpy as np
import pytest
import torch

from helpers import (
    MODEL_EMOTIONS as EMOTIONS,
    TINY_RESNET,
    bright_dark_data,
    from_schema,
    save_classifier_in,
    schema_defaults,
    tiny_classifier,
)
from varemotion.checkpoints import UnsafeCheckpointError, load_state_dict
from varemotion.data import Split, save_splits
from varemotion.models import (
    Classifier,
    ClassifierConfig,
    TrainConfig,
    classification_metrics,
    fit_classifier,
    load_classifier,
    load_pretrained_weights,
    save_classifier,
    train_classifier,
)
from varemotion.models.augment import augment_batch


def test_classifier_normalises_inputs_in_unit_range():
    classifier = tiny_classifier().eval()
    images = torch.rand(4, 1, 24, 24)
    expected = classifier.net((images - 0.5) / 0.25)
    assert torch.allclose(classifier(images), expected)
    assert classifier(images).shape == (4, len(EMOTIONS))


def test_forward_is_head_of_features_as_in_timm():
    classifier = tiny_classifier().eval()
    images = torch.rand(4, 1, 24, 24)
    features = classifier.forward_features(images)
    assert torch.equal(features, classifier.net.forward_features((images - 0.5) / 0.25))
    assert torch.equal(classifier.forward_head(features), classifier(images))
    assert classifier.get_classifier() is classifier.net.get_classifier() and classifier.feature_format == "NCHW"
    head_weights = dict(classifier.head().named_parameters())
    assert head_weights.keys() <= dict(classifier.named_parameters()).keys()
    assert torch.equal(classifier.head()(features), classifier(images))


def test_the_classifier_adapts_size_and_channels_differentiably():
    classifier = tiny_classifier().eval()
    rgb = torch.rand(2, 3, 40, 40, requires_grad=True)
    grey = torch.nn.functional.interpolate(rgb.detach().mean(dim=1, keepdim=True), size=(24, 24), mode="bilinear",
                                           align_corners=False)
    assert torch.allclose(classifier(rgb), classifier(grey), atol=1e-6)
    classifier(rgb).sum().backward()
    assert rgb.grad is not None and rgb.grad.abs().sum() > 0
    colour = tiny_classifier().eval()
    colour.config.in_chans = 3
    assert colour.adapt(torch.rand(2, 1, 24, 24)).shape == (2, 3, 24, 24)
    with pytest.raises(ValueError, match="2-channel images to a 3-channel classifier"):
        colour.adapt(torch.rand(1, 2, 24, 24))


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown timm architecture 'resnet_does_not_exist'"):
        Classifier(ClassifierConfig(arch="resnet_does_not_exist", emotions=EMOTIONS))


def test_training_learns_a_separable_task():
    classifier = tiny_classifier()
    data = bright_dark_data()
    config = from_schema(TrainConfig, "train", epochs=6, batch_size=32, lr=5e-3, augment=False, warmup_epochs=0)
    history = train_classifier(classifier, data, config, torch.device("cpu"), progress=False)
    assert history[-1]["loss"] < history[0]["loss"]
    classifier.eval()
    with torch.no_grad():
        accuracy = (classifier(data.images).argmax(1) == data.labels).float().mean().item()
    assert accuracy > 0.9


def test_soft_labels_need_vote_distributions():
    data = bright_dark_data()
    with pytest.raises(ValueError, match="soft_labels"):
        train_classifier(tiny_classifier(), data, from_schema(TrainConfig, "train", labels="soft", epochs=1), torch.device("cpu"))
    data.soft_labels = torch.nn.functional.one_hot(data.labels, 3).float() * 0.8 + 0.2 / 3
    history = train_classifier(tiny_classifier(), data, from_schema(TrainConfig, "train", labels="soft", epochs=1), torch.device("cpu"), progress=False)
    assert np.isfinite(history[0]["loss"])


def test_resumed_training_ends_with_the_same_weights(tmp_path, monkeypatch):
    import varemotion.models.training as training

    data = bright_dark_data()
    config = from_schema(TrainConfig, "train", epochs=3, batch_size=32, lr=3e-3, seed=7)
    cpu = torch.device("cpu")
    straight = tiny_classifier()
    train_classifier(straight, data, config, cpu, progress=False)

    class Killed(Exception):
        pass

    def save_then_die(path, payload):
        real_save(path, payload)
        raise Killed  # the job dies right after the first epoch's checkpoint

    real_save = training.save_checkpoint
    checkpoint = tmp_path / "ckpt.pt"
    monkeypatch.setattr(training, "save_checkpoint", save_then_die)
    with pytest.raises(Killed):
        train_classifier(tiny_classifier(), data, config, cpu, checkpoint, progress=False)
    monkeypatch.setattr(training, "save_checkpoint", real_save)
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 1

    resumed = tiny_classifier(seed=123)  # another init: everything must come from the checkpoint
    history = train_classifier(resumed, data, config, cpu, checkpoint, progress=False)
    assert [h["epoch"] for h in history] == [1, 2, 3]
    for (name, a), b in zip(straight.state_dict().items(), resumed.state_dict().values()):
        assert torch.equal(a, b), name


def test_checkpoint_of_another_config_is_ignored(tmp_path):
    data = bright_dark_data()
    cpu = torch.device("cpu")
    checkpoint = tmp_path / "ckpt.pt"
    train_classifier(tiny_classifier(), data, from_schema(TrainConfig, "train", epochs=1, lr=1e-3), cpu, checkpoint, progress=False)
    history = train_classifier(tiny_classifier(), data, from_schema(TrainConfig, "train", epochs=1, lr=2e-3), cpu, checkpoint, progress=False)
    assert len(history) == 1  # trained afresh rather than resuming the finished other run


def test_save_and_load_round_trip(tmp_path):
    classifier = tiny_classifier().eval()
    save_classifier(classifier, tmp_path / "weights.pt", tmp_path / "config.json")
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["arch"] == "resnet10t" and config["emotions"] == EMOTIONS
    loaded = load_classifier(tmp_path / "weights.pt")
    images = torch.rand(3, 1, 24, 24)
    assert torch.equal(classifier(images), loaded(images))


class RunsCode:
    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


def test_a_pickle_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    with open(path, "wb") as handle:
        pickle.dump({"weight": RunsCode()}, handle)
    with pytest.raises(UnsafeCheckpointError, match="evil.pt: refused to load"):
        load_state_dict(path)
    save_classifier_in(tiny_classifier(), tmp_path / "model")
    path.replace(tmp_path / "model" / "weights.pt")
    with pytest.raises(UnsafeCheckpointError):
        load_classifier(tmp_path / "model" / "weights.pt")


def test_pretrained_weights_adapt_channels_and_reset_the_head(tmp_path):
    torch.manual_seed(1)
    rgb = ClassifierConfig(arch="resnet10t", emotions=["a"] * 10, in_chans=3, kwargs=TINY_RESNET)
    source = Classifier(rgb)
    path = tmp_path / "imagenet_like.pt"
    torch.save({"state_dict": source.net.state_dict()}, path)
    target = tiny_classifier()
    fresh = load_pretrained_weights(target, path)
    assert fresh == ["fc.bias", "fc.weight"]
    body = "layer1.0.conv1.weight"
    assert torch.equal(target.net.state_dict()[body], source.net.state_dict()[body])
    stem = target.net.state_dict()["conv1.0.weight"]
    assert stem.shape[1] == 1
    assert torch.allclose(stem[:, 0], source.net.state_dict()["conv1.0.weight"].sum(dim=1))


def test_augmentation_is_seeded_and_keeps_range():
    images = torch.rand(8, 1, 24, 24)
    a = augment_batch(images, torch.Generator().manual_seed(3))
    b = augment_batch(images, torch.Generator().manual_seed(3))
    c = augment_batch(images, torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == images.shape and a.min() >= 0 and a.max() <= 1


def test_classification_metrics_on_hand_made_predictions():
    labels = np.array([0, 0, 1, 1, 2, 2])
    probs = np.eye(3)[[0, 1, 1, 1, 2, 0]] * 0.7 + 0.1
    metrics = classification_metrics(probs, labels, EMOTIONS, soft_labels=np.full((6, 3), 1 / 3))
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["per_class_recall"] == {"neutral": 0.5, "happiness": 1.0, "sadness": 0.5}
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    f1 = [2 * 0.5 * 0.5 / 1.0, 2 * (2 / 3) * 1 / (2 / 3 + 1), 2 * 1 * 0.5 / 1.5]
    assert metrics["macro_f1"] == pytest.approx(np.mean(f1))
    assert metrics["mean_vote_entropy_bits"] == pytest.approx(np.log2(3), rel=1e-6)


def test_fit_classifier_writes_weights_config_and_metrics(tmp_path):
    rng = np.random.default_rng(0)
    splits = {}
    for name, n in (("train", 150), ("val", 30), ("test", 30)):
        labels = np.arange(n) % 3
        images = rng.integers(40, 60, (n, 24, 24)).astype(np.uint8)
        for k in range(3):
            images[labels == k, :, 8 * k : 8 * k + 8] += 150
        splits[name] = Split(images=images, labels=labels, ids=[f"{name}{i}" for i in range(n)], emotions=EMOTIONS)
    paths = save_splits(tmp_path / "data", splits)
    metrics = fit_classifier(
        paths,
        arch="resnet10t",
        kwargs=TINY_RESNET,
        outputs={"weights": tmp_path / "model" / "weights.pt", "config": tmp_path / "model" / "config.json",
                 "metrics": tmp_path / "metrics.json"},
        train={**schema_defaults("train"), "epochs": 6, "batch_size": 25, "lr": 5e-3, "augment": False},
        checkpoint_path=tmp_path / "checkpoint.pt",
        progress=False,
    )
    assert not (tmp_path / "checkpoint.pt").exists()  # removed once the outputs are written
    assert json.loads((tmp_path / "metrics.json").read_text()) == metrics
    assert metrics["test"]["accuracy"] > 0.9
    model = load_classifier(tmp_path / "model" / "weights.pt")
    assert model.config.image_size == [24, 24] and model.config.emotions == EMOTIONS


def test_eval_mode_restores_each_module_and_gradient_flag():
    from varemotion.models.modes import eval_mode

    classifier = tiny_classifier().train()
    classifier.net.bn1.eval()
    classifier.net.fc.weight.requires_grad_(False)
    with pytest.raises(RuntimeError, match="inside"), eval_mode(classifier, freeze=True):
        assert not any(m.training for m in classifier.modules())
        assert not any(p.requires_grad for p in classifier.parameters())
        raise RuntimeError("inside")
    assert classifier.training and not classifier.net.bn1.training
    assert not classifier.net.fc.weight.requires_grad and classifier.net.conv1[0].weight.requires_grad


def lr_sequence(scheduler, optimizer, steps: int) -> list[float]:
    rates = []
    for step in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        scheduler.step_update(step + 1)
    return rates


def test_one_schedule_keeps_the_classifier_rates_and_gives_the_prior_warm_up_and_cosine():
    from timm.scheduler import CosineLRScheduler

    from varemotion.schedules import warmup_cosine

    def optimizer(lr):
        return torch.optim.AdamW([torch.zeros(1, requires_grad=True)], lr=lr)

    # the classifier's former timm configuration, step by step, to the bit
    former, shared = optimizer(3e-3), optimizer(3e-3)
    before = CosineLRScheduler(former, t_initial=120, warmup_t=15, warmup_lr_init=3e-3 * 0.01, lr_min=3e-3 * 0.01,
                               t_in_epochs=False)
    assert lr_sequence(before, former, 120) == lr_sequence(warmup_cosine(shared, 120, 15, floor=0.01), shared, 120)
    # the prior's: from 10 % up to the peak over the warm-up, then cosine decay to 10 % at the end
    prior = optimizer(1e-3)
    rates = lr_sequence(warmup_cosine(prior, 200, 50, floor=0.1), prior, 201)
    assert rates[0] == pytest.approx(1e-4) and rates[50] == pytest.approx(1e-3 * (0.1 + 0.45 * (1 + np.cos(np.pi / 4))))
    assert max(rates) < 1e-3 and rates[200] == pytest.approx(1e-4)
    assert all(a < b for a, b in zip(rates[:49], rates[1:50])) and all(a > b for a, b in zip(rates[50:200], rates[51:]))
