"""Snapshots: logical keys for live flows, stable files, read back equal, substitutions undone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from provider.domain import snapshot as snap
from provider.domain.live import LiveFlow


def live(fid, name, *, type="INBOUNDCALL", refs=(), state="draft", blocks=None):
    return LiveFlow(
        id=fid,
        name=name,
        type=type,
        lifecycle_state=state,
        revision="3",
        references=tuple(refs),
        content=blocks or [],
    )


def test_slugify() -> None:
    assert snap.slugify("Main Menu (v2)") == "main-menu-v2"
    assert snap.slugify("  ***  ") == "flow"
    assert snap.slugify("Ünïcode Flow") == "n-code-flow"


def test_keys_known_then_definitions_then_slugs() -> None:
    flows = [
        live("1", "Main Menu"),
        live("2", "Main Menu", type="INBOUNDCHAT"),
        live("3", "Support Queue"),
        live("4", "Legacy"),
        live("5", "main  menu!", type="BOT"),
    ]
    keys = snap.assign_keys(
        flows,
        known={"4": "legacy-flow"},
        definitions={"support": {"name": "support queue", "type": "INBOUNDCALL"}},
    )
    assert keys == {
        "4": "legacy-flow",
        "3": "support",
        "5": "main-menu",  # sorted by name, type, id: BOT first
        "1": "main-menu-inboundcall",
        "2": "main-menu-inboundchat",
    }


def test_a_slug_never_takes_a_reserved_key_but_known_and_defined_keys_may() -> None:
    """`reserved`: keys already taken outside the flows (files of the definitions folder, the
    state's keys): a slug avoids them; a key the state or a definition gives is kept."""
    flows = [live("1", "Support Line"), live("2", "Billing"), live("3", "Main")]
    keys = snap.assign_keys(
        flows,
        known={"2": "billing"},
        definitions={"main": {"name": "Main", "type": "INBOUNDCALL"}},
        reserved={"support-line", "billing", "main"},
    )
    assert keys == {"1": "support-line-inboundcall", "2": "billing", "3": "main"}


def test_references_become_keys_and_files_are_stable(tmp_path: Path) -> None:
    flows = [
        live(
            "id-main",
            "Main Menu",
            refs=["id-sup", "id-gone"],
            state="published",
            blocks=[
                {
                    "id": "root",
                    "type": "menu",
                    "children": [{"id": "x", "type": "transfer", "reference": "id-sup"}],
                }
            ],
        ),
        live("id-sup", "Support", state="published"),
    ]
    s = snap.from_flows(flows, source={"kind": "org", "api_url": "http://x"})
    assert s.flows["main-menu"]["references"] == ["id:id-gone", "support"]
    assert s.flows["main-menu"]["blocks"][0]["children"][0]["reference"] == "support"
    snap.write(s, tmp_path / "out")
    text = (tmp_path / "out" / "main-menu.yaml").read_text()
    assert text.splitlines()[:4] == [
        "name: Main Menu",
        "description: ''",
        "type: INBOUNDCALL",
        "lifecycle_state: published",
    ]
    assert "id-main" not in text and "_version" not in text
    first = {p.name: p.read_text() for p in (tmp_path / "out").iterdir()}
    snap.write(
        snap.from_flows(list(reversed(flows)), source={"kind": "org", "api_url": "http://x"}),
        tmp_path / "out",
    )
    assert {p.name: p.read_text() for p in (tmp_path / "out").iterdir()} == first
    back = snap.read(tmp_path / "out")
    assert back.flows == s.flows and back.ids == {"main-menu": "id-main", "support": "id-sup"}


def test_stale_files_removed_only_in_a_snapshot_folder(tmp_path: Path) -> None:
    s = snap.from_flows([live("1", "A"), live("2", "B")])
    snap.write(s, tmp_path)
    snap.write(snap.from_flows([live("1", "A")]), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["_snapshot.yaml", "a.yaml"]
    other = tmp_path / "plain"
    other.mkdir()
    (other / "keep.yaml").write_text("name: keep\n")
    snap.write(snap.from_flows([live("1", "A")]), other)
    assert (other / "keep.yaml").exists()


def test_multiline_description_round_trips(tmp_path: Path) -> None:
    f = dataclasses.replace(live("1", "A"), attributes={"description": "line one\nline two: with colon\n"})
    snap.write(snap.from_flows([f]), tmp_path)
    assert "description: |" in (tmp_path / "a.yaml").read_text()
    assert snap.read(tmp_path).flows["a"]["description"] == "line one\nline two: with colon\n"


def test_unsubstitute_makes_environments_comparable() -> None:
    dev = snap.Snapshot(
        flows={
            "q": snap.normalize(
                {
                    "name": "Queue Dev-East",
                    "description": "for Dev-East team",
                    "blocks": [{"id": "r", "type": "queue-Dev-East"}],
                }
            )
        }
    )
    stg = snap.Snapshot(
        flows={
            "q": snap.normalize(
                {
                    "name": "Queue Stg-East",
                    "description": "for Stg-East team",
                    "blocks": [{"id": "r", "type": "queue-Stg-East"}],
                }
            )
        }
    )
    a = snap.unsubstitute(dev, {"region": "Dev-East", "tiny": "D"})
    b = snap.unsubstitute(stg, {"region": "Stg-East"})
    assert a.flows == b.flows
    assert a.flows["q"]["name"] == "Queue {{region}}"
