"""Hostile definition files: refused with a message naming the file, the line and the rule, within a
bounded amount of memory, and never echoing the content of a file outside the definitions folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from provider.domain import files, yaml_safe
from provider.domain.loading import RULE_YAML, definition_files, prepare, read_raw

REPO = Path(__file__).resolve().parents[2]
VALID = "name: Main\ntype: INBOUNDCALL\nlifecycle_state: draft\n"
MEMORY_LIMIT_KB = 200 * 1024


def alias_bomb() -> str:
    """The "billion laughs": 9 levels of 9 aliases each, 9**9 strings once expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def refused(text: str) -> yaml_safe.YamlError:
    with pytest.raises(yaml_safe.YamlError) as info:
        yaml_safe.load(text, source="flow.yaml")
    return info.value


# -- the loader ------------------------------------------------------------------------------------


def test_valid_yaml_loads_as_with_safe_load():
    assert yaml_safe.load(VALID + "blocks: [{id: a, type: menu}]\n", source="f.yaml") == {
        "name": "Main",
        "type": "INBOUNDCALL",
        "lifecycle_state": "draft",
        "blocks": [{"id": "a", "type": "menu"}],
    }


def test_duplicate_keys_name_the_key_and_both_lines():
    err = refused("name: a\ntype: INBOUNDCALL\nname: b\n")
    assert err.rule == yaml_safe.RULE_DUPLICATE and err.line == 3
    assert "flow.yaml, line 3" in str(err) and "'name'" in str(err) and "first on line 1" in str(err)
    nested = refused("blocks:\n  - id: a\n    type: menu\n    id: b\n")
    assert nested.line == 4 and "'id'" in str(nested)
    assert refused("{a: 1, a: 2}").rule == yaml_safe.RULE_DUPLICATE
    assert refused("1: a\n0x1: b\n").rule == yaml_safe.RULE_DUPLICATE  # equal once constructed


def test_the_first_anchor_or_alias_is_refused_with_its_line():
    err = refused(VALID + "blocks: &b []\nmore: *b\n")
    assert err.rule == yaml_safe.RULE_ALIAS and err.line == 4 and "anchor &b" in str(err)
    err = refused(VALID + "blocks: *nowhere\n")
    assert err.rule == yaml_safe.RULE_ALIAS and err.line == 4
    assert refused(alias_bomb()).line == 1


@pytest.mark.slow
@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 5000 + "]" * 5000 + "\n",  # flow style
        "- " * 5000 + "1\n",  # block style
        "a: " + "{b: " * 5000 + "1" + "}" * 5000 + "\n",
    ],
    ids=["flow-sequences", "block-sequences", "flow-mappings"],
)
def test_deep_nesting_is_refused_without_recursion_error(text):
    err = refused(text)
    assert err.rule == yaml_safe.RULE_DEPTH and err.line == 1
    assert f"deeper than {yaml_safe.MAX_DEPTH}" in str(err)


def test_nesting_up_to_the_bound_is_fine():
    depth = yaml_safe.MAX_DEPTH
    assert yaml_safe.load("[" * depth + "]" * depth, source="f.yaml") is not None


@pytest.mark.slow
def test_size_and_value_count_are_bounded():
    assert refused("x" * (yaml_safe.MAX_BYTES + 1)).rule == yaml_safe.RULE_SIZE
    many = "".join(f"k{i}: 1\n" for i in range(yaml_safe.MAX_NODES // 2 + 1))
    assert refused(many).rule == yaml_safe.RULE_NODES


def test_syntax_errors_name_the_line_and_never_quote_the_text():
    err = refused("name: ok\nsecret-looking: [unclosed\nnext: x\n")
    assert err.rule == yaml_safe.RULE_SYNTAX and err.line is not None
    assert "unclosed" not in str(err)
    # an integer of more digits than Python converts is a ValueError inside PyYAML's constructor
    err = refused("n: 1" + "0" * 5000 + "\n")
    assert err.rule == yaml_safe.RULE_VALUE and "0000" not in str(err)


# -- the definitions folder ------------------------------------------------------------------------


def test_suffixes_match_in_any_case(tmp_path):
    (tmp_path / "upper.YAML").write_text(VALID)
    (tmp_path / "mixed.Yml").write_text(VALID.replace("Main", "Other"))
    (tmp_path / "notes.txt").write_text("not a definition")
    assert [p.name for p in definition_files(tmp_path)] == ["mixed.Yml", "upper.YAML"]
    raw, problems = read_raw(tmp_path)
    assert sorted(raw) == ["mixed", "upper"] and problems == []


def test_two_files_with_one_key_in_different_cases_are_reported(tmp_path):
    (tmp_path / "menu.yaml").write_text(VALID)
    (tmp_path / "menu.YAML").write_text(VALID)
    _, problems = read_raw(tmp_path)
    assert [p.rule for p in problems] == ["definition.key.invalid"]


def test_links_outside_the_folder_are_refused_without_reading_them(tmp_path):
    flows = tmp_path / "flows"
    flows.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "credentials").write_text("password: TOP-SECRET-VALUE\n[not yaml\n")
    (outside / "other.yaml").write_text(VALID)
    (flows / "leak.yaml").symlink_to(outside / "credentials")
    (flows / "borrowed.yaml").symlink_to(outside / "other.yaml")
    (flows / "dangling.yaml").symlink_to(outside / "missing.yaml")
    (flows / "inside.yaml").write_text(VALID)
    (flows / "alias.yaml").symlink_to("inside.yaml")  # a link inside the folder is fine
    paths, problems = files.definition_files(flows)
    assert [p.name for p in paths] == ["alias.yaml", "inside.yaml"]
    by_flow = {p.flow: p for p in problems}
    assert by_flow["leak"].rule == files.RULE_OUTSIDE and by_flow["borrowed"].rule == files.RULE_OUTSIDE
    assert by_flow["dangling"].rule == files.RULE_FILE
    prepared = prepare(flows, {})
    rendered = "\n".join(str(p) for p in prepared.problems)
    assert "TOP-SECRET-VALUE" not in rendered and "leak.yaml" in rendered
    assert "leak" not in prepared.definitions and "borrowed" not in prepared.definitions


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_named_like_a_definition_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "ok.yaml").write_text(VALID)
    raw, problems = read_raw(tmp_path)
    assert list(raw) == ["ok"] and [p.rule for p in problems] == [files.RULE_FILE]


def test_hostile_files_become_problems_of_their_flow(tmp_path):
    (tmp_path / "bomb.yaml").write_text(alias_bomb())
    (tmp_path / "dups.yaml").write_text(VALID + "name: again\n")
    (tmp_path / "ok.yaml").write_text(VALID)
    prepared = prepare(tmp_path, {})
    assert {p.flow: p.rule for p in prepared.problems} == {"bomb": RULE_YAML, "dups": RULE_YAML}
    assert "dups.yaml, line 4: duplicate key 'name' (first on line 1)" in str(prepared.problems[1])
    assert list(prepared.definitions) == ["ok"]


# -- memory ----------------------------------------------------------------------------------------

# The peak memory of this process image: VmHWM where /proc has it (getrusage's ru_maxrss keeps the
# peak of the forked pytest process across exec, so it only bounds from above).
PROBE = """
import json, resource, sys
from pathlib import Path
from provider.domain.loading import prepare
prepared = prepare(sys.argv[1], {})
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
status = Path("/proc/self/status")
if status.exists():
    peak = int(next(l for l in status.read_text().splitlines() if l.startswith("VmHWM:")).split()[1])
print(json.dumps({
    "rules": sorted({p.message.rsplit("(", 1)[-1].rstrip(")") for p in prepared.problems}),
    "maxrss_kb": peak,
}))
"""


def write_big(path: Path, megabytes: int) -> None:
    line = "- " + "x" * 97 + "\n"  # 100 bytes
    with path.open("w") as handle:
        for _ in range(megabytes * 10):
            handle.write(line * 1000)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("alias-bomb", yaml_safe.RULE_ALIAS),
        ("nesting-5000", yaml_safe.RULE_DEPTH),
        ("duplicate-keys-100k", yaml_safe.RULE_DUPLICATE),
        ("distinct-keys-1MiB", yaml_safe.RULE_NODES),
        ("file-50MB", yaml_safe.RULE_SIZE),
    ],
)
def test_memory_stays_bounded_on_hostile_input(tmp_path, name, rule):
    target = tmp_path / "flow.yaml"
    if name == "alias-bomb":
        target.write_text(alias_bomb())
    elif name == "nesting-5000":
        target.write_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    elif name == "duplicate-keys-100k":
        target.write_text("name: x\n" * 100_000)
    elif name == "distinct-keys-1MiB":
        target.write_text("".join(f"k{i:06d}: 1\n" for i in range(95_000)))
    else:
        write_big(target, 50)
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout)
    print(f"{name}: max RSS {result['maxrss_kb'] / 1024:.1f} MB")
    assert result["rules"] == [rule]
    assert result["maxrss_kb"] < MEMORY_LIMIT_KB
