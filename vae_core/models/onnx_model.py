"""An imported model: an ONNX encoder and decoder with a JSON manifest, run with onnxruntime.

Loading runs no user code: ONNX is a graph of standard operators, and no custom
operator library is ever registered. In the models folder a model NAME is

    NAME.model.json     the manifest (below)
    NAME.encoder.onnx   x (B, 1, S, S) float32 in [0, 1] -> mu (B, D) [, logvar (B, D)]
    NAME.decoder.onnx   z (B, D) float32 -> (B, S*S) or (B, 1, S, S): probabilities or logits

    {"format": "latent-explorer-onnx", "version": 1, "kind": "vae", "latent_dim": 2,
     "dataset": "mnist", "image_size": 28, "beta": null, "decoder_output": "probabilities",
     "encoder": {"bytes": ..., "sha256": ...}, "decoder": {"bytes": ..., "sha256": ...},
     "source": "examples/conv_vae.py:ConvVAE", "metrics": {...}}

Every check (sizes, hashes, input and output shapes, a probe encode and decode that must be
finite and, for probabilities, in [0, 1]) runs before a model is usable; a failure is an
OnnxModelError naming the file and what is wrong.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vae_core.data.datasets import DATASETS
from vae_core.models.config import MAX_LATENT_DIM
from vae_core.models.latent_model import KINDS, ModelInfo, reparameterize

if TYPE_CHECKING:  # the file names and the manifest's checks come without torch; running the model imports it
    import torch

FORMAT, VERSION = "latent-explorer-onnx", 1
MANIFEST_SUFFIX, ENCODER_SUFFIX, DECODER_SUFFIX = ".model.json", ".encoder.onnx", ".decoder.onnx"
OUTPUTS = ("probabilities", "logits")
MAX_MANIFEST_BYTES = 1 << 20
MAX_ONNX_BYTES = 48 << 20  # per file (a model at most 96 MB, as a checkpoint); the shipped ones are under 1 MB
_PROBE_BATCH = 3
_EPS = 1e-7  # probabilities are clamped this far from 0 and 1 before they are turned into logits


class OnnxModelError(ValueError):
    """An imported model's files are missing, malformed, or do not behave as the manifest says."""


def onnx_paths(manifest: Path) -> tuple[Path, Path]:
    """models/NAME.model.json -> (models/NAME.encoder.onnx, models/NAME.decoder.onnx)"""
    stem = manifest.name[: -len(MANIFEST_SUFFIX)]
    return manifest.with_name(stem + ENCODER_SUFFIX), manifest.with_name(stem + DECODER_SUFFIX)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_manifest(path: Path) -> dict:
    """The manifest's dict with every field checked; raises OnnxModelError."""
    name = path.name
    if not path.is_file():
        raise OnnxModelError(f"model manifest {name} does not exist")
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise OnnxModelError(f"model manifest {name} is larger than any manifest this app writes")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # unreadable, not UTF-8, not JSON, absurd numbers or nesting
        raise OnnxModelError(f"model manifest {name} is not readable JSON ({type(exc).__name__})") from exc
    check_manifest(name, manifest)
    return manifest


def check_manifest(name: str, manifest) -> None:
    """Raise OnnxModelError unless `manifest` has the fields and value ranges the format says."""
    def bad(what: str) -> OnnxModelError:
        return OnnxModelError(f"model manifest {name}: {what}")

    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise bad(f"expected format {FORMAT!r}")
    if manifest.get("version") != VERSION:
        raise bad(f"version {manifest.get('version')!r}; this code reads version {VERSION}")
    if manifest.get("kind") not in KINDS:
        raise bad(f"kind must be one of {', '.join(KINDS)}")
    dim = manifest.get("latent_dim")
    if not isinstance(dim, int) or isinstance(dim, bool) or not 2 <= dim <= MAX_LATENT_DIM:
        raise bad(f"latent_dim must be an integer from 2 to {MAX_LATENT_DIM}")
    if manifest.get("dataset") not in DATASETS:
        raise bad(f"dataset must be one of {', '.join(DATASETS)}")
    if manifest.get("image_size") != 28:
        raise bad("image_size must be 28 (the app's datasets are 28x28 grey images)")
    beta = manifest.get("beta")
    if beta is not None and (not isinstance(beta, int | float) or isinstance(beta, bool) or not 0 <= beta < 1e6):
        raise bad("beta must be a number >= 0, or null when unknown")
    if manifest.get("decoder_output") not in OUTPUTS:
        raise bad(f"decoder_output must be one of {', '.join(OUTPUTS)}")
    for half in ("encoder", "decoder"):
        entry = manifest.get(half)
        if (not isinstance(entry, dict) or not isinstance(entry.get("bytes"), int)
                or not 0 < entry["bytes"] <= MAX_ONNX_BYTES or not isinstance(entry.get("sha256"), str)):
            raise bad(f"{half} must give the file's bytes (at most {MAX_ONNX_BYTES >> 20} MB) and sha256")
    if not isinstance(manifest.get("metrics", {}), dict):
        raise bad("metrics must be an object")


class OnnxModel:
    """LatentModel over two onnxruntime sessions. Build with `load_onnx_model`, which checks everything."""

    def __init__(self, info: ModelInfo, encoder, decoder, decoder_output: str) -> None:
        self.info = info
        self._encoder, self._decoder = encoder, decoder
        self._decoder_output = decoder_output
        self.decoder_bytes: bytes = b""  # the decoder's graph travels to the browser, which runs it

    @property
    def is_vae(self) -> bool:
        return self.info.is_vae

    def browser_decoder(self) -> OnnxDecoderExport:
        return OnnxDecoderExport(self.decoder_bytes, self.info.latent_dim, self.info.image_size, self._decoder_output)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, 1, S, S) or (B, S*S) in [0, 1] -> mu, logvar (B, D); logvar = -inf for an autoencoder."""
        import torch

        size = self.info.image_size
        batch = np.ascontiguousarray(x.detach().cpu().reshape(-1, 1, size, size).numpy(), dtype=np.float32)
        outputs = self._encoder.run(None, {self._encoder.get_inputs()[0].name: batch})
        if len(outputs) != (2 if self.is_vae else 1):
            raise OnnxModelError(f"the encoder returns {len(outputs)} outputs; a {self.info.kind} returns "
                                 + ("mu and logvar" if self.is_vae else "mu"))
        mu = torch.from_numpy(np.asarray(outputs[0], np.float32).reshape(len(batch), -1))
        if not self.is_vae:
            return mu, torch.full_like(mu, float("-inf"))
        return mu, torch.from_numpy(np.asarray(outputs[1], np.float32).reshape(len(batch), -1))

    def _run_decoder(self, z: torch.Tensor) -> np.ndarray:
        codes = np.ascontiguousarray(z.detach().cpu().reshape(-1, self.info.latent_dim).numpy(), dtype=np.float32)
        out = np.asarray(self._decoder.run(None, {self._decoder.get_inputs()[0].name: codes})[0], np.float32)
        if out.size != len(codes) * self.info.n_pixels:
            raise OnnxModelError(f"the decoder returned shape {out.shape} for {len(codes)} codes; "
                                 f"expected ({len(codes)}, {self.info.n_pixels}) or ({len(codes)}, 1, 28, 28)")
        return out.reshape(len(codes), self.info.n_pixels)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, D) -> Bernoulli logits (B, S*S). A decoder that outputs probabilities is clamped to
        [1e-7, 1 - 1e-7] first, so log-likelihoods stay finite."""
        import torch

        out = torch.from_numpy(self._run_decoder(z))
        return out if self._decoder_output == "logits" else torch.logit(out, eps=_EPS)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, D) -> pixel probabilities (B, 1, S, S)."""
        import torch

        out = torch.from_numpy(self._run_decoder(z))
        probabilities = torch.sigmoid(out) if self._decoder_output == "logits" else out
        size = self.info.image_size
        return probabilities.reshape(-1, 1, size, size)

    def sample_posterior(self, mu: torch.Tensor, logvar: torch.Tensor,
                         generator: torch.Generator | None = None) -> torch.Tensor:
        return reparameterize(mu, logvar, generator) if self.is_vae else mu


@dataclass(frozen=True, eq=False)
class OnnxDecoderExport:
    """An imported model's decoder as the browser runs it (static/latent_map/onnx_decoder.js): the
    ONNX graph's bytes and what the page needs to read its output. Duck-types export.DecoderExport."""

    graph: bytes
    latent_dim: int
    image_size: int
    output: str  # "probabilities" or "logits"

    @property
    def digest(self) -> str:
        return sha256_bytes(self.graph)

    def to_bytes(self) -> tuple[dict, bytes]:
        return ({"format": "onnx", "latent_dim": self.latent_dim, "image_size": self.image_size,
                 "output": self.output, "sha256": self.digest}, self.graph)


def _refuse_external_data(name: str, data: bytes) -> None:
    """ONNX lets a tensor's values live in another file, named by a path; onnxruntime would read it.
    A model here is its two files and nothing else: refuse any tensor stored outside them."""
    import onnx  # imported here: only imported models need it

    try:
        graph = onnx.load_model_from_string(data).graph  # a string has no folder: external data is not read
    except Exception as exc:  # protobuf's DecodeError (not a public type) and others
        raise OnnxModelError(f"{name} is not a usable ONNX model ({type(exc).__name__})") from exc
    graphs = [graph]
    while graphs:
        g = graphs.pop()
        tensors = [*g.initializer, *(sparse.values for sparse in g.sparse_initializer)]
        for node in g.node:
            for attribute in node.attribute:
                tensors += [attribute.t, *attribute.tensors]
                graphs += [attribute.g, *attribute.graphs] if attribute.HasField("g") or attribute.graphs else []
        if any(t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data) for t in tensors):
            raise OnnxModelError(f"{name} keeps tensors in another file (ONNX external data); export it as one "
                                 "file (torch.onnx.export(..., external_data=False))")


def _session(name: str, data: bytes):
    import onnxruntime as ort  # imported here: only imported models need it

    _refuse_external_data(name, data)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # many visitors share the server's cores
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types for a bad graph
        raise OnnxModelError(f"{name} is not a usable ONNX model: {str(exc).splitlines()[0][:200]}") from exc


def _read_checked(path: Path, entry: dict) -> bytes:
    if not path.is_file():
        raise OnnxModelError(f"{path.name} does not exist")
    if path.stat().st_size != entry["bytes"]:
        raise OnnxModelError(f"{path.name} has {path.stat().st_size} bytes; its manifest says {entry['bytes']}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OnnxModelError(f"{path.name} is not readable ({type(exc).__name__})") from exc
    if sha256_bytes(data) != entry["sha256"]:
        raise OnnxModelError(f"{path.name} does not match the hash in its manifest (it was changed or replaced)")
    return data


def load_onnx_model(manifest_path: str | Path) -> tuple[OnnxModel, dict]:
    """Read, check and probe an imported model. Returns (model, metrics); raises OnnxModelError."""
    manifest_path = Path(manifest_path)
    manifest = read_manifest(manifest_path)
    encoder_path, decoder_path = onnx_paths(manifest_path)
    encoder_bytes = _read_checked(encoder_path, manifest["encoder"])
    decoder_bytes = _read_checked(decoder_path, manifest["decoder"])
    return model_from_bytes(manifest, encoder_bytes, decoder_bytes, manifest_path.name), dict(manifest.get("metrics", {}))


def model_from_bytes(manifest: dict, encoder_bytes: bytes, decoder_bytes: bytes, name: str) -> OnnxModel:
    """An OnnxModel from a checked manifest and the two graphs' bytes, probed before it is returned."""
    info = ModelInfo(manifest["kind"], manifest["latent_dim"], manifest["dataset"], manifest["image_size"],
                     manifest["beta"] if manifest["kind"] == "vae" else None, source="onnx")
    model = OnnxModel(info, _session(f"the encoder of {name}", encoder_bytes),
                      _session(f"the decoder of {name}", decoder_bytes), manifest["decoder_output"])
    probe(model, name)
    model.decoder_bytes = decoder_bytes
    return model


def probe(model, name: str) -> None:
    """Encode a small batch and decode its means: shapes, finiteness and the output range must be
    what the interface promises. Raises OnnxModelError saying what came back."""
    import torch

    info = model.info
    x = torch.rand(_PROBE_BATCH, 1, info.image_size, info.image_size, generator=torch.Generator().manual_seed(0))
    try:
        with torch.inference_mode():
            mu, logvar = model.encode(x)
            pixels = model.decode(mu)
    except OnnxModelError:
        raise
    except Exception as exc:  # a wrong input rank or size fails inside onnxruntime
        raise OnnxModelError(f"{name}: a probe batch of {_PROBE_BATCH} images (B, 1, 28, 28) failed: "
                             f"{str(exc).splitlines()[0][:200]}") from exc
    if mu.shape != (_PROBE_BATCH, info.latent_dim) or logvar.shape != mu.shape:
        raise OnnxModelError(f"{name}: the encoder returned mu {tuple(mu.shape)}, expected ({_PROBE_BATCH}, {info.latent_dim})")
    if not torch.isfinite(mu).all() or (info.is_vae and not torch.isfinite(logvar).all()):
        raise OnnxModelError(f"{name}: the encoder returned values that are not finite")
    if not torch.isfinite(pixels).all() or pixels.min() < 0 or pixels.max() > 1:
        raise OnnxModelError(f"{name}: the decoder's output is not finite probabilities in [0, 1]")
