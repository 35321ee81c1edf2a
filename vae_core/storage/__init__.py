"""Models on disk: `store` (a model's name, files, saving as a unit, loading with every check, listing,
deleting, the shipped ones), `checkpoint` (the native file), `latents` (the latent caches), `export` (the
decoder as the browser runs it) and `settings` (where data and models live)."""
