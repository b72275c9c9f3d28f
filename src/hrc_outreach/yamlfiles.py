"""The one way staff-written YAML is read (edition choices, campaign files): safe loading, only
``true``/``false`` as booleans (``NO`` stays Norway, ``no`` stays a word), and a key written twice
in one mapping is an error naming both lines (PyYAML keeps the last one silently: a headline
given twice would lose the first without a word).

>>> yaml.load("a: 1\\nb: no\\n", Loader=StaffYamlLoader)  # noqa: S506
{'a': 1, 'b': 'no'}
>>> try:
...     load_staff_yaml("a: 1\\na: 2\\n")
... except yaml.YAMLError as exc:
...     print(exc.problem)
the key 'a' is given twice (lines 1 and 2)
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.constructor import ConstructorError


class StaffYamlLoader(yaml.SafeLoader):
    """Safe loading with YAML 1.2 booleans only, refusing a key given twice in a mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                hash(key)
            except (ConstructorError, TypeError):
                continue  # the base class names an unhashable key
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConstructorError(
                    "while constructing a mapping",
                    node.start_mark,
                    f"the key {key!r} is given twice (lines {seen[key]} and {line})",
                    key_node.start_mark,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


StaffYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StaffYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def load_staff_yaml(text: str) -> Any:
    """``text`` parsed with :class:`StaffYamlLoader` (yaml.YAMLError when it is not valid)."""
    return yaml.load(text, Loader=StaffYamlLoader)  # noqa: S506 - a SafeLoader subclass
