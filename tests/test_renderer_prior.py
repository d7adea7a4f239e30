"""The renderer prior: diffusion on the synthetic renderer's parameters, decoded by rendering."""

from __future__ import annotations

import pytest
import torch

from conftest import REPO
from varemotion.config import ConfigError, check_config, load_schema, workflow_config
from helpers import from_schema, save_prior_in
from varemotion.diffusion import build_prior, load_prior
from varemotion.sampling.quality import unguided_samples
from varemotion.diffusion.training import PriorTrainConfig, train_prior
from varemotion.faces import generate_faces, render

SIZE = 32


def faces(n: int, seed: int) -> dict:
    return generate_faces(n, seed=seed, size=SIZE)


def test_encoding_and_decoding_give_back_the_rendered_face():
    prior = build_prior("renderer", (1, SIZE, SIZE))
    data = faces(16, seed=0)
    au, identity = torch.as_tensor(data["au"]), torch.as_tensor(data["identity"])
    x0 = prior.encode_parameters(au, identity)
    assert x0.shape == (16, *prior.sample_shape)
    assert x0.abs().max() <= 1 + 1e-6  # every parameter's range maps into [-1, 1]
    back_au, back_identity = prior.parameters_of(x0)
    assert torch.allclose(back_au, au, atol=1e-5) and torch.allclose(back_identity, identity, atol=1e-5)
    expected = render(au, identity, size=SIZE, noise_std=0.0)
    assert torch.allclose(prior.decode(x0), expected, atol=1e-5)


def test_guidance_reaches_the_parameters_through_the_renderer():
    prior = build_prior("renderer", (1, SIZE, SIZE))
    x0 = prior.encode_parameters(torch.as_tensor(faces(4, seed=1)["au"]), torch.as_tensor(faces(4, seed=1)["identity"]))
    x0.requires_grad_()
    prior.decode(x0)[:, :, SIZE // 2 :].mean().backward()  # the lower face: the mouth's action units
    assert x0.grad.abs().sum() > 0


def test_trained_prior_draws_the_data_s_parameter_distribution(tmp_path):
    data = faces(2000, seed=2)
    torch.manual_seed(0)
    prior = build_prior("renderer", (1, SIZE, SIZE), width=128, depth=3)
    params = prior.encode_parameters(torch.as_tensor(data["au"]), torch.as_tensor(data["identity"]))
    config = from_schema(PriorTrainConfig, "prior", "train", steps=400, batch_size=256, lr=2e-3, warmup_steps=20, ema_decay=0.99)
    train_prior(prior, params, config, torch.device("cpu"), progress=False)
    loaded = load_prior(save_prior_in(prior.eval(), tmp_path))
    images = unguided_samples(loaded, 400, {"scheduler": "ddpm", "num_inference_steps": 50, "time_travel": 1}, 400, seed=0)
    assert images.shape == (400, 1, SIZE, SIZE) and images.min() >= 0 and images.max() <= 1

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(400, *loaded.sample_shape, generator=generator)
    loaded.scheduler.set_timesteps(50)
    with torch.no_grad():
        for t in loaded.scheduler.timesteps:
            x = loaded.scheduler.step(loaded.denoise(x, t), t, x, generator=generator).prev_sample
    drawn = torch.cat(loaded.parameters_of(x), dim=1)
    truth = torch.cat([torch.as_tensor(data["au"]), torch.as_tensor(data["identity"])], dim=1)
    spread = truth.std(0)
    # every parameter's mean within a third of its spread, and spreads of the same size
    assert ((drawn.mean(0) - truth.mean(0)).abs() / spread).max() < 0.33
    assert (drawn.std(0) / spread).min() > 0.5 and (drawn.std(0) / spread).max() < 1.6


def test_the_renderer_prior_is_refused_for_real_faces(tmp_path):
    config = workflow_config(REPO, REPO / "config" / "ferplus_cpu.yaml")
    config["data"]["ferplus"]["root"] = str(tmp_path)
    config["prior"]["kind"] = "renderer"
    with pytest.raises(ConfigError, match="prior.kind: 'renderer' learns the synthetic renderer's parameters"):
        check_config(config, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))


def test_auto_is_the_renderer_prior_on_synthetic_faces_and_the_latent_prior_on_real_ones(tmp_path):
    assert workflow_config(REPO)["prior"]["kind"] == "renderer"
    config = workflow_config(REPO, REPO / "config" / "ferplus_cpu.yaml")
    assert config["prior"]["kind"] == "latent"
    extra = tmp_path / "config.yaml"
    extra.write_text(f"data: {{source: ferplus, ferplus: {{root: {tmp_path}}}}}\n")
    config = workflow_config(REPO, extra)
    assert config["prior"]["kind"] == "latent"
    check_config(config, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))
