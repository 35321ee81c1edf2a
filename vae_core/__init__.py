"""Core of Latent Explorer: the VAE, its loss, data, checkpoints and preprocessing.

Nothing in this package imports streamlit; the app in `app.py` and `pages/`
builds on it.
"""
