"""app.py's frame for AppTest (tests/test_pages.py).

AppTest starts every run with a fresh page manager, and one whose main script
has a pages/ folder beside it runs in Streamlit's older pages-folder mode: the
page would run without app.py, under another page id, so a clicked button
would be lost between runs. Run from tests/, the same navigation has no such
folder beside it.
"""
import streamlit as st

import explorer_ui as ui

st.set_page_config(**ui.PAGE_CONFIG)
ui.navigation().run()
ui.warm_up()
