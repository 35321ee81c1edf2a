"""A model's summary: the numbers the pages show that depend on the model alone, measured once when
the model is saved or imported and kept beside it (NAME.summary.json), so that no visitor waits for them.

    {"format": "latent-explorer-summary", "version": 1, "model_sha256": "...",
     "test_terms": [reconstruction, KL] or null,
     "prior_verdict": {"n": 4000, "seed": 0, "classifier_sha256": "...", "confident_share": ...,
                       "class_counts": [...], "class_entropy_bits": ...} or null}

It records the SHA-256 of the model's main file (like the latent caches) and of the classifier that
judged the prior samples: a summary of another model or classifier is ignored.

    latent-explorer summary [NAME ...]      # (re)write the summaries of models saved before summaries existed
"""
from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch
from tqdm import tqdm

from vae_core.analysis.classifier import classifier_path, load_classifier
from vae_core.analysis.evaluate import prior_verdict, test_terms
from vae_core.data.datasets import has_split, load_split
from vae_core.models.latent_model import LatentModel
from vae_core.storage.checkpoint import CheckpointError, atomic_write, file_sha256
from vae_core.storage.settings import data_root

FORMAT, VERSION = "latent-explorer-summary", 1
PRIOR_SAMPLES, PRIOR_SEED = 4000, 0  # every page and the README quote this one draw of z ~ N(0, I)
MAX_BYTES = 64 * 1024  # a real summary is under 1 KB; a larger file is not read


def classifier_sha256(dataset: str) -> str | None:
    """The hash of the dataset's classifier file, or None without one."""
    path = classifier_path(dataset)
    return file_sha256(path) if path.is_file() else None


@torch.inference_mode()
def build_summary(model: LatentModel, model_sha256: str, root: str | Path) -> dict:
    """Measure the summary of `model`: test terms when the test split is in `root`, the verdict on
    PRIOR_SAMPLES decoded prior samples when the dataset has a classifier."""
    dataset = model.info.dataset
    terms = None
    if has_split(root, dataset, train=False):
        images, _ = load_split(root, dataset, train=False)
        terms = [v if math.isfinite(v) else None for v in test_terms(model, images, seed=0)]
    judged = None
    digest = classifier_sha256(dataset)
    if digest is not None:
        classifier, _ = load_classifier(classifier_path(dataset))
        judged = {"n": PRIOR_SAMPLES, "seed": PRIOR_SEED, "classifier_sha256": digest,
                  **prior_verdict(model, classifier, PRIOR_SAMPLES, PRIOR_SEED)}
    return {"format": FORMAT, "version": VERSION, "model_sha256": model_sha256, "test_terms": terms,
            "prior_verdict": judged}


def write_summary(path: str | Path, summary: dict) -> None:
    Path(path).write_text(json.dumps(summary, indent=1) + "\n")


def read_summary(path: str | Path, model_sha256: str) -> dict | None:
    """The summary at `path` if it is one and records this model's hash; else None (the pages then measure)."""
    path = Path(path)
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        summary = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(summary, dict) or summary.get("format") != FORMAT or summary.get("version") != VERSION:
        return None
    if summary.get("model_sha256") != model_sha256:
        return None
    terms, judged = summary.get("test_terms"), summary.get("prior_verdict")
    if terms is not None and not (isinstance(terms, list) and len(terms) == 2 and all(_finite(v) for v in terms)):
        summary["test_terms"] = None
    if judged is not None and not _valid_verdict(judged):
        summary["prior_verdict"] = None
    return summary


def _finite(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _valid_verdict(judged) -> bool:
    counts = judged.get("class_counts") if isinstance(judged, dict) else None
    return (isinstance(counts, list) and len(counts) == 10 and all(isinstance(c, int) and c >= 0 for c in counts)
            and _finite(judged.get("confident_share")) and _finite(judged.get("class_entropy_bits"))
            and judged.get("n") == PRIOR_SAMPLES and judged.get("seed") == PRIOR_SEED
            and isinstance(judged.get("classifier_sha256"), str))


def main(argv: list[str] | None = None) -> None:
    from vae_core.storage import store

    parser = argparse.ArgumentParser(description="(Re)write the summaries of models in the models folder.")
    parser.add_argument("names", nargs="*", help="model names (default: every model)")
    parser.add_argument("--data-root", default=str(data_root()))
    args = parser.parse_args(argv)
    for name in tqdm(args.names or store.list_models(), desc="summaries", unit="model"):
        files = store.model_files(name)
        try:
            model, _ = store.load_model(files)
        except CheckpointError as exc:
            print(f"{name}: skipped: {exc}")
            continue
        with torch.inference_mode():
            summary = build_summary(model, file_sha256(files.main), args.data_root)
        atomic_write(files.summary, lambda tmp, s=summary: write_summary(tmp, s))
