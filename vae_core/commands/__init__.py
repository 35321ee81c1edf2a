"""The `latent-explorer` command: `main` (the subcommands), `run` (errors as one line), `encode`, and
`importer` with `onnx_export` (bringing in a VAE trained elsewhere)."""
