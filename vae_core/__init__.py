"""Core of Latent Explorer, grouped by concern (one folder each):

    models/     the networks and the one model interface (LatentModel): native MLP VAE, imported ONNX
    storage/    a model on disk (store), checkpoints, latent caches, the browser's decoder format, settings
    data/       MNIST and Fashion-MNIST
    uploads/    an uploaded image to an MNIST-style input
    analysis/   the math the pages show, evaluation, the classifier that judges decoded images
    training/   training and the server's training slot
    commands/   the `latent-explorer` command and the import of models trained elsewhere

Nothing in this package imports streamlit; the app in `app.py` and `pages/` builds on it.
"""
