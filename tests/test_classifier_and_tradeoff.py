"""The classifier that judges decoded images, its verdict, and the numbers behind the trade-off page."""
import numpy as np
import pytest
import torch

from vae_core.analysis import explore, tradeoff
from vae_core.analysis.classifier import (
    Classifier,
    ClassifierConfig,
    class_probabilities,
    classifier_path,
    load_classifier,
    verdict,
)
from vae_core.data.datasets import load_split
from vae_core.storage.checkpoint import CheckpointError, save_checkpoint


def test_classifier_shapes_and_round_trip(tmp_path):
    model = Classifier(ClassifierConfig(channels=(4, 8), hidden=16)).eval()
    probabilities = class_probabilities(model, np.random.default_rng(0).random((5, 28, 28)))
    assert probabilities.shape == (5, 10) and np.allclose(probabilities.sum(axis=1), 1, atol=1e-5)
    save_checkpoint(model, tmp_path / "c.pt", {"test_accuracy": 0.5})
    loaded, metrics = load_classifier(tmp_path / "c.pt")
    assert loaded.config == model.config and metrics == {"test_accuracy": 0.5}
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), loaded.state_dict().values(), strict=True))


@pytest.mark.parametrize("changes", [{"channels": (4, 10**6)}, {"hidden": 10**7}, {"dataset": "cifar"}, {"depth": 3}])
def test_classifier_config_is_bounded(tmp_path, changes):
    model = Classifier(ClassifierConfig())
    torch.save({"config": {"dataset": "mnist", "channels": (32, 64), "hidden": 128, **changes},
                "state_dict": model.state_dict()}, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match="odd.pt has an invalid config"):
        load_classifier(tmp_path / "odd.pt")


def test_verdict_against_hand_counts():
    probabilities = np.array([
        [0.95] + [0.05 / 9] * 9,  # class 0, sure
        [0.0] * 3 + [0.91] + [0.09 / 6] * 6,  # class 3, sure
        [0.5, 0.5] + [0.0] * 8,  # unsure
        [0.0] * 3 + [0.99, 0.01] + [0.0] * 5,  # class 3, sure
    ])
    judged = verdict(probabilities)
    assert judged["confident_share"] == 0.75
    assert judged["class_counts"] == [1, 0, 0, 2, 0, 0, 0, 0, 0, 0]
    shares = np.array([1, 2]) / 3
    assert judged["class_entropy_bits"] == pytest.approx(-(shares * np.log2(shares)).sum())
    assert verdict(np.eye(10)[np.arange(100) % 10])["class_entropy_bits"] == pytest.approx(np.log2(10))


@pytest.mark.slow  # several seconds: the fast suite stays under a minute
def test_shipped_mnist_classifier_reaches_99_percent(data_root):
    model, metrics = load_classifier(classifier_path("mnist"))
    images, labels = load_split(data_root, "mnist", train=False)
    accuracy = (class_probabilities(model, images).argmax(axis=1) == labels.numpy()).mean()
    assert accuracy >= 0.99 and accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-4)


def test_between_clusters_finds_the_border_and_each_class_nearest():
    mu = np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [9.0, 0.0], [10.0, 0.0], [11.0, 0.0]])
    labels = np.array([0, 0, 0, 1, 1, 1])
    where = tradeoff.between_clusters(mu, labels, 0, 1, steps=1001)
    # the centres are (1, 0) and (10, 0); the border is equidistant from (2, 0) and (9, 0)
    np.testing.assert_allclose(where.z, [5.5, 0.0], atol=0.01)
    assert (where.index_a, where.index_b) == (2, 3)


def test_bernoulli_sample_and_grey_share():
    p = np.full((200, 28, 28), 0.3, np.float32)
    sample = tradeoff.bernoulli_sample(p, seed=1)
    assert set(np.unique(sample)) == {0.0, 1.0} and abs(sample.mean() - 0.3) < 0.01
    assert tradeoff.grey_ink_share(sample) == 0.0  # pure ink and background
    image = np.zeros((28, 28), np.float32)
    image[:, :4], image[:, 4:8] = 1.0, 0.5  # 4 solid columns, 4 grey ones
    assert tradeoff.grey_ink_share(image) == pytest.approx(0.5)


def test_kl_per_dim_sums_to_the_kl_and_active_units():
    rng = np.random.default_rng(0)
    mu, sigma = rng.normal(size=6), rng.uniform(0.2, 1.5, size=6)
    np.testing.assert_allclose(explore.kl_per_dim(mu, sigma).sum(), explore.kl_per_point(mu[None], sigma[None])[0])
    means = np.column_stack([rng.normal(size=1000), rng.normal(size=1000) * 0.01, np.zeros(1000)])
    assert explore.active_units(means).tolist() == [True, False, False]
