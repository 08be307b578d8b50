"""genesys-cloud exports any environment can deploy (issue 19): the files `archctl export --stack S`
and `archctl import` write hold the stack's `{{placeholders}}` where the org holds its substitution
values, not dev's queue names and `(dev)` suffixes.

Per flow, the values are the stack's map with the flow's own `substitutions:` over it (from the
definition of the same key in the stack's definitions folder, as the loader merges them); they are
put back by `provider.domain.placeholders.restore` (longest first, whole occurrences only, an
ambiguous value reported and left as is). A flow with its own substitutions gets them written in its
definition again (as written there: a value that uses the stack's placeholders stays neutral).
Substituting the stack's values into what is written gives back the org's text exactly.

`stale_files` names the files of an earlier export whose keys this one no longer writes (a renamed
or deleted flow): a `<key>.yaml` whose `archy:` is `<key>.archy.yaml`, and that Archy file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from provider.domain import files, yaml_safe
from provider.domain.loading import read_raw
from provider.domain.placeholders import restore
from provider.platforms.genesys_cloud import org as gc_org
from provider.platforms.genesys_cloud.loading import flow_substitutions
from provider.platforms.org import ExportFiles


def own_substitutions(directory: Path | None) -> dict[str, dict[str, Any]]:
    """Key → the `substitutions:` map of that definition in `directory` (as written)."""
    if directory is None or not Path(directory).is_dir():
        return {}
    raw, _problems = read_raw(directory)
    return {
        key: dict(data["substitutions"])
        for key, data in raw.items()
        if isinstance(data, Mapping) and isinstance(data.get("substitutions"), Mapping)
    }


def definition_files(
    read: gc_org.OrgRead,
    out_dir: Path,
    keys: Iterable[str] | None = None,
    *,
    substitutions: Mapping[str, str],
    own: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[dict[Path, str], list[str]]:
    """`gc_org.definition_files` with the placeholders put back; and the ambiguities, one line each."""
    own = own or {}
    texts = gc_org.definition_files(read, out_dir, keys)
    notes: list[str] = []
    for key in sorted(read.snapshot.flows):
        archy_path = Path(out_dir) / f"{key}.archy.yaml"
        if archy_path not in texts:
            continue
        values = {**substitutions, **flow_substitutions(key, "", own.get(key), substitutions)[0]}
        restored = restore(texts[archy_path], values)
        texts[archy_path] = restored.text
        for value, names in sorted(restored.ambiguous.items()):
            shared = " and ".join("{{" + n + "}}" for n in names)
            notes.append(f"{key}: {value!r} is the value of {shared}: left as it is (not guessed)")
        if own.get(key):
            definition = Path(out_dir) / f"{key}.yaml"
            data = {**yaml.safe_load(texts[definition]), "substitutions": dict(own[key])}
            texts[definition] = yaml.safe_dump(data, sort_keys=False)
    return texts, notes


def stale_files(out_dir: Path, written: Iterable[Path]) -> list[Path]:
    """Files of an earlier export in `out_dir` for keys not among the `written` files."""
    out_dir = Path(out_dir)
    keep = {Path(p).name for p in written}
    stale: list[Path] = []
    if not out_dir.is_dir():
        return stale
    for path in sorted(out_dir.iterdir()):
        if not files.is_definition_name(path.name) or path.name in keep or not path.is_file():
            continue
        key = path.name.rsplit(".", 1)[0]
        try:
            data = files.read_definition(path)
        except yaml_safe.YamlError:
            continue
        archy_name = f"{key}.archy.yaml"
        if isinstance(data, Mapping) and data.get("archy") == archy_name and archy_name not in keep:
            stale.append(path)
            if (out_dir / archy_name).is_file():
                stale.append(out_dir / archy_name)
    return stale


def write_export(
    read: gc_org.OrgRead,
    out_dir: Path,
    *,
    substitutions: Mapping[str, str],
    own: Mapping[str, Mapping[str, Any]] | None = None,
) -> ExportFiles:
    """Write the export (content files first, each atomically), then remove the stale files of an
    earlier one. Returns the written paths, the removed ones and the ambiguities."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    texts, notes = definition_files(read, out_dir, substitutions=substitutions, own=own)
    written = files.write_files(texts)
    # A flow whose content could not be read this time keeps the files of the last export.
    kept = [out_dir / f"{key}{suffix}" for key in read.snapshot.flows for suffix in (".yaml", ".archy.yaml")]
    removed = stale_files(out_dir, [*written, *kept])
    for path in sorted(removed, key=lambda p: p.name.lower().endswith(files.CONTENT_SUFFIXES)):
        path.unlink(missing_ok=True)  # definitions first: none is left naming a missing content file
    return ExportFiles(written, removed, notes)
