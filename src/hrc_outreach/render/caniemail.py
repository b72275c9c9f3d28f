"""CSS support in Gmail, Outlook and Apple Mail, from caniemail.com's data (MIT, Rémi Parmentier).

The product reads the compact JSON bundled in ``render/data/caniemail.json``; the corpus
(``_features/*.md`` front matter) is only needed to rebuild it with ``scripts/build_caniemail.py``.

>>> support("display:flex")["outlook"]["windows"]
'n'
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

DATA_PATH = Path(__file__).parent / "data" / "caniemail.json"
CLIENTS = {"gmail": "Gmail", "outlook": "Outlook", "apple-mail": "Apple Mail"}

# Features named by value (``display:flex``) rather than by property.
_VALUE_FEATURE = re.compile(r"^([a-z-]+)\s*:\s*([a-z-]+)$")
_NAME = re.compile(r"^-?[a-z][a-z-]*$")
_FUNCTION = re.compile(r"([a-z][a-z-]*)\(\)")
# Words in titles that are not part of a property name ("height property", "font shorthand").
_NOISE = re.compile(r"\s+(css\s+)?(property|properties|shorthand)$", re.IGNORECASE)

# Features whose titles list value keywords (``fit-content``, ``system-ui``), not properties.
_KEYWORD_FEATURES = {"css-intrinsic-size", "css-sytem-ui"}
_SKIP = {"css-inert-attribute"}  # an HTML attribute, not CSS

Support = dict[str, dict[str, str]]  # client -> platform -> y | n | a | u


def _front_matter(text: str, where: str) -> dict[str, Any]:
    import yaml

    # The front matter ends at the first line that is exactly "---" (notes may contain "---").
    m = re.match(r"---[ \t]*\r?\n(.*?)^---[ \t]*$", text, re.DOTALL | re.MULTILINE)
    if m is None:
        raise ValueError(f"{where}: no front matter between '---' lines")
    # 165 of the 307 files indent with tabs, which YAML forbids: spaces mean the same here.
    data = yaml.safe_load(m.group(1).replace("\t", "    "))
    if not isinstance(data, dict):
        raise ValueError(f"{where}: front matter is not a mapping")
    return data


def _newest(stats: dict[str, Any]) -> Support:
    """Per client and platform, the support of the newest version tested (the last one listed:
    versions mix dates and numbers, so the file's order is the only reliable one)."""
    out: Support = {}
    for client in CLIENTS:
        platforms = stats.get(client) or {}
        per: dict[str, str] = {}
        for platform, versions in platforms.items():
            if isinstance(versions, dict) and versions:
                value = str(list(versions.values())[-1]).strip()
                per[str(platform)] = value[:1] or "u"
        if per:
            out[client] = per
    return out


def _names(title: str) -> tuple[str, list[str]]:
    """The kind of feature and the names a caniemail title stands for.

    ``"gap, column-gap, row-gap"`` -> ("properties", ["gap", "column-gap", "row-gap"]).
    """
    t = title.strip()
    if t.startswith(":"):  # pseudo-classes and -elements: selectors, not what the lint checks
        return "selectors", []
    if t.startswith("@"):
        return "at_rules", [t.split()[0].lower()] if " " not in t else []
    funcs = _FUNCTION.findall(t)
    if funcs:
        return "functions", funcs
    m = _VALUE_FEATURE.match(t.replace(": ", ":"))
    if m:
        return "values", [f"{m.group(1)}:{m.group(2)}"]
    names = []
    for part in re.split(r",|&", t):
        part = _NOISE.sub("", part.strip())
        if _NAME.match(part):
            names.append(part)
    return "properties", names


def extract(features_dir: Path) -> dict[str, Any]:
    """The compact support table from caniemail's ``_features`` folder (CSS features only)."""
    tables: dict[str, dict[str, Support]] = {
        "properties": {},
        "values": {},
        "keywords": {},
        "at_rules": {},
        "functions": {},
    }
    exact: set[tuple[str, str]] = set()
    for path in sorted(features_dir.glob("css-*.md")):
        meta = _front_matter(path.read_text(encoding="utf-8"), str(path))
        if meta.get("category") != "css" or not isinstance(meta.get("stats"), dict):
            continue
        if path.stem in _SKIP:
            continue
        kind, names = _names(str(meta.get("title", "")))
        if path.stem in _KEYWORD_FEATURES:
            kind = "keywords"
        support = _newest(meta["stats"])
        for name in names:
            # A feature about exactly one name ("border-inline") wins over a group that mentions it
            # ("border-inline & border-block longhand properties").
            single = len(names) == 1
            if (kind, name) in exact and not single:
                continue
            if single:
                exact.add((kind, name))
            tables[kind][name] = support
    return {kind: dict(sorted(t.items())) for kind, t in tables.items()}


@lru_cache(maxsize=1)
def bundled() -> dict[str, Any]:
    """The bundled table (``render/data/caniemail.json``)."""
    table: dict[str, Any] = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    return table


def support(name: str, kind: str | None = None) -> Support:
    """Support of a property (``gap``), value (``display:flex``), at-rule or function; {} if unknown."""
    data = bundled()
    kinds = [kind] if kind else ["properties", "values", "keywords", "at_rules", "functions"]
    for k in kinds:
        found: Support | None = data.get(k, {}).get(name)
        if found is not None:
            return found
    return {}


def unsupported_in(sup: Support) -> dict[str, list[str]]:
    """Client display name -> platforms whose newest version says "n" (not supported)."""
    out: dict[str, list[str]] = {}
    for client, platforms in sup.items():
        bad = [p for p, v in platforms.items() if v == "n"]
        if bad:
            out[CLIENTS.get(client, client)] = bad
    return out
