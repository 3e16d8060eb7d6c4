"""Rendering a report: json, text, markdown and csv."""

from __future__ import annotations

from importlib import import_module

from pharmcheck.domain import Report

#: format -> the module rendering it, imported when used (a check renders one format)
FORMATS: dict[str, str] = {
    "text": "text",
    "json": "jsonfmt",
    "markdown": "markdown",
    "csv": "csvfmt",
}


def render(report: Report, fmt: str, color: bool = False) -> str:
    module = import_module(f"pharmcheck.report.{FORMATS[fmt]}")
    if fmt == "text":
        return str(module.render(report, color=color))
    return str(module.render(report))
