"""Rendering a report: json, text, markdown and csv."""

from __future__ import annotations

from collections.abc import Callable

from pharmcheck.domain import Report
from pharmcheck.report import csvfmt, jsonfmt, markdown, text

FORMATS: dict[str, Callable[..., str]] = {
    "text": text.render,
    "json": jsonfmt.render,
    "markdown": markdown.render,
    "csv": csvfmt.render,
}


def render(report: Report, fmt: str, color: bool = False) -> str:
    if fmt == "text":
        return text.render(report, color=color)
    return FORMATS[fmt](report)
