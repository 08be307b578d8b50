"""Three-way merge of flow fields, per field (a pure function).

For each field, with `base` the version both writers started from:
- ours == theirs: nothing to decide (theirs is kept);
- only we changed it (theirs == base): ours;
- only they changed it (ours == base): theirs;
- both changed it to different values: a conflict (reported as `(theirs, ours)`).
Field values are compared whole (a list of blocks is one value), as the API replaces fields whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_MISSING: Any = object()


@dataclass
class MergeResult:
    #: The merged value of every field (conflicting fields hold theirs).
    merged: dict[str, Any] = field(default_factory=dict)
    #: Fields whose merged value differs from theirs: what a PATCH on top of theirs must send.
    to_send: dict[str, Any] = field(default_factory=dict)
    #: Fields both sides changed to different values: field → (theirs, ours).
    conflicts: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    ours_changed: list[str] = field(default_factory=list)
    theirs_changed: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.conflicts

    def resolved_with_ours(self) -> dict[str, Any]:
        """`to_send` with every conflict resolved in our favour (the `overwrite` policy)."""
        out = dict(self.to_send)
        for name, (_theirs, ours) in self.conflicts.items():
            out[name] = ours
        return out


def three_way_merge(
    base: Mapping[str, Any],
    theirs: Mapping[str, Any],
    ours: Mapping[str, Any],
    fields: Iterable[str],
) -> MergeResult:
    """Merge `ours` into `theirs` relative to `base`, field by field. A field absent from `ours` is
    one we do not manage (it keeps theirs)."""
    result = MergeResult()
    for name in fields:
        b = base.get(name, _MISSING)
        t = theirs.get(name, _MISSING)
        o = ours.get(name, _MISSING)
        if o is _MISSING:
            if t is not _MISSING:
                result.merged[name] = t
            continue
        ours_changed = o != b
        theirs_changed = t != b
        if ours_changed:
            result.ours_changed.append(name)
        if theirs_changed:
            result.theirs_changed.append(name)
        if o == t or not ours_changed:
            if t is not _MISSING:
                result.merged[name] = t
        elif not theirs_changed:
            result.merged[name] = o
            result.to_send[name] = o
        else:
            result.conflicts[name] = (None if t is _MISSING else t, o)
            if t is not _MISSING:
                result.merged[name] = t
    return result
