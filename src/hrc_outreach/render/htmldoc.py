"""A small, forgiving HTML tree on the stdlib parser, for the lint (real email HTML is rarely valid).

>>> doc = parse_html('<html lang="en"><body><p>Hi <a href="https://x.org">x</a></p></body></html>')
>>> [n.attrs["href"] for n in doc.find_all("a")]
['https://x.org']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Text inside these is not shown to the reader.
INVISIBLE = frozenset({"head", "script", "style", "template", "title", "noscript"})
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|mso-hide\s*:\s*all|visibility\s*:\s*hidden", re.IGNORECASE
)
_SPACE = re.compile(r"\s+")


@dataclass(eq=False)
class Node:
    tag: str
    attrs: dict[str, str]
    line: int = 0
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def iter(self) -> Iterator[Node]:
        """This node and every element below it, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, *tags: str) -> list[Node]:
        return [n for n in self.iter() if n.tag in tags]

    def find(self, tag: str) -> Node | None:
        return next((n for n in self.iter() if n.tag == tag), None)

    @property
    def hidden(self) -> bool:
        """Not shown to a reader: display:none (a preheader), aria-hidden, <head>..."""
        return (
            self.tag in INVISIBLE
            or self.attrs.get("aria-hidden", "").lower() == "true"
            or "hidden" in self.attrs
            or bool(_HIDDEN_STYLE.search(self.attrs.get("style", "")))
        )

    def text(self, *, visible_only: bool = False, with_alt: bool = False) -> str:
        """The text below this node, whitespace collapsed; ``with_alt`` counts images' alt text."""
        parts: list[str] = []
        self._collect(parts, visible_only, with_alt)
        return _SPACE.sub(" ", " ".join(parts)).strip()

    def _collect(self, parts: list[str], visible_only: bool, with_alt: bool) -> None:
        if visible_only and self.hidden:
            return
        if with_alt and self.tag == "img":
            parts.append(self.attrs.get("alt", ""))
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            else:
                child._collect(parts, visible_only, with_alt)

    def describe(self) -> str:
        """``line 12: <a href="...">`` for messages."""
        keys = ("href", "src", "alt", "class")
        shown = " ".join(f'{k}="{self.attrs[k][:60]}"' for k in keys if k in self.attrs)
        return f"line {self.line}: <{self.tag}{' ' + shown if shown else ''}>"


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack: list[Node] = [self.root]

    def _node(self, tag: str, attrs: list[tuple[str, str | None]]) -> Node:
        node = Node(tag, {k.lower(): (v or "") for k, v in attrs}, self.getpos()[0], self.stack[-1])
        self.stack[-1].children.append(node)
        return node

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = self._node(tag, attrs)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._node(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching open element; a stray end tag is ignored, as browsers do.
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    """The document's tree; conditional comments (``<!--[if mso]>``) are comments, as in Gmail."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root
