"""Guided boundary sampling: objectives, the sampler loop, pair batches and filters.

The prior is an exact diffusion prior for Gaussian data (its ε-prediction is E[ε | x_t] in closed
form), so no training is needed and unguided samples are draws from N(mean, std²).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from diffusers import DDIMScheduler, DDPMScheduler
from torch import nn

import varemotion.sampling.guided as guided_module
from varemotion.models import Classifier, ClassifierConfig
from varemotion.sampling import (
    Objective,
    all_ordered_pairs,
    controversial,
    controversial_loss,
    guidance_outcome,
    guided_sample,
    keep_controversial,
    keep_uncertainty,
    normalise_guidance,
    sample_pairs,
    uncertainty,
    uncertainty_loss,
)
from varemotion.sampling.guided import alpha_bar_at, renoise_to
from varemotion.sampling.sets import sample_set_from_pairs

SIZE = 16


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny convolutions on a shared 2-core machine run far faster on one thread than on two."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class GaussianPrior:
    """Pixel-space prior for data ~ N(mean, std²) per pixel, with its exact ε-prediction."""

    def __init__(self, scheduler, mean: float = 0.0, std: float = 0.5):
        self.scheduler, self.sample_shape = scheduler, (1, SIZE, SIZE)
        self.mean, self.std = mean, std

    def denoise(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        ab = float(self.scheduler.alphas_cumprod[int(t)])
        return math.sqrt(1 - ab) * (x_t - math.sqrt(ab) * self.mean) / (ab * self.std**2 + 1 - ab)

    def decode(self, x0: torch.Tensor) -> torch.Tensor:
        return ((x0 + 1) / 2).clamp(0, 1)


class BandClassifier(nn.Module):
    """Class k's logit grows with the brightness of the k-th vertical band: a fixed, smooth guide."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        columns = images.mean(dim=(1, 2))
        return 20.0 * torch.stack([columns[:, 5 * k : 5 * k + 5].mean(1) for k in range(3)], dim=1)


def tiny_classifier() -> Classifier:
    torch.manual_seed(0)
    kwargs = {"channels": [8, 16, 16, 16], "stem_width": 8}
    config = ClassifierConfig(
        arch="resnet10t", emotions=["a", "b", "c"], image_size=[SIZE, SIZE], kwargs=kwargs
    )
    return Classifier(config).eval()


def ddpm() -> DDPMScheduler:
    return DDPMScheduler(num_train_timesteps=1000)


def run(prior, objectives, n, seed=1, **options):
    options = {"num_inference_steps": 4, "time_travel": 2, **options}
    return guided_sample(prior, objectives, n, generator=torch.Generator().manual_seed(seed), **options)


def test_uncertainty_loss_is_minimal_at_an_even_split():
    shifts = torch.linspace(-2, 2, 41)
    logits = torch.stack([shifts, torch.zeros(41), torch.full((41,), -40.0)], dim=1)
    loss = uncertainty_loss(logits, torch.zeros(41, dtype=torch.long), 1)
    assert loss.argmin() == 20  # the shift 0, where p_0 = p_1 = 0.5
    assert loss[20] == pytest.approx(math.log(2), abs=1e-6)
    assert (loss[:20] > loss[20]).all() and (loss[21:] > loss[20]).all()


def test_controversial_with_one_guide_is_exactly_twice_uncertainty():
    generator = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(64, 7, generator=generator)
    i, j = torch.randint(0, 7, (2, 64), generator=generator)
    assert torch.allclose(
        controversial_loss(logits, logits, i, j), 2 * uncertainty_loss(logits, i, j), atol=1e-5
    )
    guide = BandClassifier()
    images = torch.rand(64, 1, SIZE, SIZE, generator=generator)
    same = controversial(guide, guide, i % 3, j % 3)(images)
    assert same.shape == (64,) and torch.allclose(
        same, 2 * uncertainty(guide, i % 3, j % 3)(images), atol=1e-5
    )
    with pytest.raises(ValueError, match="one guide"):
        Objective((guide, guide, guide), i, j)


def test_normalised_guidance_has_norm_sqrt_d_sigma():
    grad = torch.randn(5, 1, SIZE, SIZE) * torch.tensor([1e-6, 1.0, 3.0, 1e3, 0.0]).view(-1, 1, 1, 1)
    norms = normalise_guidance(grad, 0.3).flatten(1).norm(dim=1)
    assert torch.allclose(norms[:4], torch.full((4,), SIZE * 0.3), rtol=1e-5)
    assert norms[4] == 0  # a zero gradient stays zero, not NaN


def test_guided_step_moves_the_sample_by_gamma_sqrt_d_sigma():
    scheduler = DDIMScheduler(num_train_timesteps=1000, timestep_spacing="trailing")
    prior = GaussianPrior(scheduler)
    objective = uncertainty(BandClassifier(), 0, 1)
    options = {"num_inference_steps": 1, "scheduler": "ddim"}
    unguided = run(prior, [objective], 3, guidance_scale=0, **options).latents
    guided = run(prior, [objective], 3, guidance_scale=0.1, **options).latents
    scheduler.set_timesteps(1)
    sigma = math.sqrt(1 - alpha_bar_at(scheduler, int(scheduler.timesteps[0])))
    step = (guided - unguided).flatten(1).norm(dim=1)
    assert torch.allclose(step, torch.full((3,), 0.1 * SIZE * sigma), rtol=1e-4)


def test_guidance_moves_target_probabilities_towards_each_other():
    pairs = torch.tensor(all_ordered_pairs(3)).repeat(3, 1)
    objective = uncertainty(BandClassifier(), pairs[:, 0], pairs[:, 1])
    options = {"num_inference_steps": 10, "time_travel": 2}
    probs = {
        g: run(GaussianPrior(ddpm()), [objective], len(pairs), guidance_scale=g, **options).probabilities[0]
        for g in (0.0, 0.1)
    }
    p_i = {g: p.gather(1, pairs[:, :1])[:, 0] for g, p in probs.items()}
    p_j = {g: p.gather(1, pairs[:, 1:])[:, 0] for g, p in probs.items()}
    assert (p_i[0.1] - p_j[0.1]).abs().mean() < 0.7 * (p_i[0.0] - p_j[0.0]).abs().mean()
    assert (p_i[0.1] + p_j[0.1]).mean() > (p_i[0.0] + p_j[0.0]).mean() + 0.1


def test_same_seed_same_samples_and_renoise_mode_is_recorded():
    prior, classifier = GaussianPrior(ddpm()), tiny_classifier()
    objective = uncertainty(classifier, 0, 2)
    first, again = run(prior, [objective], 2), run(prior, [objective], 2)
    assert torch.equal(first.images, again.images) and first.images.shape == (2, 1, SIZE, SIZE)
    assert first.settings["renoise"] == "sqrt_beta" and first.settings["objectives"] == ["uncertainty"]
    reference = run(prior, [objective], 2, renoise="beta")
    assert reference.settings["renoise"] == "beta" and not torch.allclose(first.latents, reference.latents)
    assert not torch.allclose(first.latents, run(prior, [objective], 2, seed=2).latents)
    with pytest.raises(ValueError, match="renoise"):
        run(prior, [objective], 2, renoise="sqrt")


def test_renoise_goes_from_the_previous_inference_level_to_t():
    scheduler = DDIMScheduler(num_train_timesteps=1000)
    scheduler.set_timesteps(10)
    t = int(scheduler.timesteps[3])  # the previous level is 100 training steps below
    alpha = alpha_bar_at(scheduler, t) / alpha_bar_at(scheduler, t - 100)
    noise = torch.randn(2, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    for mode, std in (("sqrt_beta", math.sqrt(1 - alpha)), ("beta", 1 - alpha)):
        out = renoise_to(scheduler, torch.ones(2, 1, 4, 4), t, mode, torch.Generator().manual_seed(0))
        assert torch.allclose(out, math.sqrt(alpha) + std * noise, atol=1e-6)


def test_ddim_and_controversial_guidance_run():
    prior = GaussianPrior(ddpm())
    a, b = tiny_classifier(), BandClassifier()
    out = run(prior, [controversial(a, b, 0, 1), uncertainty(b, 1, 2, weight=0.5)], 3, scheduler="ddim")
    assert out.settings["scheduler"] == "ddim"
    assert out.settings["objectives"] == ["controversial", "uncertainty"]
    assert len(out.probabilities) == 2 and out.probabilities[0].shape == (3, 3)
    assert torch.isfinite(out.images).all() and 0 <= out.images.min() and out.images.max() <= 1


def test_sample_pairs_covers_every_ordered_pair_within_max_batch(monkeypatch):
    batches = []
    original = guided_module.guided_sample

    def recording(prior, objectives, batch_size, **options):
        batches.append(batch_size)
        return original(prior, objectives, batch_size, **options)

    monkeypatch.setattr(guided_module, "guided_sample", recording)
    prior, classifier = GaussianPrior(ddpm()), tiny_classifier()
    options = {"num_inference_steps": 3, "time_travel": 2, "seed": 5}
    out = sample_pairs(prior, classifier, n_per_pair=2, max_batch=5, **options)
    assert sorted(set(map(tuple, out.pairs.tolist()))) == all_ordered_pairs(3)
    assert len(out.images) == len(out.pairs) == 12 and out.seeds.tolist() == list(range(5, 17))
    assert batches == [5, 5, 2] and out.settings["max_batch"] == 5
    whole = sample_pairs(prior, classifier, n_per_pair=2, max_batch=12, **options)
    assert torch.allclose(whole.images, out.images, atol=1e-4)  # each image depends on its seed only
    duel = sample_pairs(prior, (classifier, BandClassifier()), pairs=[(0, 1)], max_batch=5, **options)
    assert duel.settings["objectives"] == ["controversial"] and len(duel.probabilities) == 2


def test_keep_uncertainty_at_threshold_edges():
    probs = [[0.45, 0.45, 0.10], [0.4, 0.6, 0.0], [0.41, 0.59, 0.0], [0.45, 0.1, 0.45]]
    assert keep_uncertainty(probs, 0, 1).tolist() == [True, False, True, False]
    assert keep_uncertainty(probs, 1, 0, min_prob=0.3).tolist() == [True, True, True, False]
    # With a low threshold a third class can beat j: top-2 must still be {i, j}.
    assert keep_uncertainty([[0.3, 0.25, 0.45]], 0, 1, min_prob=0.2).tolist() == [False]


def test_keep_controversial_at_threshold_edges():
    a = torch.tensor([[0.95, 0.05], [0.9, 0.1], [0.95, 0.05], [0.05, 0.95]], dtype=torch.float32)
    b = torch.tensor([[0.05, 0.95], [0.05, 0.95], [0.1, 0.9], [0.05, 0.95]])
    assert keep_controversial(a, b, 0, 1).tolist() == [True, False, False, False]
    assert keep_controversial(a, b, 0, 1, min_prob=0.8).tolist() == [True, True, True, False]


def test_guidance_outcome_at_threshold_edges():
    probs = np.array(
        [
            [0.7, 0.1, 0.2],  # sum 0.8, min 0.1: success at both edges
            [0.75, 0.05, 0.2],  # sum 0.8, min < 0.1: bias
            [0.7, 0.09, 0.21],  # sum < 0.8: failure
            [0.4, 0.4, 0.2],  # success
            [0.8, 0.0, 0.2],  # bias
        ]
    )
    assert guidance_outcome(probs, 0, 1).tolist() == ["success", "bias", "failure", "success", "bias"]
    assert guidance_outcome(probs, 0, 1, min_sum=0.85).tolist() == ["failure"] * 5
    assert guidance_outcome(probs, [0] * 5, [1] * 5, min_each=0.05).tolist()[:2] == ["success", "success"]


def test_sample_pairs_resumes_after_a_stop_with_the_same_images(monkeypatch, tmp_path):
    prior, classifier = GaussianPrior(ddpm()), tiny_classifier()
    options = {"num_inference_steps": 3, "time_travel": 2, "max_batch": 2, "pairs": [(0, 1), (1, 2), (2, 0)]}
    whole = sample_pairs(prior, classifier, **options)
    original, calls, stop_at = guided_module.guided_sample, [], [2]

    def stopping(*args, **kwargs):
        calls.append(1)
        if len(calls) in stop_at:
            raise RuntimeError("killed")  # the job stops while sampling its second batch
        return original(*args, **kwargs)

    monkeypatch.setattr(guided_module, "guided_sample", stopping)
    checkpoint = tmp_path / "samples.pt"
    with pytest.raises(RuntimeError, match="killed"):
        sample_pairs(prior, classifier, checkpoint_path=checkpoint, **options)
    assert checkpoint.exists()
    calls.clear()
    stop_at.clear()
    resumed = sample_pairs(prior, classifier, checkpoint_path=checkpoint, **options)
    assert len(calls) == 1  # only the second (last) batch was sampled again
    assert torch.equal(resumed.images, whole.images) and torch.equal(resumed.probabilities[0], whole.probabilities[0])
    changed = sample_pairs(prior, classifier, checkpoint_path=checkpoint, **{**options, "time_travel": 1})
    assert not torch.equal(changed.images, whole.images)  # other settings do not reuse the batches


def test_class_guided_controls_pull_every_guide_towards_one_class():
    prior = GaussianPrior(ddpm())
    guides = (BandClassifier(), BandClassifier())
    options = {"num_inference_steps": 4, "time_travel": 1, "guidance_scale": 1.0, "seed": 0}
    pairs = [(k, k) for k in range(3)]
    controls = sample_pairs(prior, guides, pairs=pairs, n_per_pair=6, separate_guides=True, **options)
    assert controls.settings["objectives"] == ["uncertainty", "uncertainty"]
    unguided = sample_pairs(prior, (), pairs=pairs, n_per_pair=6, **{**options, "guidance_scale": 0.0})
    target = controls.pairs[:, 0]
    for probabilities in controls.probabilities:
        guided_p = probabilities.gather(1, target[:, None]).mean()
        plain_p = torch.softmax(BandClassifier()(unguided.images), 1).gather(1, target[:, None]).mean()
        assert guided_p > plain_p + 0.2
    sample_set = sample_set_from_pairs(controls, "control", ["a", "b"], ["x", "y", "z"])
    sample_set.validate()
    assert (sample_set.i == sample_set.j).all() and sample_set.i.tolist() == target.tolist()
    assert (sample_set_from_pairs(unguided, "control", [], ["x", "y", "z"]).i == -1).all()


def band_images(bright_band: list[int]) -> torch.Tensor:
    """Images in [0, 1] with the k-th vertical band bright (−1: none), as BandClassifier reads them."""
    images = torch.full((len(bright_band), 1, SIZE, SIZE), 0.2)
    for n, k in enumerate(bright_band):
        if k >= 0:
            images[n, ..., 5 * k : 5 * k + 5] = 0.9
    return images


def test_an_objective_reaches_its_goal_only_on_one_class_per_guide():
    images = band_images([0, -1, 1])
    guide = BandClassifier()
    _, reached = uncertainty(guide, 0, 0).evaluate(images, goal=0.9)
    assert reached.tolist() == [True, False, False]
    _, reached = controversial(guide, guide, torch.tensor([0, 0, 1]), torch.tensor([0, 0, 1])).evaluate(images, 0.9)
    assert reached.tolist() == [True, False, True]
    _, reached = controversial(guide, guide, 0, 1).evaluate(images, goal=0.9)  # the guides cannot both agree
    assert not reached.any()
    _, reached = uncertainty(guide, 0, 1).evaluate(images, goal=0.01)  # two classes: never a goal
    assert not reached.any()
    loss, reached = uncertainty(guide, 0, 0).evaluate(images, goal=1.0)
    assert not reached.any() and torch.equal(loss, uncertainty(guide, 0, 0)(images))


def test_guidance_pauses_where_the_goal_is_reached_and_so_moves_the_image_less():
    prior = GaussianPrior(ddpm())
    objectives = [uncertainty(BandClassifier(), 0, 0)]
    x_t = 2 * band_images([0, -1]) - 1  # the Gaussian prior's x̂0 at a late step is close to x_t
    t = torch.tensor(10)
    ab = alpha_bar_at(prior.scheduler, 10)
    _, grad = guided_module.guidance_gradient(prior, objectives, x_t, t, ab, goal=0.9)
    assert grad[0].abs().max() == 0 and grad[1].abs().max() > 0
    _, always = guided_module.guidance_gradient(prior, objectives, x_t, t, ab)
    assert always[0].abs().max() > 0
    options = {"num_inference_steps": 10, "time_travel": 1, "guidance_scale": 1.0}
    targets = torch.tensor([0, 1, 2] * 4)
    control = [uncertainty(BandClassifier(), targets, targets)]
    plain = run(prior, control, len(targets), guidance_scale=0.0, **{k: v for k, v in options.items() if k != "guidance_scale"})
    pushed, paused = (run(prior, control, len(targets), guidance_goal=goal, **options) for goal in (1.0, 0.8))
    assert paused.settings["guidance_goal"] == 0.8
    moved = {name: (out.latents - plain.latents).flatten(1).norm(dim=1).mean() for name, out in
             (("pushed", pushed), ("paused", paused))}
    assert moved["paused"] < 0.8 * moved["pushed"]
    p_target = paused.probabilities[0].gather(1, targets[:, None])[:, 0]
    assert (p_target > 0.6).float().mean() >= 0.75
