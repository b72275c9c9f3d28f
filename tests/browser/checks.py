"""What the browser tests measure in a loaded page: horizontal overflow and axe-core violations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SEVERE = ("serious", "critical")
# Figures the tests measured, printed in the terminal summary (see conftest.py).
RESULTS: dict[str, dict[str, Any]] = {"axe": {}, "overflow": {}, "rtl": {}}

# Every rendered element whose box leaves [0, width] (1 px slack); hidden and empty boxes ignored.
_OVERFLOW_JS = """
(width) => {
  const offenders = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const left = r.left + window.scrollX, right = r.right + window.scrollX;
    if (right > width + 1 || left < -1) {
      offenders.push({tag: el.tagName.toLowerCase(), cls: el.className || '',
                      left: Math.round(left), right: Math.round(right),
                      text: (el.textContent || '').trim().slice(0, 60)});
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: window.innerWidth,
          count: offenders.length, offenders: offenders.slice(0, 15)};
}
"""


def overflow(page: Any, width: int) -> dict[str, Any]:
    """The page's scrollWidth and the elements that stick out of a ``width`` px viewport."""
    return page.evaluate(_OVERFLOW_JS, width)  # type: ignore[no-any-return]


def run_axe(page: Any, axe_js: Path) -> list[dict[str, Any]]:
    """axe-core's violations on the loaded page (all rules axe runs by default)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_js))
    return page.evaluate(  # type: ignore[no-any-return]
        """async () => {
          const r = await axe.run(document, {resultTypes: ['violations']});
          return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 200),
                                      summary: n.failureSummary}))}));
        }"""
    )


def by_impact(violations: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of violating nodes per impact."""
    counts: dict[str, int] = {}
    for v in violations:
        counts[v["impact"] or "none"] = counts.get(v["impact"] or "none", 0) + len(v["nodes"])
    return counts


def describe(violations: list[dict[str, Any]]) -> str:
    """Every violation with its nodes, for a failure message."""
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} nodes)")
        for n in v["nodes"][:8]:
            lines.append(f"    {n['target']}\n      {n['html']}\n      {n['summary']}")
    return "\n".join(lines)
