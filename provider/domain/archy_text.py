"""Archy YAML text in a canonical form, so two documents that differ only in layout (key order, quoting,
indentation, comments — an export job's output vs a hand-written file) compare equal, and a content
diff shows only real changes. List order is kept: in Archy it is meaningful (actions, choices)."""

from __future__ import annotations

from typing import Any

import yaml

from provider.domain import yaml_safe


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _str)


def dump(document: Any) -> str:
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=True, default_flow_style=False, allow_unicode=True, width=100
    )


def canonical(text: str, *, source: str = "archy") -> str:
    """The canonical form of Archy YAML text (bounded loader); `yaml_safe.YamlError` if unparseable."""
    return dump(yaml_safe.load(text, source=source))
