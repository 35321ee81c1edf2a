"""A model on disk, in one place: its name, its files, saving them as one unit, loading with every
check, listing, deleting, the shipped models and the default.

A model NAME in the models folder is either

    NAME.pt                                            a native checkpoint (vae_core.storage.checkpoint)
    NAME.model.json, NAME.encoder.onnx, NAME.decoder.onnx    an imported model (vae_core.models.onnx_model)

plus its latent caches NAME.latents.npz (test split) and NAME.train_latents.npz (training split),
which record the SHA-256 of NAME.pt or NAME.model.json (the manifest holds the ONNX files' hashes),
so a cache and its model are one unit: a cache made from another file is refused.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from vae_core.models.onnx_model import DECODER_SUFFIX, ENCODER_SUFFIX, MANIFEST_SUFFIX, OnnxModelError, load_onnx_model
from vae_core.storage.checkpoint import CheckpointError, file_sha256, load_checkpoint, remove_stale_temporaries, stage
from vae_core.storage.latents import LatentCache, encode_split, load_latent_cache, save_npz
from vae_core.storage.settings import models_dir

if TYPE_CHECKING:  # listing, paths and caches come without torch (the map's first view)
    import torch

    from vae_core.models.latent_model import LatentModel

DEFAULT_MODEL = "mnist_vae_z2"
VAE_MODEL, AE_MODEL = "mnist_vae_z2", "mnist_ae_z2"  # the pair the Prior vs posterior page compares first
# The models that come with the app (committed in models/): never deleted from it.
SHIPPED_MODELS = ("mnist_vae_z2", "mnist_ae_z2", "mnist_vae_z2_beta0.1", "mnist_vae_z2_beta4", "mnist_vae_z16",
                  "fashion_vae_z2", "mnist_conv_vae_z2")
VALID_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
UPLOAD_ENCODER_SUFFIX = ".upload_encoder.pt"  # a model's encoder for uploads, a .pt that is not a model
IMPORT_HINT = "import it with `latent-explorer import` (see README, \"Your own VAE\")"


@dataclass(frozen=True)
class ModelFiles:
    """The paths of model `name` in `folder`; nothing is read until asked."""

    folder: Path
    name: str

    @property
    def checkpoint(self) -> Path:
        return self.folder / f"{self.name}.pt"

    @property
    def manifest(self) -> Path:
        return self.folder / f"{self.name}{MANIFEST_SUFFIX}"

    @property
    def is_onnx(self) -> bool:
        return not self.checkpoint.exists() and self.manifest.exists()

    @property
    def main(self) -> Path:
        """The file the caches record: the checkpoint, or an imported model's manifest."""
        return self.manifest if self.is_onnx else self.checkpoint

    @property
    def weights(self) -> list[Path]:
        if self.is_onnx:
            return [self.manifest, self.folder / f"{self.name}{ENCODER_SUFFIX}", self.folder / f"{self.name}{DECODER_SUFFIX}"]
        return [self.checkpoint]

    def cache(self, train: bool = False) -> Path:
        return self.folder / f"{self.name}{'.train_latents' if train else '.latents'}.npz"

    @property
    def summary(self) -> Path:
        """What the pages show of the model alone, measured when it was saved (vae_core.analysis.summary)."""
        return self.folder / f"{self.name}.summary.json"

    @property
    def facts(self) -> Path:
        """What the model file says of itself, readable without torch (vae_core.storage.map_files)."""
        return self.folder / f"{self.name}.facts.json"

    @property
    def map_payload(self) -> Path:
        """The map's model payload, packed when the model was saved (vae_core.storage.map_files)."""
        return self.folder / f"{self.name}.map.bin"

    @property
    def upload_encoder(self) -> Path:
        """The encoder for uploads trained beside the model (vae_core.uploads.upload_encoder); not a model itself."""
        return self.folder / f"{self.name}{UPLOAD_ENCODER_SUFFIX}"

    @property
    def record(self) -> Path:
        """Written only by the app's own training when it saves: who trained it (vae_core.storage.store.read_record)."""
        return self.folder / f"{self.name}.trained.json"

    @property
    def all_files(self) -> list[Path]:
        return [*self.weights, *self.derived]

    @property
    def derived(self) -> list[Path]:
        """The files made from the main one (caches, summary, stored map, record), whatever its format."""
        return [self.cache(), self.cache(train=True), self.summary, self.facts, self.map_payload, self.upload_encoder,
                self.record]

    @property
    def every_name(self) -> list[Path]:
        """Every file a model of this name can have, in either format."""
        onnx = [self.folder / f"{self.name}{suffix}" for suffix in (MANIFEST_SUFFIX, ENCODER_SUFFIX, DECODER_SUFFIX)]
        return [self.checkpoint, *onnx, *self.derived]

    def stamp(self) -> int:
        """A number that changes whenever any of the model's weight files changes (sum of mtimes in ns)."""
        return sum(p.stat().st_mtime_ns for p in self.weights if p.exists())

    def inside_folder(self) -> bool:
        """Whether every file, links followed, stays in the folder (a link out of it is not followed)."""
        root = self.folder.resolve()
        return all(p.resolve().is_relative_to(root) for p in self.all_files)


def model_files(name: str, folder: Path | None = None) -> ModelFiles:
    """Model `name` in `folder` (default: the models folder, vae_core.storage.settings)."""
    return ModelFiles(Path(folder) if folder is not None else models_dir(), name)


def files_for_path(path: str | Path) -> ModelFiles:
    """models/NAME.pt or models/NAME.model.json -> model NAME in models/ (a CLI's --checkpoint)."""
    path = Path(path)
    name = path.name[: -len(MANIFEST_SUFFIX)] if path.name.endswith(MANIFEST_SUFFIX) else path.stem
    return ModelFiles(path.parent, name)


def cache_path_for(path: str | Path, train: bool = False) -> Path:
    """models/NAME.pt -> models/NAME.latents.npz (test split) or models/NAME.train_latents.npz"""
    return files_for_path(path).cache(train)


def list_models(folder: Path | None = None) -> list[str]:
    """Names of the models in the folder (native and imported), sorted, the default first.

    One read of the folder: a model's files are resolved (a link out of the folder is not followed) only
    when one of them is a link, so 10,000 files list in a fraction of a second."""
    folder = Path(folder) if folder is not None else models_dir()
    try:
        with os.scandir(folder) as entries:
            links = {e.name: e.is_symlink() for e in entries}
    except OSError:
        return []
    stems = ({n[: -len(".pt")] for n in links if n.endswith(".pt") and not n.endswith(UPLOAD_ENCODER_SUFFIX)}
             | {n[: -len(MANIFEST_SUFFIX)] for n in links if n.endswith(MANIFEST_SUFFIX)})
    names = []
    for name in sorted(n for n in stems if VALID_NAME.fullmatch(n)):
        files = ModelFiles(folder, name)
        if not any(links.get(p.name) for p in files.every_name) or files.inside_folder():
            names.append(name)
    return sorted(names, key=lambda n: n != DEFAULT_MODEL)


def load_model(files: ModelFiles) -> tuple[LatentModel, dict]:
    """The model behind `files` with every check of its format; raises CheckpointError naming the file."""
    if files.is_onnx:
        try:
            return load_onnx_model(files.manifest)
        except (OnnxModelError, OSError) as exc:
            raise CheckpointError(str(exc) if isinstance(exc, OnnxModelError) else
                                  f"{files.manifest.name} is not readable ({type(exc).__name__})") from exc
    return load_checkpoint(files.checkpoint)


def load_cache(files: ModelFiles, latent_dim: int, main_sha256: str, train: bool = False) -> LatentCache:
    """The model's latent cache, refused unless it records this very model file and has its latent dim."""
    path = files.cache(train)
    try:
        cache = load_latent_cache(path)
    except ValueError as exc:
        raise CheckpointError(f"the latent cache of model {files.name} is missing or unusable: {exc}") from exc
    if cache.checkpoint_sha256 is None or cache.checkpoint_sha256 != main_sha256:
        raise CheckpointError(f"the latent cache {path.name} was not made from this {files.main.name} (a save was "
                              "interrupted, or one of the files was replaced); rebuild it with "
                              f"latent-explorer latents --model {files.name}")
    if cache.mu.shape[1] != latent_dim:
        raise CheckpointError(f"latent cache {path.name} has {cache.mu.shape[1]} dims, the model {latent_dim}")
    return cache


def save_unit(files: ModelFiles, writers: list[tuple[Path, callable]], model: LatentModel, data_root: Path,
              record: dict | None = None, metrics: dict | None = None) -> None:
    """Write a model's files (`writers`: (final path, write(tmp_path)); the first is `files.main`), both
    latent caches (the test one with its per-image measures and, above 2-D, its UMAP layout), its summary and the
    map's stored first view (its facts with `metrics`, and its payload: vae_core.storage.map_files) as one unit.

    All are written to temporary files first (the slow part: encoding 70,000 images), then renamed:
    the caches, the other parts, the main file last. A kill before the renames leaves the old unit;
    stale temporaries are removed before the next save of the same name. Each cache records the new
    main file's hash, so even a kill between the renames is refused on loading rather than shown.
    """
    from vae_core.analysis.digit_measures import with_map_extras  # these measure with vae_core.analysis
    from vae_core.analysis.summary import build_summary, write_summary
    from vae_core.storage.map_files import build_facts, pack_map

    files.folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(files.folder, [p.name for p in files.every_name])
    staged: list[tuple[Path, Path]] = []
    try:
        for final, write in writers:
            staged.append((stage(final, write), final))
        digest = file_sha256(staged[0][0])
        for train in (True, False):
            cache = encode_split(model, data_root, train, digest)
            cache = cache if train else with_map_extras(cache, model, data_root)
            staged.insert(0, (stage(files.cache(train), lambda tmp, c=cache: save_npz(tmp, c)), files.cache(train)))
        payload = pack_map(files.name, model, cache, digest, file_sha256(staged[0][0]))  # the test cache, staged last
        facts = json.dumps(build_facts(model.info, dict(metrics or {}), digest))
        staged.insert(0, (stage(files.map_payload, lambda tmp: Path(tmp).write_bytes(payload)), files.map_payload))
        staged.insert(0, (stage(files.facts, lambda tmp: Path(tmp).write_text(facts)), files.facts))
        summary = build_summary(model, digest, data_root)
        staged.insert(0, (stage(files.summary, lambda tmp: write_summary(tmp, summary)), files.summary))
        if record is not None:
            text = json.dumps({**record, "model_sha256": digest})
            staged.insert(0, (stage(files.record, lambda tmp: Path(tmp).write_text(text)), files.record))
        main = staged[len(staged) - len(writers)]
        for tmp, final in [*(pair for pair in staged if pair is not main), main]:  # the main file last
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def save_native(model: torch.nn.Module, files: ModelFiles, metrics: dict, data_root: Path,
                record: dict | None = None) -> None:
    """A native checkpoint (config, weights, metrics) and its caches, as one unit; `record` (the app's
    training only: {"owner": ...}) marks it as trained here."""
    import torch

    from vae_core.storage.checkpoint import checkpoint_payload, small_metrics

    payload = checkpoint_payload(model, metrics)
    save_unit(files, [(files.checkpoint, lambda tmp: torch.save(payload, tmp))], model, data_root, record,
              small_metrics(files.checkpoint.name, payload["metrics"]))  # as loading the checkpoint gives them


def delete(files: ModelFiles) -> None:
    """Remove a model's files: the main file first, so an interrupted delete leaves nothing listed."""
    for path in [files.main, *files.all_files]:
        path.unlink(missing_ok=True)


def taken(folder: Path, name: str) -> bool:
    """Whether any file of a model `name`, native or imported, exists in `folder`."""
    return any(p.exists() for p in ModelFiles(folder, name).every_name)


def trained_name(dataset: str, kind: str, latent_dim: int, beta: float, when: datetime, folder: Path) -> str:
    """A readable name no file in `folder` has: mnist_vae_z2_beta4_20261123-0912 (then -2, -3, ...)."""
    data = "fashion" if dataset == "fashion-mnist" else dataset
    base = f"{data}_{kind}_z{latent_dim}{f'_beta{beta:g}' if kind == 'vae' else ''}_{when:%Y%m%d-%H%M}"
    name, n = base, 1
    while taken(folder, name):
        n += 1
        name = f"{base}-{n}"
    return name


_NAME = re.compile(r"(?P<data>mnist|fashion)_(?P<kind>vae|ae)_z(?P<dim>\d+)(?:_beta(?P<beta>[0-9.e+-]+?))?"
                   r"(?:_(?P<day>\d{8})-(?P<time>\d{4})(?:-(?P<n>\d+))?)?")


MAX_RECORD_BYTES = 4096


def read_record(files: ModelFiles) -> dict | None:
    """The record the app's training wrote beside the model ({"owner", "model_sha256", ...}), or None: a model
    without one (shipped, imported, copied in by the operator) was not trained here. A record of another file
    (the model was replaced) does not count."""
    path = files.record
    try:
        if not path.is_file() or path.is_symlink() or path.stat().st_size > MAX_RECORD_BYTES:
            return None
        record = json.loads(path.read_text())
        if not isinstance(record, dict) or not isinstance(record.get("owner"), str):
            return None
        return record if record.get("model_sha256") == file_sha256(files.main) else None
    except (OSError, ValueError):
        return None


def trained_here(name: str, folder: Path | None = None) -> bool:
    """Whether the app's own training saved `name` (its record says so), never a shipped model."""
    return name not in SHIPPED_MODELS and read_record(model_files(name, folder)) is not None


def describe_name(name: str, folder: Path | None = None) -> str:
    """A readable label for a model named like the shipped ones (mnist_vae_z2_beta4 ->
    "VAE β = 4 · 2-D latent · MNIST") or by `trained_name` (... · trained 2026-11-23 09:12);
    any other name is returned as it is, marked when it is an imported ONNX model."""
    match = _NAME.fullmatch(name)
    if match is None:
        return f"{name} (ONNX)" if model_files(name, folder).is_onnx else name
    kind = "VAE" + (f" β = {match['beta']}" if match["beta"] else "") if match["kind"] == "vae" else "Plain autoencoder"
    data = "MNIST" if match["data"] == "mnist" else "Fashion-MNIST"
    label = f"{kind} · {match['dim']}-D latent · {data}"
    if match["day"]:
        d, t = match["day"], match["time"]
        label += f" · trained {d[:4]}-{d[4:6]}-{d[6:]} {t[:2]}:{t[2:]}" + (f" ({match['n']})" if match["n"] else "")
    return label + (" (default)" if name == DEFAULT_MODEL else "")
