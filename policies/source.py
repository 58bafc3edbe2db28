"""Read YAML or JSON policy text into plain data plus a key-path -> line index,
so every later error can cite the line it is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["PolicySource", "parse_source"]

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class PolicySource:
    path: str
    data: Any
    lines: dict[KeyPath, int]

    def line_of(self, key_path: KeyPath) -> int | None:
        """Line of the deepest known prefix of ``key_path`` (1-based)."""
        for end in range(len(key_path), -1, -1):
            line = self.lines.get(tuple(key_path[:end]))
            if line is not None:
                return line
        return None


class _UniqueKeyLoader(yaml.SafeLoader):
    """Rejects duplicate mapping keys: a second `rules:` silently replacing the
    first would drop rules without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def parse_source(text: str, path: str) -> PolicySource:
    """Parse; raises ``yaml.YAMLError`` (with a mark) on bad syntax."""
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    if node is not None:
        _index(node, (), lines)
    return PolicySource(path, data, lines)


def _index(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            child = (*path, key)
            _index(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1  # point at the key, not the value
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index(item, (*path, i), lines)
