"""The `latent-explorer` command (pyproject [project.scripts]): one entry point, a subcommand each.

    latent-explorer train ...      vae_core.training.train       train a VAE or autoencoder, save it with its caches
    latent-explorer evaluate ...   vae_core.analysis.evaluate    test metrics of a model as JSON
    latent-explorer encode ...     vae_core.commands.encode      encode image files
    latent-explorer latents ...    vae_core.storage.latents      rebuild a model's latent caches
    latent-explorer import ...     vae_core.commands.importer    bring in a VAE trained elsewhere
    latent-explorer summary ...    vae_core.analysis.summary     (re)measure what the pages show of a model

`latent-explorer SUBCOMMAND --help` shows its options (`python -m vae_core.training.train` and the like work too).
"""
from __future__ import annotations

import importlib
import sys

from vae_core.commands.run import run_cli

SUBCOMMANDS = {"train": "vae_core.training.train", "evaluate": "vae_core.analysis.evaluate", "encode": "vae_core.commands.encode",
               "latents": "vae_core.storage.latents", "import": "vae_core.commands.importer",
               "summary": "vae_core.analysis.summary"}


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in SUBCOMMANDS:
        print(__doc__.strip(), file=sys.stdout if argv and argv[0] in ("-h", "--help") else sys.stderr)
        sys.exit(0 if argv and argv[0] in ("-h", "--help") else 2)
    module = importlib.import_module(SUBCOMMANDS[argv[0]])
    run_cli(lambda: module.main(argv[1:]))


if __name__ == "__main__":
    main()
