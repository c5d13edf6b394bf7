"""Text from data (values, column names, file names) made inert for where it is shown: the
terminal gets no control bytes (ESC, OSC, C1, bidi overrides: shown as U+FFFD), Markdown no
HTML and no markup, CSV no formulas (cxcli/render/flat.py)."""

from __future__ import annotations

import html
import re

# C0 but tab and line feed, DEL, C1, and the bidirectional overrides and isolates.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_\[\]|~])")


def plain(text: str, newlines: bool = True) -> str:
    """`text` with control characters replaced (and line feeds and tabs too, unless
    `newlines`): safe to write to a terminal."""
    text = _CONTROL.sub("\ufffd", text)
    return text if newlines else text.replace("\n", " ").replace("\t", " ")


def markdown(text: str) -> str:
    """`text` as literal Markdown on one line: HTML escaped, markup characters backslashed."""
    return _MARKDOWN.sub(r"\\\1", html.escape(plain(text, newlines=False), quote=False))
