"""Reading ``campaign.yaml`` with the line of every key, so each problem can name its place.

PyYAML composes the file into nodes that carry their marks; the values come from the same nodes.
Only ``true``/``false`` are booleans (``NO`` stays Norway), as in staff front matter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hrc_outreach.errors import ConfigError
from hrc_outreach.yamlfiles import StaffYamlLoader

CAMPAIGN_FILE = "campaign.yaml"
Path_ = tuple[str | int, ...]


_Loader = StaffYamlLoader  # YAML 1.2 booleans, a key given twice refused


def where(path: Path_) -> str:
    """A key path as staff read it: ``steps[1].cta.countries.BE``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


@dataclass
class CampaignSource:
    """The parsed file: its data and the line (1-based) of every key path in it."""

    path: Path
    data: dict[str, Any]
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest parent the file has."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return None

    def place(self, path: Path_) -> str:
        """``campaign.yaml:12 steps[1].subject.fr`` (the line when the parser gives one)."""
        line = self.line(path)
        loc = f"{self.path.name}:{line}" if line else self.path.name
        return f"{loc} {where(path)}" if path else loc


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = path + (str(key.value),)
            out[k] = key.start_mark.line + 1
            _lines(value, k, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _lines(value, path + (i,), out)


class CampaignFileError(ConfigError):
    """The campaign file cannot be read as a mapping: ``line`` (when known) and ``reason``."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        super().__init__(f"{path}{f':{line}' if line else ''}: {reason}")
        self.path, self.line, self.reason = path, line, reason


def _yaml_problem(exc: yaml.YAMLError) -> tuple[int | None, str]:
    """(line, "not valid YAML: ...") from a PyYAML error, without its quoted snippet."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    context, cmark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    extra = f" ({context} on line {cmark.line + 1})" if context and cmark is not None else ""
    return (mark.line + 1 if mark is not None else None), f"not valid YAML: {problem}{extra}"


MAX_BYTES = 1024 * 1024
MAX_NODES = 100_000  # values after alias expansion (the sample has about 900)


def _nodes(root: yaml.Node, limit: int) -> int:
    """How many values ``root`` stands for with every alias expanded, counting up to ``limit``
    (an alias bomb of a few lines stands for billions: counted, never built)."""
    seen: dict[int, int] = {}

    def count(node: yaml.Node) -> int:
        if id(node) in seen:
            return seen[id(node)]
        n = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                n += count(k) + count(v)
                if n > limit:
                    break
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                n += count(v)
                if n > limit:
                    break
        seen[id(node)] = n
        return n

    return count(root)


def read_campaign(directory: Path) -> CampaignSource:
    """``directory/campaign.yaml`` parsed; ConfigError naming the file and line if it is not YAML
    or not a mapping."""
    path = directory / CAMPAIGN_FILE
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CampaignFileError(
                path, None, f"too large ({size:,} bytes; at most {MAX_BYTES:,}): a campaign file "
                "holds keys and short texts, the bodies live in their Markdown files",
            )  # fmt: skip
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CampaignFileError(path, None, f"cannot read it: {exc.strerror or exc}") from exc
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is not None and _nodes(node, MAX_NODES) > MAX_NODES:
            raise CampaignFileError(
                path, None, f"expands to more than {MAX_NODES:,} values through aliases "
                "(*name): write the values out, or use fewer aliases",
            )  # fmt: skip
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise CampaignFileError(path, *_yaml_problem(exc)) from exc
    if not isinstance(data, dict) or node is None:
        raise CampaignFileError(
            path, None, "expected a mapping of campaign keys (name, title, ...)"
        )
    lines: dict[Path_, int] = {}
    _lines(node, (), lines)
    return CampaignSource(path=path, data=data, lines=lines)
