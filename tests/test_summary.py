"""A model's summary (vae_core.analysis.summary): measured when saved, read back only for the model and
classifier it was measured with, and the one prior-verdict figure the pages and the README quote."""
from __future__ import annotations

import json
import re

import pytest

from vae_core.analysis.classifier import classifier_path, load_classifier
from vae_core.analysis.evaluate import prior_verdict
from vae_core.analysis.summary import PRIOR_SAMPLES, read_summary, write_summary
from vae_core.storage.checkpoint import file_sha256
from vae_core.storage.settings import REPO
from vae_core.storage.store import SHIPPED_MODELS, delete, model_files

MODELS = REPO / "models"


@pytest.mark.parametrize("name", SHIPPED_MODELS)
def test_every_shipped_model_has_a_summary_of_its_own_file(name):
    files = model_files(name, MODELS)
    summary = read_summary(files.summary, file_sha256(files.main))
    assert summary is not None, f"{files.summary.name} is missing or records another file"
    recon, kl = summary["test_terms"]
    assert recon > 50 and (kl > 0 if name != "mnist_ae_z2" else kl == 0)
    judged = summary["prior_verdict"]
    assert judged["classifier_sha256"] == file_sha256(classifier_path(_dataset(name)))
    assert sum(judged["class_counts"]) == round(judged["confident_share"] * PRIOR_SAMPLES)


def _dataset(name: str) -> str:
    return "fashion-mnist" if name.startswith("fashion") else "mnist"


@pytest.mark.slow
def test_the_default_models_summary_is_the_verdict_measured_afresh():
    """The stored figure is what evaluate measures on the same 4,000 samples (seed 0), to the sample."""
    from vae_core.storage.checkpoint import load_checkpoint

    model, _ = load_checkpoint(MODELS / "mnist_vae_z2.pt")
    classifier, _ = load_classifier(classifier_path("mnist"))
    fresh = prior_verdict(model, classifier, PRIOR_SAMPLES, 0)
    saved = read_summary(model_files("mnist_vae_z2", MODELS).summary, file_sha256(MODELS / "mnist_vae_z2.pt"))
    assert saved["prior_verdict"]["class_counts"] == fresh["class_counts"]
    assert saved["prior_verdict"]["confident_share"] == fresh["confident_share"]


def test_the_readme_quotes_the_summarys_figure():
    """One number: the README's "prior named" for the default is the summary's share, to 0.1 %."""
    row = next(line for line in (REPO / "README.md").read_text().splitlines() if line.startswith("| `mnist_vae_z2` (default)"))
    quoted = float(re.findall(r"([\d.]+) %", row)[0])
    saved = json.loads((MODELS / "mnist_vae_z2.summary.json").read_text())
    assert quoted == round(100 * saved["prior_verdict"]["confident_share"], 1)


@pytest.fixture
def tiny(tmp_path):
    """A model file and a summary of it as build_summary writes one (test_jobs measures a real one)."""
    files = model_files("tiny", tmp_path)
    files.checkpoint.write_bytes(b"the model's file")
    digest = file_sha256(files.checkpoint)
    summary = {"format": "latent-explorer-summary", "version": 1, "model_sha256": digest, "test_terms": [540.5, 3.25],
               "prior_verdict": {"n": PRIOR_SAMPLES, "seed": 0, "classifier_sha256": "cd" * 32, "confident_share": 0.25,
                                 "class_counts": [100] * 10, "class_entropy_bits": 3.32}}
    write_summary(files.summary, summary)
    return files, digest, summary


def test_a_summary_round_trips_and_refuses_another_models_file(tiny):
    files, digest, summary = tiny
    assert read_summary(files.summary, digest) == summary
    assert read_summary(files.summary, "0" * 64) is None, "a summary of another file was accepted"


@pytest.mark.parametrize("tamper", [
    lambda s: s.update(format="other"),
    lambda s: s["prior_verdict"].update(class_counts=[1] * 9),
    lambda s: s["prior_verdict"].update(n=10),
    lambda s: s["prior_verdict"].update(confident_share="lots"),
    lambda s: s.update(test_terms=[1.0, float("nan")]),
])
def test_a_tampered_summary_is_not_believed(tiny, tamper):
    files, digest, summary = tiny
    tamper(summary)
    files.summary.write_text(json.dumps(summary))
    read = read_summary(files.summary, digest)
    assert read is None or read["prior_verdict"] is None or read["test_terms"] is None


def test_a_huge_or_broken_summary_file_is_not_read(tiny):
    files, digest, _ = tiny
    files.summary.write_text("{" + " " * 70_000 + "}")
    assert read_summary(files.summary, digest) is None
    files.summary.write_bytes(b"\xff\xfe not json")
    assert read_summary(files.summary, digest) is None


def test_deleting_a_model_removes_its_summary(tiny):
    files, _, _ = tiny
    delete(files)
    assert not files.summary.exists() and not files.checkpoint.exists()
