"""Latent Explorer: explore the latent space of a VAE trained on MNIST.

    streamlit run app.py

This script is the frame: page settings and the navigation. The home page,
the latent map, is pages/0_Latent_map.py; the pages hold layout only, the
math is in vae_core and the shared UI helpers in explorer_ui.
"""
import streamlit as st

import explorer_ui as ui

if __name__ == "__main__":
    st.set_page_config(**ui.PAGE_CONFIG)
    ui.navigation().run()
    ui.warm_up()  # once per server, after its first page: explorer_ui.home_map says why
