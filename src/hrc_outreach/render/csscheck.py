"""CSS in email: `<style>` blocks and inline styles checked against caniemail's support data.

>>> [f.rule for f in check_css(['.a { display: flex }'], [])]
['css-support']
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import tinycss2
from tinycss2 import ast

from hrc_outreach.models import LintFinding, Severity
from hrc_outreach.render import caniemail

STYLE_BLOCK_LIMIT = 16 * 1024  # Gmail drops a whole <style> block above this


@dataclass
class _Usage:
    """Where each caniemail feature is used: feature -> (count, first place)."""

    seen: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)

    def add(self, kind: str, name: str, where: str) -> None:
        count, first = self.seen.get((kind, name), (0, where))
        self.seen[(kind, name)] = (count + 1, first)


def _values(tokens: Iterable[ast.Node], usage: _Usage, where: str) -> None:
    for tok in tokens:
        if isinstance(tok, ast.FunctionBlock):
            usage.add("functions", tok.lower_name, where)
            _values(tok.arguments, usage, where)
        elif isinstance(tok, ast.IdentToken):
            usage.add("keywords", tok.lower_value, where)
        elif isinstance(
            tok, ast.SquareBracketsBlock | ast.ParenthesesBlock | ast.CurlyBracketsBlock
        ):
            _values(tok.content, usage, where)


def _declarations(
    tokens: Sequence[ast.Node] | str, usage: _Usage, where: str, errors: list[str]
) -> None:
    for decl in tinycss2.parse_blocks_contents(tokens, skip_comments=True, skip_whitespace=True):
        if isinstance(decl, ast.Declaration):
            name = decl.lower_name
            usage.add("properties", name, where)
            first = next((t for t in decl.value if isinstance(t, ast.IdentToken)), None)
            if first is not None:
                usage.add("values", f"{name}:{first.lower_value}", where)
            _values(decl.value, usage, where)
        elif isinstance(decl, ast.QualifiedRule):  # CSS nesting
            _declarations(decl.content, usage, where, errors)
        elif isinstance(decl, ast.ParseError):
            errors.append(f"{where}: {decl.message}")


def _rules(nodes: Iterable[ast.Node], usage: _Usage, where: str, errors: list[str]) -> None:
    for rule in nodes:
        if isinstance(rule, ast.QualifiedRule):
            _declarations(rule.content, usage, where, errors)
        elif isinstance(rule, ast.AtRule):
            usage.add("at_rules", "@" + rule.lower_at_keyword, where)
            if rule.content is None:
                continue
            if rule.lower_at_keyword in {"media", "supports", "document", "layer", "container"}:
                inner = tinycss2.parse_rule_list(
                    rule.content, skip_comments=True, skip_whitespace=True
                )
                _rules(inner, usage, where, errors)
            else:  # @font-face, @page: declarations
                _declarations(rule.content, usage, where, errors)
        elif isinstance(rule, ast.ParseError):
            errors.append(f"{where}: {rule.message}")


def check_css(style_blocks: Sequence[str], inline: Sequence[tuple[str, str]]) -> list[LintFinding]:
    """Findings for the document's ``<style>`` blocks and its ``(style attribute, where)`` pairs."""
    findings: list[LintFinding] = []
    usage = _Usage()
    errors: list[str] = []
    for n, css in enumerate(style_blocks, start=1):
        where = f"<style> block {n}"
        size = len(css.encode("utf-8"))
        if size > STYLE_BLOCK_LIMIT:
            findings.append(
                LintFinding(
                    rule="style-size",
                    severity=Severity.ERROR,
                    where=where,
                    message=f"{where} is {size:,} bytes; Gmail drops a <style> block over "
                    f"{STYLE_BLOCK_LIMIT:,} bytes: move styles inline or trim the block",
                )
            )
        sheet = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        _rules(sheet, usage, where, errors)
    for style, where in inline:
        _declarations(style, usage, f"inline style at {where}", errors)
    for err in errors[:20]:
        findings.append(
            LintFinding(
                rule="css-parse-error",
                severity=Severity.WARNING,
                where=err.split(":")[0],
                message=f"CSS does not parse ({err}); Gmail drops a whole <style> block with one error",
            )
        )
    for (kind, name), (count, where) in usage.seen.items():
        sup = caniemail.support(name, kind)
        bad = caniemail.unsupported_in(sup) if sup else {}
        if not bad:
            continue
        clients = "; ".join(f"{client} ({', '.join(p)})" for client, p in bad.items())
        label = name if kind != "functions" else f"{name}()"
        findings.append(
            LintFinding(
                rule="css-support",
                severity=Severity.WARNING,
                where=where,
                message=f"CSS {label} is not supported in {clients} according to caniemail; "
                f"used {count} time(s)",
            )
        )
    return findings
