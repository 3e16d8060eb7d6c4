"""One escaping function per output format, so that no text from the input can steer a display.

A patient id, a drug name or a condition comes from whoever wrote the input. Rendered as is, it
could clear a terminal and print "ALL CLEAR" (escape sequences), start a fake report after a line
break, reverse the text around it (bidi controls), run HTML in a Markdown viewer, or run as a
formula in a spreadsheet. Every text field of a report passes through the function for its
format; pharmcheck's own wording never holds these characters, so escaping whole fields is safe.

- text and terminal (:func:`visible`): control characters, escape sequences, bidi controls and
  line breaks are shown as ``\\x1b``, ``\\n``, ``\\u202e``;
- Markdown (:func:`markdown`): the same, and Markdown and HTML punctuation backslash-escaped;
- CSV and Excel (:func:`spreadsheet_cell`): the same, and a cell a spreadsheet would run as a
  formula is prefixed with ``'`` (OWASP's advice for CSV injection);
- JSON: as is (the JSON encoder escapes control characters; a reader gets the exact input).
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidi controls
# (embeddings, overrides, isolates and marks).
_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKDOWN = re.compile(r"([\\`*_\[\]<>|~&!#])")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _shown(found: re.Match[str]) -> str:
    code = ord(found[0])
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(found[0]) or (
        f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    )


def visible(text: str) -> str:
    """``text`` with every control, bidi or line-break character shown as an escape."""
    return _HIDDEN.sub(_shown, text)


def markdown(text: str) -> str:
    """``text`` safe inside a Markdown paragraph, list item or table cell."""
    return _MARKDOWN.sub(r"\\\1", visible(text))


def spreadsheet_cell(text: str) -> str:
    """``text`` safe as a CSV or Excel cell: nothing a spreadsheet would run as a formula."""
    shown = visible(text)
    return f"'{shown}" if shown.startswith(_FORMULA_START) else shown
