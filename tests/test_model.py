"""Shape contracts and the loss math against torch.distributions as an oracle."""
import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vae_core.models.config import VAEConfig
from vae_core.models.losses import kl_to_standard_normal, log_normal, reconstruction_nll
from vae_core.models.model import VAE


@pytest.mark.parametrize("latent_dim", [2, 16])
@pytest.mark.parametrize("kind", ["vae", "ae"])
def test_shapes(latent_dim, kind):
    model = VAE(VAEConfig(kind=kind, latent_dim=latent_dim))
    x = torch.rand(5, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, latent_dim)
    logits, mu2, _ = model(x)
    assert logits.shape == (5, 784)
    assert torch.equal(mu, mu2)
    images = model.decode(torch.randn(7, latent_dim))
    assert images.shape == (7, 1, 28, 28)
    assert images.min() >= 0 and images.max() <= 1


def test_encoder_is_deterministic_and_sampling_is_not():
    model = VAE(VAEConfig()).eval()
    x = torch.rand(3, 1, 28, 28)
    mu_a, logvar_a = model.encode(x)
    mu_b, logvar_b = model.encode(x)
    assert torch.equal(mu_a, mu_b) and torch.equal(logvar_a, logvar_b)
    z_a, z_b = model.sample_posterior(mu_a, logvar_a), model.sample_posterior(mu_a, logvar_a)
    assert not torch.equal(z_a, z_b)


def test_reparameterisation_matches_posterior_moments():
    model = VAE(VAEConfig())
    mu = torch.tensor([[1.5, -2.0]]).expand(200_000, 2)
    logvar = torch.tensor([[0.4, -1.2]]).expand(200_000, 2)
    z = model.sample_posterior(mu, logvar, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(z.mean(0), mu[0], atol=0.01)
    assert torch.allclose(z.std(0), torch.exp(0.5 * logvar[0]), atol=0.01)


def test_reparameterisation_is_differentiable_in_mu_and_logvar():
    model = VAE(VAEConfig())
    mu = torch.zeros(4, 2, requires_grad=True)
    logvar = torch.zeros(4, 2, requires_grad=True)
    model.sample_posterior(mu, logvar).sum().backward()
    assert mu.grad is not None and logvar.grad is not None and logvar.grad.abs().sum() > 0


def test_autoencoder_has_no_variance():
    model = VAE(VAEConfig(kind="ae"))
    mu, logvar = model.encode(torch.rand(2, 1, 28, 28))
    assert torch.isneginf(logvar).all()
    assert torch.equal(model.sample_posterior(mu, logvar), mu)
    assert model.logvar_head is None


@pytest.mark.parametrize("latent_dim", [2, 16])
def test_kl_matches_torch_distributions(latent_dim):
    gen = torch.Generator().manual_seed(1)
    mu = torch.randn(64, latent_dim, generator=gen) * 2
    logvar = torch.randn(64, latent_dim, generator=gen)
    posterior = Normal(mu, torch.exp(0.5 * logvar))
    prior = Normal(torch.zeros_like(mu), torch.ones_like(mu))
    oracle = kl_divergence(posterior, prior).sum(1)
    assert torch.allclose(kl_to_standard_normal(mu, logvar), oracle, atol=1e-5)


def test_kl_is_zero_only_at_the_prior():
    zeros = torch.zeros(1, 2)
    assert kl_to_standard_normal(zeros, zeros).item() == 0.0
    assert kl_to_standard_normal(zeros + 0.1, zeros).item() > 0


def test_log_normal_matches_torch_distributions():
    gen = torch.Generator().manual_seed(2)
    z, mu, logvar = (torch.randn(10, 3, generator=gen) for _ in range(3))
    oracle = Normal(mu, torch.exp(0.5 * logvar)).log_prob(z).sum(1)
    assert torch.allclose(log_normal(z, mu, logvar), oracle, atol=1e-5)


def test_reconstruction_matches_bernoulli_cross_entropy_on_soft_targets():
    gen = torch.Generator().manual_seed(3)
    logits = torch.randn(4, 784, generator=gen)
    x = torch.rand(4, 1, 28, 28, generator=gen)
    p = torch.sigmoid(logits)
    oracle = -(x.reshape(4, -1) * p.log() + (1 - x.reshape(4, -1)) * (1 - p).log()).sum(1)
    assert torch.allclose(reconstruction_nll(logits, x), oracle, atol=1e-3)


def test_config_rejects_nonsense():
    with pytest.raises(ValueError):
        VAEConfig(kind="gan")
    with pytest.raises(ValueError):
        VAEConfig(latent_dim=0)
    with pytest.raises(ValueError):
        VAEConfig(beta=-1)
    with pytest.raises(ValueError):
        VAEConfig.from_dict({"latent_dim": 2, "colour": "red"})


def test_encode_returns_the_mean_head_then_the_log_variance_head():
    """Hand-set weights: every hidden activation feeds mu through zero weights and a bias of 3, log sigma^2
    through zero weights and a bias of -1, so the right answer is known without running the encoder's code."""
    model = VAE(VAEConfig(latent_dim=2, hidden_dims=(8,))).eval()
    with torch.no_grad():
        model.mu_head.weight.zero_(), model.mu_head.bias.fill_(3.0)
        model.logvar_head.weight.zero_(), model.logvar_head.bias.fill_(-1.0)
        mu, logvar = model.encode(torch.rand(4, 1, 28, 28))
    assert torch.equal(mu, torch.full((4, 2), 3.0)) and torch.equal(logvar, torch.full((4, 2), -1.0))
