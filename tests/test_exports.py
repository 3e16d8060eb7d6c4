"""``pharmcheck`` exports every type a report holds, and importing it stays light."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import typing
from typing import Any

import pharmcheck
from pharmcheck import domain


def _held_types(cls: type, seen: set[Any]) -> set[Any]:
    """The pharmcheck types and Literal aliases the dataclass's fields hold, all the way down."""
    hints = typing.get_type_hints(cls, vars(domain))
    aliases = {value: name for name, value in vars(domain).items() if typing.get_origin(value)}
    todo = [hints[f.name] for f in dataclasses.fields(cls)]
    while todo:
        hint = todo.pop()
        if hint in aliases and hint not in seen:
            seen.add(aliases[hint])
            continue
        if isinstance(hint, type) and hint.__module__.startswith("pharmcheck"):
            if hint not in seen:
                seen.add(hint)
                if dataclasses.is_dataclass(hint):
                    todo.extend(typing.get_type_hints(hint, vars(domain)).values())
            continue
        todo.extend(typing.get_args(hint))
    return seen


def test_every_type_a_report_holds_is_exported() -> None:
    held = _held_types(pharmcheck.Report, set())
    names = {h if isinstance(h, str) else h.__name__ for h in held}
    assert {"Finding", "Severity", "Patient", "ResolvedMedication", "Unrecognized"} <= names
    assert {"ScreenedStructure", "Quantity", "DoseChange", "Sex", "Category"} <= names
    for name in names:
        assert name in pharmcheck.__all__, name
        exported = getattr(pharmcheck, name)
        assert exported is getattr(domain, name)


def test_all_names_exactly_what_the_package_gives() -> None:
    assert pharmcheck.__all__ == sorted(pharmcheck.__all__)
    assert set(pharmcheck.__all__) == {*pharmcheck._HOMES, "__version__"}
    assert dir(pharmcheck) == pharmcheck.__all__


def test_import_pharmcheck_loads_no_engine_and_a_type_loads_only_its_module() -> None:
    code = (
        "import sys, pharmcheck; before = set(sys.modules); pharmcheck.Sex; pharmcheck.Report; "
        "print(sorted(m for m in sys.modules if m.startswith('pharmcheck') and m not in before)); "
        "print(sorted(m for m in before if m.startswith('pharmcheck')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded, at_import = done.stdout.splitlines()
    assert at_import == "['pharmcheck', 'pharmcheck._version']"
    assert "pharmcheck.domain" in loaded and "pharmcheck.engine" not in loaded, loaded
