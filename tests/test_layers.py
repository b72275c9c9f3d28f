"""The import rules of ARCHITECTURE.md hold: read from its tables, checked on every import in src/
(inside functions too). Changing the layering means changing ARCHITECTURE.md with it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "hrc_outreach"
DOC = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = DOC.index(title)
    return DOC[start:]


def _rows(text: str) -> list[list[str]]:
    """Table rows (cells stripped of backticks) of the first Markdown table in ``text``."""
    rows, seen = [], False
    for line in text.splitlines():
        if line.startswith("|"):
            seen = True
            cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
            if not set("".join(cells)) <= set("-: "):
                rows.append(cells)
        elif seen:
            break
    return rows[1:]  # without the header


LAYERS = {
    pkg: int(layer) for layer, pkg, _ in _rows(_section("## Packages and their import rules"))
}
FORBIDDEN = [(pkg, target) for pkg, target, _ in _rows(_section("Narrower rules"))]
EXCEPTIONS = {(mod, target) for mod, target, _ in _rows(_section("Known exceptions"))}


def imports(source: str) -> list[tuple[str, int]]:
    """Every absolute import in ``source`` as (dotted name, line), at any depth: ``from a.b import
    c`` gives ``a.b.c`` (a submodule or a name in it), ``importlib.import_module("a.b")`` gives a.b."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(f"{node.module}.{a.name}", node.lineno) for a in node.names]
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno))
    return found


def _module(path: Path) -> str:
    """``src/hrc_outreach/audience/links.py`` -> ``audience.links``; the package itself: __init__."""
    parts = path.relative_to(SRC).with_suffix("").parts
    parts = parts[:-1] if parts[-1] == "__init__" else parts
    return ".".join(parts) or "__init__"


def _sources() -> list[tuple[str, str]]:
    return [
        (_module(p), p.read_text(encoding="utf-8"))
        for p in sorted(SRC.rglob("*.py"))
        if "migrations" not in p.parts
    ]


def violations(module: str, source: str) -> list[str]:
    """The imports of ``module`` (e.g. ``audience.links``) that break the layer rules."""
    pkg = module.split(".")[0]
    out = []
    for name, line in imports(source):
        parts = name.split(".")
        if parts[0] == "flows":
            out.append(f"{module}:{line} imports {name} (the library never imports flows/)")
            continue
        if parts[0] != "hrc_outreach" or len(parts) < 2:
            continue
        target = parts[1]
        if target not in LAYERS:
            continue  # ``from hrc_outreach import __version__`` and the like
        dotted = ".".join(parts)
        for rule_pkg, forbidden in FORBIDDEN:
            if pkg == rule_pkg and (dotted == forbidden or dotted.startswith(forbidden + ".")):
                out.append(f"{module}:{line} imports {dotted} (ARCHITECTURE.md: must not)")
        if target == pkg or LAYERS[target] < LAYERS[pkg]:
            continue
        if any((module == m or module.startswith(m + ".")) and target == t for m, t in EXCEPTIONS):
            continue
        out.append(
            f"{module}:{line} imports {dotted}: layer {LAYERS[target]} ({target}) is not below "
            f"layer {LAYERS[pkg]} ({pkg})"
        )
    return out


def test_the_rules_are_read_from_architecture_md() -> None:
    assert LAYERS["errors"] == 0 and LAYERS["models"] < LAYERS["store"] < LAYERS["render"]
    assert LAYERS["cli"] == LAYERS["web"] > LAYERS["pipeline"]
    assert ("sources", "hrc_outreach.i18n.translators") in FORBIDDEN
    assert ("store", "hrc_outreach.audience") in FORBIDDEN


def test_every_package_of_the_library_has_a_layer() -> None:
    packages = {m.split(".")[0] for m, _ in _sources()}
    missing = sorted(packages - set(LAYERS))
    assert not missing, f"ARCHITECTURE.md gives no layer to: {missing} (add a row to its table)"
    gone = sorted(set(LAYERS) - packages)
    assert not gone, f"ARCHITECTURE.md lists packages that no longer exist: {gone}"


def test_imports_only_go_down() -> None:
    found = [v for module, source in _sources() for v in violations(module, source)]
    assert not found, "import rules of ARCHITECTURE.md broken:\n" + "\n".join(found)


def test_every_known_exception_is_still_there() -> None:
    """A listed exception that the code no longer has makes ARCHITECTURE.md untrue: remove it."""
    used = set()
    for module, source in _sources():
        for name, _line in imports(source):
            parts = name.split(".")
            if parts[0] == "hrc_outreach" and len(parts) > 1:
                for m, t in EXCEPTIONS:
                    if (module == m or module.startswith(m + ".")) and parts[1] == t:
                        used.add((m, t))
    assert EXCEPTIONS - used == set(), f"no longer in the code: {sorted(EXCEPTIONS - used)}"


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        (
            "store.tables",
            "def f():\n    from hrc_outreach.audience.addresses import h\n",
            "must not",
        ),
        ("store.db", "import hrc_outreach.render.output\n", "layer 7 (render) is not below"),
        ("render.x", "def f():\n    import flows.monthly\n", "never imports flows"),
        ("cli.x", "from flows import run\n", "never imports flows"),
        (
            "models",
            "import importlib\nimportlib.import_module('hrc_outreach.store')\n",
            "not below",
        ),
        ("sources.feed", "from hrc_outreach.i18n.translators import deepl\n", "must not"),
        ("sources.feed", "from hrc_outreach.i18n import translators\n", "must not"),
        ("cli.x", "from hrc_outreach import web\n", "layer 13 (web) is not below layer 13"),
    ],
)
def test_the_checker_catches_upward_lazy_and_flows_imports(
    module: str, source: str, expected: str
) -> None:
    found = violations(module, source)
    assert found and expected in found[0], found


def test_allowed_imports_pass_the_checker() -> None:
    ok = (
        "from hrc_outreach.models import Edition\n"
        "def f():\n    from hrc_outreach.i18n.detect import detect_language\n"
        "import hrc_outreach.sources.fetch\n"
    )
    assert violations("sources.gather", ok) == []
    assert re.search(r"\| `audience.links` \| `deliver` \|", DOC)
