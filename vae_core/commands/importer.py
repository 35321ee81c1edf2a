"""`latent-explorer import`: turn a VAE trained elsewhere into a model the app loads.

    latent-explorer import weights vae.pt --name mnist_examples_vae_z2          # pytorch/examples' VAE state_dict
    latent-explorer import weights my_run/final_model --name mnist_pythae_z2    # pythae's saving layout
    latent-explorer import weights other.pt --map enc.0=encoder_body.0.0 ... --name ...   # any MLP VAE, renamed
    latent-explorer import module examples/conv_vae.py --class ConvVAE --weights conv_vae.pt \
        --decoder-output logits --name mnist_conv_vae_z2                        # any nn.Module, exported to ONNX
    latent-explorer import onnx --encoder enc.onnx --decoder dec.onnx --manifest m.json --name ...

`weights` writes a native checkpoint (the MLP the app knows, with its fast JavaScript decoder);
`module` runs the user's code here only (on the user's machine, never in the app), checks it
and exports both halves to ONNX; `onnx` checks and copies. Each writes the latent caches and
prints the test quality. A wrong input is an ImportRefused saying what was expected.
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import torch

from vae_core.commands.run import run_cli
from vae_core.models.config import VAEConfig
from vae_core.models.model import VAE
from vae_core.storage import store
from vae_core.storage.checkpoint import CheckpointError, build_from_payload
from vae_core.storage.settings import data_root, models_dir

# Weight names of the MLP VAEs people have, mapped (by prefix) to this app's VAE (vae_core.models.model).
LAYOUTS = {
    "pytorch-examples": {"fc1": "encoder_body.0.0", "fc21": "mu_head", "fc22": "logvar_head",
                         "fc3": "decoder.0", "fc4": "decoder.2"},
    "pythae": {"encoder.layers.0.0": "encoder_body.0.0", "encoder.embedding": "mu_head",
               "encoder.log_var": "logvar_head", "decoder.layers.0.0": "decoder.0", "decoder.layers.1.0": "decoder.2"},
}
_BODY = re.compile(r"encoder_body\.0\.(\d+)\.weight")


class ImportRefused(CheckpointError):
    """What was given cannot be imported; the message says what was expected."""


def read_state_dict(path: Path) -> tuple[dict, str | None]:
    """A state_dict from a .pt file, or from pythae's folder (final_model/model.pt holding
    model_state_dict, with model_config.json). Returns (state_dict, pythae's config name or None)."""
    path = Path(path)
    pythae_config = None
    if path.is_dir():
        if not (path / "model.pt").is_file() or not (path / "model_config.json").is_file():
            raise ImportRefused(f"{path.name} is a folder without pythae's model.pt and model_config.json")
        try:
            pythae_config = json.loads((path / "model_config.json").read_text()).get("name")
        except (OSError, ValueError, AttributeError) as exc:
            raise ImportRefused(f"{path.name}/model_config.json is not a JSON object ({type(exc).__name__})") from exc
        path = path / "model.pt"
    if not path.is_file():
        raise ImportRefused(f"{path} does not exist")
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ImportRefused(f"{path.name} is not a state_dict saved with torch.save(model.state_dict(), ...) "
                            f"({type(exc).__name__}); for a whole model use `latent-explorer import module`") from exc
    if isinstance(loaded, dict) and isinstance(loaded.get("model_state_dict"), dict):
        loaded = loaded["model_state_dict"]  # pythae's layout
    if not isinstance(loaded, dict) or not loaded or not all(isinstance(v, torch.Tensor) for v in loaded.values()):
        raise ImportRefused(f"{path.name} holds no state_dict (a dict of weight tensors)")
    return dict(loaded), pythae_config


def rename(state: dict, mapping: dict[str, str]) -> dict:
    """Rename weights by prefix (`fc1` -> `encoder_body.0.0` turns fc1.weight into encoder_body.0.0.weight)."""
    renamed = {}
    for key, value in state.items():
        module, _, param = key.rpartition(".")
        if module not in mapping:
            raise ImportRefused(f"weight {key} has no place in the app's MLP VAE; name it with --map {module}=...")
        renamed[f"{mapping[module]}.{param}"] = value
    return renamed


def guess_layout(state: dict) -> str:
    modules = {key.rpartition(".")[0] for key in state}
    for name, mapping in LAYOUTS.items():
        required = set(mapping) - {"fc22", "encoder.log_var"}  # a plain autoencoder has no variance head
        if required <= modules <= set(mapping):
            return name
    raise ImportRefused("the weight names are neither pytorch/examples' VAE (fc1, fc21, fc22, fc3, fc4) nor "
                        "pythae's MLP VAE (encoder.layers.0.0, encoder.embedding, ...); give --map OLD=NEW for each "
                        "layer (the app's names: encoder_body.0.0, mu_head, logvar_head, decoder.0, ...); "
                        f"found {sorted(modules)}")


def native_from_state_dict(state: dict, dataset: str, beta: float | None, source: str) -> tuple[VAE, dict]:
    """This app's VAE from weights already in its names; the config is read off the shapes."""
    body = sorted((int(m[1]), key) for key in state if (m := _BODY.fullmatch(key)))
    if not body or "mu_head.weight" not in state:
        raise ImportRefused("the weights lack an encoder layer (encoder_body.0.0) or a mu head (mu_head)")
    config = {"kind": "vae" if "logvar_head.weight" in state else "ae", "latent_dim": int(state["mu_head.weight"].shape[0]),
              "beta": beta, "hidden_dims": [int(state[key].shape[0]) for _, key in body], "dataset": dataset}
    if state[body[0][1]].shape[1] != 784:
        raise ImportRefused(f"the first layer reads {state[body[0][1]].shape[1]} inputs; expected 784 (28x28 images)")
    metrics = {"imported_from": source}
    try:
        return build_from_payload(source, {"config": config, "state_dict": state, "metrics": metrics}, VAEConfig, VAE)
    except CheckpointError as exc:
        raise ImportRefused(str(exc)) from exc


def output_files(name: str, folder: Path) -> store.ModelFiles:
    """Where model `name` will be written; refuses a malformed name or one already in use."""
    if not store.VALID_NAME.fullmatch(name) or name.endswith((".model", ".encoder", ".decoder")):
        raise ImportRefused(f"--name {name!r}: use letters, digits, '.', '_' and '-' (at most 100)")
    if store.taken(folder, name):
        raise ImportRefused(f"a model named {name} is already in {folder}; choose another --name or delete it first")
    return store.model_files(name, folder)


def report(model, files: store.ModelFiles, root: Path) -> str:
    """The imported model's test quality in one line: reconstruction and KL (nats) and the map's 15-NN vote."""
    from vae_core.analysis import explore
    from vae_core.analysis.evaluate import test_terms
    from vae_core.data.datasets import load_split
    from vae_core.storage.latents import load_latent_cache

    images, _ = load_split(root, model.info.dataset, train=False)
    recon, kl = test_terms(model, images, seed=0)
    test, train = load_latent_cache(files.cache()), load_latent_cache(files.cache(train=True))
    votes, _ = explore.majority_labels(train.mu, train.labels, test.mu, 15)
    kl_text = f", KL {kl:.2f}" if model.is_vae else ""
    return (f"test reconstruction {recon:.2f} nats{kl_text}; 15-NN vote of the test means among the training means "
            f"{(votes == test.labels).mean():.3f}")


def import_weights(args: argparse.Namespace) -> store.ModelFiles:
    files = output_files(args.name, args.models)
    state, pythae_config = read_state_dict(args.source)
    if pythae_config is not None and pythae_config not in ("VAEConfig", "AEConfig"):
        raise ImportRefused(f"pythae model {pythae_config} is not its MLP VAE or AE; export it with `import module`")
    if args.map and not all("=" in pair for pair in args.map):
        raise ImportRefused("--map takes OLD=NEW pairs, e.g. --map fc1=encoder_body.0.0 fc21=mu_head")
    mapping = dict(pair.split("=", 1) for pair in args.map) if args.map else LAYOUTS[guess_layout(state)]
    model, metrics = native_from_state_dict(rename(state, mapping), args.dataset, args.beta, Path(args.source).name)
    store.save_native(model, files, metrics, args.data_root)
    return files


def main(argv: list[str] | None = None) -> None:
    from vae_core.commands.onnx_export import add_module_arguments, import_module, import_onnx

    parser = argparse.ArgumentParser(prog="latent-explorer import", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--name", required=True, help="the model's name in the app (letters, digits, . _ -)")
    common.add_argument("--dataset", default="mnist", choices=["mnist", "fashion-mnist"])
    common.add_argument("--beta", type=float, default=None, help="the KL weight it was trained with (default: unknown)")
    common.add_argument("--models", type=Path, default=models_dir(), help="the models folder (default: the app's)")
    common.add_argument("--data-root", type=Path, default=data_root(), help="folder holding MNIST/raw (for the caches)")
    sub = parser.add_subparsers(dest="source_kind", required=True)
    weights = sub.add_parser("weights", parents=[common], help="a state_dict of an MLP VAE (pytorch/examples, pythae, or --map)")
    weights.add_argument("source", type=Path, help="the .pt file, or pythae's final_model folder")
    weights.add_argument("--map", nargs="*", metavar="OLD=NEW", help="rename layers by prefix to the app's names")
    add_module_arguments(sub.add_parser("module", parents=[common], help="any nn.Module with encode and decode"))
    onnx = sub.add_parser("onnx", parents=[common], help="an ONNX encoder and decoder with a manifest")
    onnx.add_argument("--encoder", type=Path, required=True)
    onnx.add_argument("--decoder", type=Path, required=True)
    onnx.add_argument("--manifest", type=Path, required=True, help="JSON: kind, latent_dim, decoder_output (and beta)")
    args = parser.parse_args(argv)
    run = {"weights": import_weights, "module": import_module, "onnx": import_onnx}[args.source_kind]
    files = run(args)
    model, _ = store.load_model(files)
    print(f"imported {files.name}: {', '.join(p.name for p in files.all_files)} in {files.folder}")
    print(report(model, files, args.data_root))


if __name__ == "__main__":
    run_cli(main)
