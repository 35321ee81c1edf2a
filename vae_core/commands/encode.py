"""Encode image files of digits to their posterior parameters (mu, sigma).

    latent-explorer encode --checkpoint models/mnist_vae_z2.pt digit.png photo.jpg --json

Each image goes through `vae_core.uploads.preprocess.preprocess`, exactly as in the
app, at the stroke width the model explains best for a handwriting model (vae_core.uploads.stroke; not
with --keep-stroke), and is encoded by the model's upload encoder (models/NAME.upload_encoder.pt, trained so
that handwriting that is not MNIST lands where MNIST's own digits of its class do) when it has
one that matches the model file, else, or with --own-encoder, by the model's own encoder.
With --exact (a VAE with a 2-D latent), each also gets the mean and std of its exact posterior p(z|x), from the
decoder on a grid (vae_core.analysis.exact_posterior), as the Encode page draws it.
A file that can't be used gets an "error" entry; the others are still
encoded. Exit status: 0 if every file was encoded, 1 if some could not be,
2 for a bad checkpoint or bad arguments.
"""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from vae_core.analysis import explore
from vae_core.analysis.exact_posterior import exact_posteriors
from vae_core.commands.run import run_cli
from vae_core.models.latent_model import LatentModel
from vae_core.storage import store
from vae_core.uploads.preprocess import ImageDecodeError, preprocess
from vae_core.uploads.stroke import fit_strokes
from vae_core.uploads.upload_encoder import encode_uploads, load_upload_encoder

DEFAULT_CHECKPOINT = "models/mnist_vae_z2.pt"


def _prepare(path: str, deslant: bool = True) -> np.ndarray | str:
    """Preprocessed (28, 28) array for `path`, or a message saying why not."""
    try:
        return preprocess(path, deslant)
    except ImageDecodeError as exc:
        return str(exc)
    except OSError as exc:  # missing file, a directory, no permission
        return f"cannot read the file ({exc.strerror or exc})"
    except Exception as exc:  # whatever one file does, the others still get their entry
        return f"could not process this image ({type(exc).__name__}: {exc})"


def encode_files(model: LatentModel, paths: list[str], deslant: bool = True, upload_encoder=None,
                 fit_stroke: bool = False, exact: bool = False) -> list[dict]:
    """One dict per path, in order: {"file", "mu", "sigma"} (and "stroke" with `fit_stroke`, "exact_mean" and
    "exact_std" with `exact`: the exact posterior of the same input) or {"file", "error"}.

    mu and sigma are lists of latent_dim floats; sigma = exp(logvar / 2),
    0 for a plain autoencoder. All usable images are encoded in one batch, by
    `upload_encoder` (vae_core.uploads.upload_encoder.UploadEncoder) when given, else by the model;
    `fit_stroke`: each at the stroke width the model explains best (vae_core.uploads.stroke), named in "stroke".
    """
    prepared = [_prepare(p, deslant) for p in paths]
    good = [i for i, x in enumerate(prepared) if isinstance(x, np.ndarray)]
    results: list[dict] = [{"file": p, "error": x} if isinstance(x, str) else {"file": p}
                           for p, x in zip(paths, prepared, strict=True)]
    if good:
        x = np.stack([prepared[i] for i in good])
        strokes = None
        if fit_stroke:
            x, strokes = fit_strokes(model, x)
        mu, sigma = encode_uploads(upload_encoder, x) if upload_encoder is not None else explore.encode(model, x)
        for row, i in enumerate(good):
            results[i]["mu"] = mu[row].tolist()
            results[i]["sigma"] = sigma[row].tolist()
            if strokes is not None:
                results[i]["stroke"] = strokes[row]
        if exact:
            for i, posterior in zip(good, exact_posteriors(model, x), strict=True):
                results[i].update(exact_mean=posterior.mean.tolist(), exact_std=posterior.std.tolist())
    return results


def _table(results: list[dict]) -> str:
    """Readable fixed-width table of encode_files' results."""
    def fmt(values: list[float]) -> str:
        return "[" + ", ".join(f"{v:+.3f}" for v in values) + "]"

    width = max([4] + [len(r["file"]) for r in results])
    lines = [f"{'file':<{width}}  {'mu':<24}  sigma"]
    for r in results:
        if "error" in r:
            lines.append(f"{r['file']:<{width}}  error: {r['error']}")
        else:
            lines.append(f"{r['file']:<{width}}  {fmt(r['mu']):<24}  {fmt(r['sigma'])}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="latent-explorer encode",
                                     description="Encode digit images with a trained VAE checkpoint.")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files (PNG, JPEG, GIF, BMP, WebP, ...)")
    parser.add_argument("--checkpoint", default=DEFAULT_CHECKPOINT,
                        help=f"NAME.pt or NAME.model.json (default {DEFAULT_CHECKPOINT})")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    parser.add_argument("--keep-slant", action="store_true",
                        help="encode each digit at its own slant instead of MNIST's median slant")
    parser.add_argument("--keep-stroke", action="store_true",
                        help="encode each digit's strokes as prepared instead of at the width the model explains best "
                             "(tried as prepared, 1 px thicker and 1 px thinner; handwriting models only)")
    parser.add_argument("--own-encoder", action="store_true",
                        help="encode with the model's own encoder even when it has an upload encoder")
    parser.add_argument("--exact", action="store_true",
                        help="also give each image's exact posterior p(z|x), mean and std, from the decoder on a grid "
                             "(a VAE with a 2-D latent only; about 0.1 s per image)")
    args = parser.parse_args(argv)
    files = store.files_for_path(args.checkpoint)
    model, _ = store.load_model(files)  # a bad one: run_cli says why and exits 2
    if args.exact and not (model.info.is_vae and model.info.latent_dim == 2):
        parser.error("--exact needs a VAE with a 2-D latent: its posterior is computed on a grid over z")
    upload = None if args.own_encoder else load_upload_encoder(files)
    print("encoder: " + ("the upload encoder" if upload is not None else "the model's own"), file=sys.stderr)
    results = encode_files(model, args.images, deslant=not args.keep_slant, upload_encoder=upload,
                           fit_stroke=model.info.dataset == "mnist" and not args.keep_stroke, exact=args.exact)
    print(json.dumps(results, indent=2) if args.json else _table(results))
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    run_cli(main)
