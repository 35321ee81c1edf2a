"""Text from a link, a file name or a file's contents, made safe for Streamlit's Markdown."""
from __future__ import annotations

import re

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def plain(text: str) -> str:
    """`text` with every Markdown character escaped, so it shows as typed in st.error, st.warning
    and the like: no link, image, HTML or formatting can come out of it."""
    return _MARKDOWN.sub(r"\\\1", text)


def plural(count: int, word: str) -> str:
    """ "1 epoch", "5 epochs": the count and its noun (regular plurals only)."""
    return f"{count:,} {word}{'' if count == 1 else 's'}"
