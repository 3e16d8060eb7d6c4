"""The JSON contract: ``Report.to_dict()`` serialised, so library and CLI agree by construction."""

from __future__ import annotations

import json

from pharmcheck.domain import Report


def render(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)
