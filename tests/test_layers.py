"""Layers: a module of pharmcheck imports only modules of its own layer or of lower ones.

kb (models, migrations, build, queries; chem, which the build uses) < inputs (parsing,
resolution, FHIR; the domain objects they build) < rules < engine < report < batch <
service/cli, over a neutral base (errors, paths, name keys, units) that imports no layer.
Every import counts, also one inside a function or under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pharmcheck"

#: Lowest first. A module belongs to the layer of the longest prefix that names it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "pharmcheck._version",
            "pharmcheck.errors",
            "pharmcheck.paths",
            "pharmcheck.files",
            "pharmcheck.extras",
            "pharmcheck.names",
            "pharmcheck.smiles_text",
            "pharmcheck.units",
        ),
    ),
    ("kb", ("pharmcheck.kb", "pharmcheck.chem")),
    (
        "inputs",
        ("pharmcheck.inputs", "pharmcheck.domain", "pharmcheck.structures", "pharmcheck.fhir"),
    ),
    ("rules", ("pharmcheck.rules", "pharmcheck.overrides")),
    ("engine", ("pharmcheck.engine",)),
    ("report", ("pharmcheck.report",)),
    ("batch", ("pharmcheck.batch",)),
    # The package itself is the public facade: it re-exports the engine and the batch.
    (
        "interfaces",
        (
            "pharmcheck.cli",
            "pharmcheck.entry",
            "pharmcheck.service",
            "pharmcheck.__main__",
            "pharmcheck",
        ),
    ),
)


def layer_of(module: str) -> int | None:
    """The index of the module's layer in LAYERS, or None when no layer names it."""
    named = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or (prefix != "pharmcheck" and module.startswith(prefix + "."))
    ]
    return max(named)[1] if named else None


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool, root: Path = PACKAGE) -> set[str]:
    """The pharmcheck modules a source imports: ``from pharmcheck import chem`` is
    pharmcheck.chem, ``from pharmcheck import check`` (a re-exported name) is the facade."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "pharmcheck")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            if base.split(".")[0] != "pharmcheck":
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                folder = root.parent.joinpath(*candidate.split("."))
                is_module = folder.with_suffix(".py").exists() or (folder / "__init__.py").exists()
                found.add(candidate if is_module else base)
    return found


def violations(root: Path = PACKAGE) -> list[str]:
    problems = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        own = layer_of(module)
        if own is None:
            problems.append(f"{module} is in no layer: add it to LAYERS in tests/test_layers.py")
            continue
        source = path.read_text(encoding="utf-8")
        for target in sorted(imported_modules(source, module, path.name == "__init__.py", root)):
            theirs = layer_of(target)
            if theirs is not None and theirs > own:
                problems.append(
                    f"{module} ({LAYERS[own][0]}) imports {target} ({LAYERS[theirs][0]})"
                )
    return problems


def test_no_module_imports_a_higher_layer() -> None:
    assert violations() == []


def test_kb_and_chem_import_no_inputs_module() -> None:
    inputs = LAYERS.index(next(layer for layer in LAYERS if layer[0] == "inputs"))
    for path in [*(PACKAGE / "kb").rglob("*.py"), PACKAGE / "chem.py"]:
        module = module_name(path)
        imports = imported_modules(path.read_text(encoding="utf-8"), module, False)
        assert not [m for m in imports if (layer_of(m) or 0) >= inputs], module


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # A lazy import inside a function is still an import.
        (
            {
                "kb/__init__.py": "",
                "kb/store.py": "def f():\n    from pharmcheck.rules import base\n",
            },
            ["pharmcheck.kb.store (kb) imports pharmcheck.rules (rules)"],
        ),
        # A name imported from the facade is an import of the top layer.
        (
            {"rules/__init__.py": "from pharmcheck import check\n"},
            ["pharmcheck.rules (rules) imports pharmcheck (interfaces)"],
        ),
        # A relative import resolves to the module it names.
        (
            {"inputs/__init__.py": "", "inputs/sig.py": "from ..batch import ward\n"},
            ["pharmcheck.inputs.sig (inputs) imports pharmcheck.batch (batch)"],
        ),
        # Down and sideways are allowed.
        ({"rules/__init__.py": "from pharmcheck.kb import store\nimport pharmcheck.rules.x\n"}, []),
        (
            {"misc.py": ""},
            ["pharmcheck.misc is in no layer: add it to LAYERS in tests/test_layers.py"],
        ),
    ],
)
def test_the_layer_check_finds_what_it_should(
    tmp_path: Path, files: dict[str, str], expected: list[str]
) -> None:
    root = tmp_path / "pharmcheck"
    root.mkdir()
    (root / "__init__.py").write_text("")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    assert violations(root) == expected
