"""Does the fast suite catch plausible bugs? Put each bug below into a copy of the repository, one at a time, run the
fast suite there (stopping at its first failure) and print whether it was caught.

    python -m bench.mutations                    # every mutation, the whole fast suite each
    python -m bench.mutations --only kl_doubled --tests tests/test_map_js.py
    python -m bench.mutations --list

Every entry must be caught; add one whenever a bug slips past the tests, or new code grows a place a bug could hide.
The copy holds the files git tracks and the untracked ones it does not ignore, so work in progress is measured too;
it is committed in a repository of its own, and the mutations are left uncommitted.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

REPO = Path(__file__).resolve().parents[1]
FAST_SUITE = ["-m", "not slow", "-x", "-q", "-p", "no:cacheprovider", "-p", "no:warnings"]


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str


MUTATIONS = [
    # The map's panel, in the browser (static/latent_map)
    Mutation("kl_doubled", "static/latent_map/stats.js", "  return 0.5 * kl;", "  return kl;"),
    Mutation("sigma_is_the_variance", "static/latent_map/stats.js", "Math.exp(0.5 * lv)", "Math.exp(lv)"),
    Mutation("kl_median_is_a_quartile", "static/latent_map/stats.js", "sorted[sorted.length >> 1]",
             "sorted[sorted.length >> 2]"),
    Mutation("percentile_search_reversed", "static/latent_map/stats.js", "if (sorted[mid] < value) lo = mid + 1",
             "if (sorted[mid] > value) lo = mid + 1"),
    Mutation("fourteen_neighbours", "static/latent_map/selection.js", "const NEIGHBOURS = 15;",
             "const NEIGHBOURS = 14;"),
    Mutation("decoder_drops_a_bias", "static/latent_map/decoder.js", "const s = b[o] + (s0 + s1) + (s2 + s3);",
             "const s = (s0 + s1) + (s2 + s3);"),
    Mutation("ellipse_too_narrow", "static/latent_map/projection.js", "rx: Math.sqrt(mean + spread)",
             "rx: Math.sqrt(mean + spread / 2)"),
    Mutation("ellipse_turned_twice", "static/latent_map/projection.js", "angle: 0.5 * Math.atan2(",
             "angle: Math.atan2("),
    # Files on disk and uploads
    Mutation("cache_without_hash_accepted", "vae_core/storage/store.py",
             "if cache.checkpoint_sha256 is None or cache.checkpoint_sha256 != main_sha256:",
             "if cache.checkpoint_sha256 is not None and cache.checkpoint_sha256 != main_sha256:"),
    Mutation("cache_hash_never_checked", "vae_core/storage/store.py",
             "if cache.checkpoint_sha256 is None or cache.checkpoint_sha256 != main_sha256:", "if False:"),
    Mutation("pixel_budget_times_4", "vae_core/uploads/preprocess.py", "if pixels > MAX_PIXELS:",
             "if pixels > 4 * MAX_PIXELS:"),
    Mutation("shipped_model_deletable", "explorer_ui/training.py", "    if name not in owners:\n",
             "    if name not in owners and '/' not in name:\n"),
    # The model and its math
    Mutation("encode_heads_swapped", "vae_core/models/model.py", "return mu, self.logvar_head(h)",
             "return self.logvar_head(h), mu"),
    Mutation("kl_sign_flipped", "vae_core/models/losses.py", "(mu.pow(2) + logvar.exp() - 1.0 - logvar)",
             "(mu.pow(2) + logvar.exp() - 1.0 + logvar)"),
    Mutation("reparameterised_with_the_variance", "vae_core/models/latent_model.py",
             "return mu + torch.exp(0.5 * logvar) * eps", "return mu + torch.exp(logvar) * eps"),
    Mutation("slider_forgets_the_prior", "vae_core/analysis/explore.py",
             "margin * np.maximum(hi - lo, 1e-6), prior_reach)", "margin * np.maximum(hi - lo, 1e-6), 0.0)"),
    Mutation("python_ellipse_uses_variances", "vae_core/analysis/projection.py",
             "np.sqrt(np.clip(values, 0, None))", "np.clip(values, 0, None)"),
    Mutation("stretch_is_the_determinant", "vae_core/analysis/geometry.py",
             "torch.sqrt(torch.clamp(torch.linalg.det(gram), min=0.0))", "torch.clamp(torch.linalg.det(gram), min=0.0)"),
    Mutation("geodesic_counts_hops", "vae_core/analysis/geodesic.py",
             "weights = np.linalg.norm(images[heads] - images[tails], axis=1) + 1e-12", "weights = np.ones(len(heads))"),
    Mutation("prior_ball_one_dim_too_many", "vae_core/analysis/directions.py", "chi2.ppf(mass, dim)",
             "chi2.ppf(mass, dim + 1)"),
    Mutation("inside_sum_drops_the_bias", "vae_core/analysis/inside.py",
             "self.terms(head, unit).astype(np.float64).sum() + self.bias[head][unit]",
             "self.terms(head, unit).astype(np.float64).sum()"),
]


def copy_repo(target: Path) -> None:
    """The tracked files and the untracked ones git does not ignore, into `target`."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, check=True,
                            capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    # A repository of its own: some tests ask git which files are committed (the shipped models).
    for command in (["init", "-q"], ["add", "-A"], ["-c", "user.name=bench", "-c", "user.email=bench@localhost",
                                                      "commit", "-qm", "the copy under test"]):
        subprocess.run(["git", *command], cwd=target, check=True, capture_output=True)


def run_suite(copy: Path, tests: list[str]) -> tuple[bool, float]:
    """(caught: the suite failed, seconds) for the fast suite run in `copy`, importing the copy's code."""
    env = {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", *FAST_SUITE, *tests], cwd=copy, env=env,
                          capture_output=True, text=True)
    return done.returncode != 0, time.perf_counter() - started


def check_imports_the_copy(copy: Path) -> None:
    """The copy's code, not the installed checkout's, must be what its tests import."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    where = subprocess.run([sys.executable, "-c", "import vae_core; print(vae_core.__file__)"], cwd=copy, env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    if not Path(where).resolve().is_relative_to(copy.resolve()):
        raise SystemExit(f"the copy imports vae_core from {where}, not from itself")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="names of the mutations to try (default: all)")
    parser.add_argument("--tests", nargs="*", default=[], help="test files or node ids (default: the whole fast suite)")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or m.name in args.only]
    if args.list:
        for m in chosen:
            print(f"{m.name:38s} {m.path}")
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="mutations-") as folder:
        copy = Path(folder)
        copy_repo(copy)
        check_imports_the_copy(copy)
        failed, seconds = run_suite(copy, args.tests)
        if failed:  # a suite that fails anyway would "catch" every bug
            raise SystemExit(f"the suite fails without any mutation ({seconds:.0f} s): fix it first")
        for m in tqdm(chosen, desc="mutations", unit="bug"):
            target = copy / m.path
            original = target.read_text()
            if original.count(m.old) != 1:
                rows.append((m, "STALE: the code to change is not there once", 0.0))
                continue
            target.write_text(original.replace(m.old, m.new))
            try:
                caught, seconds = run_suite(copy, args.tests)
            finally:
                target.write_text(original)
            rows.append((m, "caught" if caught else "NOT CAUGHT", seconds))
    print(f"\n{'mutation':38s} {'file':34s} {'result':12s} seconds")
    for m, result, seconds in rows:
        print(f"{m.name:38s} {m.path:34s} {result:12s} {seconds:7.1f}")
    missed = [m.name for m, result, _ in rows if result != "caught"]
    print(f"\n{len(rows) - len(missed)} of {len(rows)} caught" + (f"; not caught: {', '.join(missed)}" if missed else ""))
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
