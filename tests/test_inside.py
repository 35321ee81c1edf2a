"""Inside the encoder (vae_core.analysis.inside): the weighted sums shown add up to the encoder's own mu and
log sigma^2, checked against a numpy forward pass written from the state dict, and the sampling step against
its closed form."""
import numpy as np
import pytest
import torch

from vae_core.analysis.inside import first_layer_weights, largest_terms, sampling_step, trace_encoder
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage.checkpoint import load_checkpoint
from vae_core.storage.settings import REPO


@pytest.fixture(scope="module")
def shipped():
    return load_checkpoint(REPO / "models" / "mnist_vae_z2.pt")[0]


def numpy_encoder(model: VAE, x: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray | None]:
    """An independent forward pass: every Linear's weight and bias read from the state dict, in order."""
    state = {k: v.double().numpy() for k, v in model.state_dict().items()}
    body = sorted({k.rsplit(".", 1)[0] for k in state if k.startswith("encoder_body.0.")}, key=lambda k: int(k.split(".")[2]))
    h, hidden = x.astype(np.float64), []
    for layer in body:
        h = np.maximum(state[f"{layer}.weight"] @ h + state[f"{layer}.bias"], 0)
        hidden.append(h)
    mu = state["mu_head.weight"] @ h + state["mu_head.bias"]
    logvar = state["logvar_head.weight"] @ h + state["logvar_head.bias"] if "logvar_head.weight" in state else None
    return hidden, mu, logvar


def inputs() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    stroke = np.zeros((28, 28), np.float32)
    stroke[6:22, 13:15] = 1.0  # a hand-drawn 1
    return [stroke.reshape(-1), rng.random(784, dtype=np.float32), np.zeros(784, np.float32)]


@pytest.mark.parametrize("which", range(3))
def test_the_sums_shown_add_up_to_the_encoders_own_outputs(shipped, which):
    x = inputs()[which]
    trace = trace_encoder(shipped, x)
    hidden, mu, logvar = numpy_encoder(shipped, x)
    assert [h.shape for h in trace.hidden] == [(512,), (256,)]
    for mine, oracle in zip(trace.hidden, hidden, strict=True):
        np.testing.assert_allclose(mine, oracle, atol=1e-4)
    np.testing.assert_allclose(trace.mu, mu, atol=1e-4)
    np.testing.assert_allclose(trace.logvar, logvar, atol=1e-4)
    for head, oracle in (("mu", mu), ("logvar", logvar)):
        for unit in range(2):
            assert trace.output(head, unit) == pytest.approx(oracle[unit], abs=1e-4)
            assert trace.terms(head, unit).shape == (256,)


def test_mu1_and_mu2_read_the_same_activations_through_different_weights(shipped):
    trace = trace_encoder(shipped, inputs()[0])
    same_activations = trace.terms("mu", 0) / np.where(trace.weights["mu"][0] == 0, 1, trace.weights["mu"][0])
    active = trace.last > 0
    np.testing.assert_allclose(same_activations[active], trace.last[active], rtol=1e-5)
    correlation = np.corrcoef(trace.weights["mu"][0], trace.weights["mu"][1])[0, 1]
    assert abs(correlation) < 0.9, "two heads, two weight vectors"
    assert not np.allclose(trace.terms("mu", 0), trace.terms("mu", 1))
    other = trace_encoder(shipped, inputs()[1])
    assert np.array_equal(other.weights["mu"], trace.weights["mu"]), "the input changes mu, not the weights"
    assert not np.allclose(other.mu, trace.mu)


def test_a_plain_autoencoder_has_no_variance_head():
    torch.manual_seed(0)
    model = VAE(VAEConfig(kind="ae", hidden_dims=(32, 16))).eval()
    trace = trace_encoder(model, inputs()[1])
    hidden, mu, logvar = numpy_encoder(model, inputs()[1])
    assert trace.logvar is None and logvar is None and list(trace.weights) == ["mu"]
    np.testing.assert_allclose(trace.mu, mu, atol=1e-5)


def test_the_first_layers_weights_are_its_rows_as_images(shipped):
    images = first_layer_weights(shipped, np.array([5, 0]))
    rows = shipped.state_dict()["encoder_body.0.0.weight"].numpy()
    assert images.shape == (2, 28, 28)
    assert np.array_equal(images[0].reshape(-1), rows[5]) and np.array_equal(images[1].reshape(-1), rows[0])


def test_the_sampling_step_and_its_gradients_match_the_closed_form():
    mu, logvar, eps = np.array([0.5, -1.2]), np.array([-2.0, 0.4]), np.array([1.3, -0.7])
    step = sampling_step(mu, logvar, eps)
    sigma = np.array([np.exp(-1.0), np.exp(0.2)])  # exp(logvar / 2), by hand
    np.testing.assert_allclose(step.sigma, sigma)
    np.testing.assert_allclose(step.z, [0.5 + sigma[0] * 1.3, -1.2 - sigma[1] * 0.7])
    np.testing.assert_allclose(step.grad_mu, [1.0, 1.0])
    np.testing.assert_allclose(step.grad_logvar, 0.5 * sigma * eps)  # d/dlogvar of exp(logvar / 2) * eps


def test_largest_terms_by_magnitude():
    assert largest_terms(np.array([0.1, -3.0, 2.0, 0.0]), 2).tolist() == [1, 2]
