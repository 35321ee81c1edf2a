"""`latent-explorer import module` and `import onnx`: a user's nn.Module (its code runs here only, in
this command on the user's machine) checked and exported to an ONNX encoder and decoder, or an ONNX
pair checked and copied; both written with a manifest (vae_core.models.onnx_model) and the latent caches.

The checks: encode(x) takes (B, 1, 28, 28) (or flat (B, 784)) and returns mu and logvar of shape
(B, D) with 2 <= D <= 64 (mu alone for --kind ae); decode(z) returns B x 784 values, in [0, 1] for
--decoder-output probabilities; both are deterministic (the same input twice gives the same output);
the exported graphs reproduce the module within 1e-4.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import sys
import tempfile
from pathlib import Path

import torch
from torch import nn

from vae_core.commands.importer import ImportRefused, output_files
from vae_core.models.config import MAX_LATENT_DIM
from vae_core.models.onnx_model import (
    FORMAT,
    MAX_ONNX_BYTES,
    VERSION,
    OnnxModelError,
    check_manifest,
    model_from_bytes,
    onnx_paths,
    sha256_bytes,
)
from vae_core.storage import store

PROBE = 8
TOLERANCE = 1e-4


def add_module_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", type=Path, help="the Python file that defines the model's class")
    parser.add_argument("--class", dest="class_name", required=True, help="the nn.Module class in that file")
    parser.add_argument("--weights", type=Path, required=True, help="its state_dict (torch.save(model.state_dict()))")
    parser.add_argument("--args", default="{}", help='constructor keyword arguments as JSON, e.g. \'{"latent_dim": 2}\'')
    parser.add_argument("--encode", default="encode", help="the method x -> (mu, logvar) (default: encode)")
    parser.add_argument("--decode", default="decode", help="the method z -> image (default: decode)")
    parser.add_argument("--decoder-output", choices=["probabilities", "logits"], default="probabilities")
    parser.add_argument("--kind", choices=["vae", "ae"], default="vae", help="ae: encode returns mu only")


def build_module(args: argparse.Namespace) -> nn.Module:
    """The user's model: class from `source`, built with --args, weights loaded strictly, eval mode."""
    if not args.source.is_file():
        raise ImportRefused(f"{args.source} does not exist")
    spec = importlib.util.spec_from_file_location(f"_imported_{args.source.stem}", args.source)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(args.source.parent.resolve()))  # the file may import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the user's file may fail in any way
        raise ImportRefused(f"running {args.source.name} failed: {type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.pop(0)
    cls = getattr(module, args.class_name, None)
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        raise ImportRefused(f"{args.source.name} defines no nn.Module class named {args.class_name}")
    try:
        kwargs = json.loads(args.args)
        model = cls(**kwargs)
    except Exception as exc:  # not JSON, wrong arguments, or the constructor itself failed
        raise ImportRefused(f"--args {args.args!r} does not build {args.class_name}: {type(exc).__name__}: {exc}") from exc
    from vae_core.commands.importer import read_state_dict

    state, _ = read_state_dict(args.weights)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise ImportRefused(f"{args.weights.name} does not fit {args.class_name}({args.args}): "
                            f"{str(exc).splitlines()[1].strip() if len(str(exc).splitlines()) > 1 else exc}") from exc
    for name in (args.encode, args.decode):
        if not callable(getattr(model, name, None)):
            raise ImportRefused(f"{args.class_name} has no method {name}; name the methods with --encode and --decode")
    return model.eval()


class EncoderHalf(nn.Module):
    """x (B, 1, 28, 28) -> mu (B, D) [, logvar (B, D)], whatever shapes the user's method takes and returns."""

    def __init__(self, model: nn.Module, method: str, flat: bool, is_vae: bool) -> None:
        super().__init__()
        self.model, self.method, self.flat, self.is_vae = model, method, flat, is_vae

    def forward(self, x: torch.Tensor):
        out = getattr(self.model, self.method)(x.reshape(x.shape[0], -1) if self.flat else x)
        if self.is_vae:
            return out[0].reshape(x.shape[0], -1), out[1].reshape(x.shape[0], -1)
        mu = out[0] if isinstance(out, tuple | list) else out
        return mu.reshape(x.shape[0], -1)


class DecoderHalf(nn.Module):
    """z (B, D) -> (B, 784): the user's decode, flattened."""

    def __init__(self, model: nn.Module, method: str) -> None:
        super().__init__()
        self.model, self.method = model, method

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return getattr(self.model, self.method)(z).reshape(z.shape[0], -1)


def _as_tuple(out) -> tuple[torch.Tensor, ...]:
    return tuple(out) if isinstance(out, tuple | list) else (out,)


@torch.inference_mode()
def check_halves(model: nn.Module, args: argparse.Namespace, images: torch.Tensor) -> tuple[EncoderHalf, DecoderHalf]:
    """Run a batch through both halves and refuse, saying what came back, unless the interface holds."""
    is_vae = args.kind == "vae"
    encoder = None
    errors = []
    for flat in (False, True):  # the image layout first, then flat vectors
        try:
            candidate = EncoderHalf(model, args.encode, flat, is_vae).eval()
            outputs = _as_tuple(candidate(images))
            encoder = candidate
            break
        except Exception as exc:  # the user's code may fail in any way
            errors.append(f"{'(B, 784)' if flat else '(B, 1, 28, 28)'}: {type(exc).__name__}: {exc}")
    if encoder is None:
        raise ImportRefused(f"{args.encode}(x) failed for a batch of {len(images)} images: " + "; ".join(errors))
    mu = outputs[0]
    if mu.ndim != 2 or mu.shape[0] != len(images) or not 2 <= mu.shape[1] <= MAX_LATENT_DIM:
        raise ImportRefused(f"{args.encode} returned mu of shape {tuple(mu.shape)}; expected ({len(images)}, D), "
                            f"2 <= D <= {MAX_LATENT_DIM}" + (" (with --kind vae it must return (mu, logvar))" if is_vae else ""))
    if any(not torch.isfinite(t).all() for t in outputs):
        raise ImportRefused(f"{args.encode} returned values that are not finite")
    if any(not torch.equal(a, b) for a, b in zip(outputs, _as_tuple(encoder(images)), strict=True)):
        raise ImportRefused(f"{args.encode} is not deterministic (the same images gave different outputs); "
                            "the encoder must output mu and logvar, not a sample")
    decoder = DecoderHalf(model, args.decode).eval()
    try:
        pixels = decoder(mu)
    except Exception as exc:
        raise ImportRefused(f"{args.decode}(z) failed for z of shape {tuple(mu.shape)}: {type(exc).__name__}: {exc}") from exc
    if pixels.shape != (len(images), 784):
        raise ImportRefused(f"{args.decode} returned {pixels.numel() // len(images)} values per code; expected 784 (28x28)")
    if not torch.isfinite(pixels).all():
        raise ImportRefused(f"{args.decode} returned values that are not finite")
    if args.decoder_output == "probabilities" and (pixels.min() < 0 or pixels.max() > 1):
        raise ImportRefused(f"{args.decode} returned values in [{pixels.min():.3g}, {pixels.max():.3g}], not probabilities "
                            "in [0, 1]; if it returns logits, pass --decoder-output logits")
    if not torch.equal(pixels, decoder(mu)):
        raise ImportRefused(f"{args.decode} is not deterministic (the same z gave different images); "
                            "it must return pixel probabilities or logits, not a sample")
    return encoder, decoder


def to_onnx(half: nn.Module, example: torch.Tensor, input_name: str, output_names: list[str]) -> bytes:
    """One half as a single ONNX file's bytes, with a dynamic batch axis."""
    batch = torch.export.Dim("batch", min=1, max=65536)
    with tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
        path = Path(folder) / "half.onnx"
        try:
            torch.onnx.export(half, (example,), str(path), input_names=[input_name], output_names=output_names,
                              dynamic_shapes=({0: batch},), external_data=False)
        except Exception as exc:  # an operator ONNX lacks, data-dependent control flow, onnxscript missing, ...
            raise ImportRefused(f"exporting {'encode' if input_name == 'x' else 'decode'} to ONNX failed: "
                                f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}") from exc
        return path.read_bytes()


def test_images(root: Path, dataset: str, n: int = PROBE) -> torch.Tensor:
    """n real test images (N, 1, 28, 28) to probe with: the import writes the latent caches, so the data is there."""
    from vae_core.data.datasets import load_split

    return load_split(root, dataset, train=False)[0][:n]


def import_module(args: argparse.Namespace) -> store.ModelFiles:
    files = output_files(args.name, args.models)
    model = build_module(args)
    images = test_images(args.data_root, args.dataset)
    encoder, decoder = check_halves(model, args, images)
    with torch.inference_mode():
        mu = encoder(images)[0] if args.kind == "vae" else encoder(images)
    outputs = ["mu", "logvar"] if args.kind == "vae" else ["mu"]
    encoder_bytes = to_onnx(encoder, images, "x", outputs)
    decoder_bytes = to_onnx(decoder, mu, "z", ["pixels"])
    fields = {"kind": args.kind, "latent_dim": int(mu.shape[1]), "dataset": args.dataset, "beta": args.beta,
              "decoder_output": args.decoder_output, "source": f"{args.source.name}:{args.class_name}"}
    manifest, onnx_model = checked_onnx_model(files, fields, encoder_bytes, decoder_bytes)
    with torch.inference_mode():  # the exported graphs must do what the module does
        pixels = decoder(mu)
        pixels = torch.sigmoid(pixels) if args.decoder_output == "logits" else pixels
        gap = max((onnx_model.encode(images)[0] - mu).abs().max().item(),
                  (onnx_model.decode(mu).reshape(len(mu), -1) - pixels).abs().max().item())
    if gap > TOLERANCE:
        raise ImportRefused(f"the exported ONNX differs from the module by {gap:.2g} (> {TOLERANCE}); nothing was written")
    save_onnx_model(files, manifest, encoder_bytes, decoder_bytes, onnx_model, args.data_root)
    return files


def import_onnx(args: argparse.Namespace) -> store.ModelFiles:
    files = output_files(args.name, args.models)
    try:
        given = json.loads(args.manifest.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportRefused(f"--manifest {args.manifest.name} is not a JSON object: {exc}") from exc
    if not isinstance(given, dict):
        raise ImportRefused(f"--manifest {args.manifest.name} is not a JSON object")
    halves = []
    for path in (args.encoder, args.decoder):
        if not path.is_file() or path.stat().st_size > MAX_ONNX_BYTES:
            raise ImportRefused(f"{path} does not exist or is larger than {MAX_ONNX_BYTES >> 20} MB")
        halves.append(path.read_bytes())
    manifest, model = checked_onnx_model(files, {"dataset": args.dataset, "beta": args.beta, **given}, *halves)
    save_onnx_model(files, manifest, *halves, model, args.data_root)
    return files


def checked_onnx_model(files: store.ModelFiles, fields: dict, encoder_bytes: bytes, decoder_bytes: bytes):
    """Complete the manifest (format, sizes, hashes), check it and probe the model. -> (manifest, OnnxModel)"""
    manifest = {"format": FORMAT, "version": VERSION, "image_size": 28, "metrics": {}, **fields,
                "encoder": {"bytes": len(encoder_bytes), "sha256": sha256_bytes(encoder_bytes)},
                "decoder": {"bytes": len(decoder_bytes), "sha256": sha256_bytes(decoder_bytes)}}
    try:
        check_manifest(files.manifest.name, manifest)
        return manifest, model_from_bytes(manifest, encoder_bytes, decoder_bytes, files.name)
    except OnnxModelError as exc:
        raise ImportRefused(str(exc)) from exc


def save_onnx_model(files: store.ModelFiles, manifest: dict, encoder_bytes: bytes, decoder_bytes: bytes,
                    model, root: Path) -> None:
    """The manifest, both graphs and the latent caches, written as one unit."""
    encoder_path, decoder_path = onnx_paths(files.manifest)
    text = json.dumps(manifest, indent=2)
    store.save_unit(files, [(files.manifest, lambda tmp: Path(tmp).write_text(text)),
                            (encoder_path, lambda tmp: Path(tmp).write_bytes(encoder_bytes)),
                            (decoder_path, lambda tmp: Path(tmp).write_bytes(decoder_bytes))], model, root,
                    metrics=dict(manifest.get("metrics", {})))
