"""Putting a stack's `{{placeholders}}` back into text an organization holds (issue 19: exports any
environment can deploy).

`restore(text, values)` replaces each whole occurrence of a substitution value by its placeholder,
longest value first, in one pass (a value inside a longer one, or inside a placeholder just written,
is never touched). "Whole": a value that starts (ends) with a letter, digit or `_` does not match
right after (before) another one, so `dev` is not found in `development`. A value that two
placeholders share is ambiguous: it is left as it is and reported, never guessed. Empty values are
ignored (they occur everywhere).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

_WORD = re.compile(r"\w")


@dataclass
class Restored:
    text: str
    #: placeholder name → how many occurrences were put back
    used: dict[str, int] = field(default_factory=dict)
    #: value → the placeholders that share it (left as is wherever it occurs)
    ambiguous: dict[str, list[str]] = field(default_factory=dict)


def _pattern(value: str) -> str:
    head = r"(?<!\w)" if _WORD.match(value[0]) else ""
    tail = r"(?!\w)" if _WORD.match(value[-1]) else ""
    return head + re.escape(value) + tail


def restore(text: str, values: Mapping[str, str]) -> Restored:
    """`text` with the placeholders of `values` (name → value) put back; see the module docstring."""
    names: dict[str, list[str]] = {}
    for name, value in values.items():
        if value and "{{" not in value:
            names.setdefault(str(value), []).append(name)
    result = Restored(text)
    if not names:
        return result
    # Ambiguous values take part in the match too, so that no shorter value is put back inside one.
    ordered = sorted(names, key=lambda v: (-len(v), v))
    regex = re.compile("|".join(_pattern(v) for v in ordered))

    def put_back(match: re.Match[str]) -> str:
        shared = names[match.group(0)]
        if len(shared) > 1:
            result.ambiguous[match.group(0)] = sorted(shared)
            return match.group(0)
        result.used[shared[0]] = result.used.get(shared[0], 0) + 1
        return "{{" + shared[0] + "}}"

    result.text = regex.sub(put_back, text)
    return result
