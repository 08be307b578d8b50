"""YAML for files a stranger may have written: bounded in size, depth and expansion.

`load(text, source=...)` parses one document with a `yaml.SafeLoader` subclass that refuses:

- text larger than `MAX_BYTES` (checked before parsing);
- any anchor or alias (an alias bomb expands exponentially; refusing the first one, before anything
  is expanded, keeps memory flat — definitions never need them);
- duplicate mapping keys (PyYAML keeps the last one silently), naming the key and both lines;
- nesting deeper than `MAX_DEPTH` (the composer recurses per level: without a bound, deep input
  ends in `RecursionError` with a huge traceback);
- more than `MAX_NODES` values (each costs ~1 KB as a node: 1 MiB of short keys would need ~180 MB;
  the largest valid flow, 2,000 blocks, needs ~20,000).

Every refusal is a `YamlError` whose message names the source, the line and the rule, and never
quotes the text (a file may be a link to something that is not a definition at all).
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.events import AliasEvent, CollectionStartEvent, MappingEndEvent, NodeEvent
from yaml.nodes import MappingNode, Node, ScalarNode

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 50_000

RULE_SIZE = "yaml.size"
RULE_ALIAS = "yaml.alias"
RULE_DUPLICATE = "yaml.duplicate-key"
RULE_DEPTH = "yaml.depth"
RULE_NODES = "yaml.nodes"
RULE_SYNTAX = "yaml.syntax"
RULE_VALUE = "yaml.value"


class YamlError(ValueError):
    """A refused or unparsable YAML text: `source`, `line` (1-based, None when unknown), `rule`."""

    def __init__(self, source: str, line: int | None, rule: str, message: str) -> None:
        self.source = source
        self.line = line
        self.rule = rule
        where = f"{source}, line {line}" if line is not None else source
        super().__init__(f"{where}: {message} ({rule})")


def _line(mark: Any) -> int | None:
    return mark.line + 1 if mark is not None else None


class _Loader(yaml.SafeLoader):
    """SafeLoader with the bounds above, applied while composing: before any node is expanded."""

    def __init__(self, text: str, source: str) -> None:
        super().__init__(text)
        self.source = source
        self.depth = 0
        self.nodes = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        if isinstance(event, AliasEvent) or (isinstance(event, NodeEvent) and event.anchor is not None):
            kind = "alias *" if isinstance(event, AliasEvent) else "anchor &"
            raise YamlError(
                self.source,
                _line(event.start_mark),
                RULE_ALIAS,
                f"{kind}{event.anchor} is not allowed: definitions may not use YAML anchors or aliases",
            )
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlError(
                self.source,
                _line(event.start_mark),
                RULE_NODES,
                f"more than {MAX_NODES} values: larger than any flow definition can be",
            )
        if not isinstance(event, CollectionStartEvent):
            return super().compose_node(parent, index)
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise YamlError(
                    self.source,
                    _line(event.start_mark),
                    RULE_DEPTH,
                    f"nesting deeper than {MAX_DEPTH} levels is not allowed",
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def compose_mapping_node(self, anchor: Any) -> MappingNode:
        # PyYAML's own, plus the duplicate check on each scalar key as soon as it is composed: a
        # mapping with 100k copies of one key fails at the second, before the rest is in memory.
        start = self.get_event()
        tag = start.tag
        if tag is None or tag == "!":
            tag = self.resolve(MappingNode, None, start.implicit)
        node = MappingNode(tag, [], start.start_mark, None, flow_style=start.flow_style)
        seen: dict[tuple[str, str], int | None] = {}
        while not self.check_event(MappingEndEvent):
            key = self.compose_node(node, None)
            if isinstance(key, ScalarNode):
                marker = (key.tag, key.value)
                line = _line(key.start_mark)
                if marker in seen:
                    self._duplicate(key.value, seen[marker], line)
                seen[marker] = line
            value = self.compose_node(node, key)
            node.value.append((key, value))
        node.end_mark = self.get_event().end_mark
        return node

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        # Keys equal only once constructed (`1` and `0x1`) are duplicates too.
        self.flatten_mapping(node)
        lines: dict[Any, int | None] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = _line(key_node.start_mark)
            try:
                if key in lines:
                    self._duplicate(key, lines[key], line)
                lines[key] = line
            except TypeError:
                continue  # an unhashable key: SafeConstructor reports it
        return super().construct_mapping(node, deep=deep)

    def _duplicate(self, key: Any, first: int | None, line: int | None) -> None:
        raise YamlError(
            self.source,
            line,
            RULE_DUPLICATE,
            f"duplicate key {str(key)[:80]!r} (first on line {first})",
        )


def load(text: str, *, source: str) -> Any:
    """The one YAML document of `text`, or `YamlError` (see the module docstring)."""
    size = len(text.encode("utf-8", "surrogatepass")) if len(text) * 4 > MAX_BYTES else len(text)
    if size > MAX_BYTES:
        raise YamlError(
            source, None, RULE_SIZE, f"{size} bytes is more than a definition may hold ({MAX_BYTES} bytes)"
        )
    loader = _Loader(text, source)
    try:
        return loader.get_single_data()
    except YamlError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        raise YamlError(source, _line(mark), RULE_SYNTAX, f"not valid YAML: {what}") from None
    except yaml.YAMLError as exc:
        raise YamlError(source, None, RULE_SYNTAX, f"not valid YAML: {type(exc).__name__}") from None
    except (ValueError, TypeError, OverflowError) as exc:
        # e.g. an integer of more digits than Python converts; the message never quotes the value.
        raise YamlError(source, None, RULE_VALUE, f"a value cannot be read ({type(exc).__name__})") from None
    finally:
        loader.dispose()
