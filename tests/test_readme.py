"""The README's promises: two Quick start commands and a runnable library example."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_quick_start_has_exactly_two_commands() -> None:
    section = README.split("## Quick start", 1)[1]
    block = section.split("```", 2)[1]
    commands = [line for line in block.strip().splitlines() if line.strip()]
    assert len(commands) == 2
    assert "pharmcheck check" in commands[0] and "pytest" in commands[1]


def test_library_example_runs() -> None:
    example = re.search(r"### As a Python library\n\n```python\n(.*?)```", README, re.DOTALL)
    assert example
    # Running the README's own example is the point of this test.
    exec(compile(example.group(1), "README.md", "exec"), {})  # noqa: S102


def test_readme_lists_every_rule() -> None:
    from pharmcheck.rules import REGISTRY

    for code, rule in REGISTRY.items():
        assert f"| {code} | `{rule.name}` | {rule.category} |" in README, code
