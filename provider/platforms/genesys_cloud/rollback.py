"""Rollback on genesys-cloud (`archctl rollback`): a published version's Archy text written back into
the flow's definition, env-neutral as `archctl export` writes it (provider/platforms/genesys_cloud/
neutral.py): the stack's `{{placeholders}}` put back where the org holds their values (the flow's
own substitutions over the stack's), so the definition still deploys to every environment and
substituting the stack's values into it gives back the version's text.

The content goes where the definition keeps it: the Archy file its `archy:` names, or inline. The
definition's other fields are left as written (its lifecycle, its substitutions, its aliases).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from provider.domain import files, yaml_safe
from provider.domain.placeholders import restore
from provider.errors import ConfigurationError

from .loading import CONTENT_NAME_SUFFIXES, file_names, flow_substitutions


def _is_file_name(value: Any) -> bool:
    text = value.strip() if isinstance(value, str) else ""
    return bool(text) and "\n" not in text and text.lower().endswith(CONTENT_NAME_SUFFIXES)


def rollback_files(
    directory: Path, key: str, text: str, substitutions: Mapping[str, str]
) -> tuple[dict[Path, str], list[str]]:
    """The files to write so that flow `key`'s definition holds `text` (placeholders restored), and
    the values left as they are because two placeholders share them (one line each)."""
    directory = Path(directory)
    file_name = file_names(directory).get(key)
    if file_name is None:
        raise ConfigurationError(
            f"flow {key!r}: no definition {key}.yaml in {directory}; a rollback writes the version "
            "back into the definition (restore the file from Git first)"
        )
    path = directory / file_name
    try:
        data = files.read_definition(path)
    except yaml_safe.YamlError as exc:
        raise ConfigurationError(f"flow {key!r}: {file_name} is unreadable: {exc}") from None
    if not isinstance(data, Mapping):
        raise ConfigurationError(f"flow {key!r}: {file_name} is not a mapping of fields")
    own, _problems = flow_substitutions(key, file_name, data.get("substitutions"), substitutions)
    restored = restore(text, {**substitutions, **own})
    notes = [
        f"{key}: {value!r} is the value of {' and '.join('{{' + n + '}}' for n in names)}: "
        "left as it is (not guessed)"
        for value, names in sorted(restored.ambiguous.items())
    ]
    ref = data.get("archy")
    if _is_file_name(ref):
        try:
            return {files.content_file(directory, str(ref).strip()): restored.text}, notes
        except yaml_safe.YamlError as exc:
            raise ConfigurationError(f"flow {key!r}: {file_name}: archy: {exc}") from None
    rewritten = {**data, "archy": restored.text}
    return {path: yaml.safe_dump(rewritten, sort_keys=False, allow_unicode=True, width=100)}, notes
