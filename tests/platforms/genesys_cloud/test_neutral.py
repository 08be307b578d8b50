"""Exports any environment can deploy (genesys_cloud/neutral.py): the stack's placeholders put back
into the org's Archy text, a flow's own substitutions written again, ambiguities reported, the files
of keys an export no longer writes removed. No network: an `OrgRead` built from texts."""

from __future__ import annotations

from pathlib import Path

import yaml

from provider.platforms.base import LiveFlow
from provider.platforms.genesys_cloud import neutral as gc_neutral
from provider.platforms.genesys_cloud import org as gc_org
from provider.platforms.genesys_cloud.loading import prepare_archy

DEV = {"env_label": "(dev)", "queue": "Tech Support DEV", "division": "Home", "site": "Home"}


def _flow(flow_id: str, name: str, body: str = "") -> gc_org.OrgFlow:
    text = f"inboundCall:\n  name: {name}\n  defaultLanguage: en-us\n{body}"
    live = LiveFlow(
        id=flow_id,
        name=name,
        type="INBOUNDCALL",
        lifecycle_state="published",
        revision="published=1.0;checkedIn=1.0",
    )
    return gc_org.OrgFlow(live, archy=text)


def _read(*flows: gc_org.OrgFlow, **known: str) -> gc_org.OrgRead:
    return gc_org.org_read(flows, known_ids=known)


def test_placeholders_put_back_own_substitutions_kept_and_the_text_round_trips(tmp_path: Path) -> None:
    definitions = tmp_path / "defs"
    definitions.mkdir()
    own = {"flow_name": "Billing {{env_label}}"}
    (definitions / "billing.yaml").write_text(
        yaml.safe_dump({"archy": "billing.archy.yaml", "substitutions": own})
    )
    read = _read(
        _flow("f1", "Billing (dev)", "  # queue Tech Support DEV in division Home\n"),
        _flow("f2", "Main IVR (dev)"),
        billing="f1",
        main="f2",
    )
    out = tmp_path / "out"
    exported = gc_neutral.write_export(
        read, out, substitutions=DEV, own=gc_neutral.own_substitutions(definitions)
    )
    assert exported.removed == []
    billing = (out / "billing.archy.yaml").read_text()
    assert "name: {{flow_name}}\n" in billing  # the flow's own value, longest first
    assert "# queue {{queue}} in division Home\n" in billing  # Home: {{division}} or {{site}}
    assert exported.ambiguous == [
        "billing: 'Home' is the value of {{division}} and {{site}}: left as it is (not guessed)"
    ]
    assert "name: Main IVR {{env_label}}" in (out / "main.archy.yaml").read_text()
    assert yaml.safe_load((out / "billing.yaml").read_text())["substitutions"] == own
    assert "substitutions" not in yaml.safe_load((out / "main.yaml").read_text())
    # With the same stack's values the export gives back the org's text exactly; with staging's, staging's.
    texts = {k: f.archy for k, f in read.flows.items()}
    prepared = prepare_archy(out, DEV)
    assert prepared.ok, prepared.problems
    assert {k: d.archy for k, d in prepared.definitions.items()} == texts  # type: ignore[attr-defined]
    staging = prepare_archy(out, {**DEV, "env_label": "(staging)"})
    assert staging.definitions["billing"].name == "Billing (staging)"


def test_keys_no_longer_written_are_removed_but_not_other_files_or_failed_flows(tmp_path: Path) -> None:
    out = tmp_path / "out"
    gc_neutral.write_export(
        _read(_flow("f1", "A"), _flow("f2", "B"), _flow("f3", "C"), a="f1", b="f2", c="f3"),
        out,
        substitutions={},
    )
    (out / "notes.yaml").write_text("mine: true\n")  # not an export's file
    failed = _flow("f3", "C")
    failed.archy, failed.error = None, "export job failed"
    exported = gc_neutral.write_export(_read(_flow("f1", "A"), failed, a="f1", c="f3"), out, substitutions={})
    assert sorted(p.name for p in exported.removed) == ["b.archy.yaml", "b.yaml"]
    assert sorted(p.name for p in out.iterdir()) == [
        "a.archy.yaml",
        "a.yaml",
        "c.archy.yaml",
        "c.yaml",
        "notes.yaml",
    ]
