"""No republish without a content change (issue 19): on genesys-cloud a flow whose substituted Archy
text is identical shows no change in `diff` whatever happened around it: its key or a referenced
flow's key renamed (`aliases`), its Archy file moved, a placeholder renamed. No engine, no network:
the provider's diff on the inputs the program registers (the platform's side, no job:
tests/platforms/genesys_cloud/test_no_republish_platform.py)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from provider.deploy.inputs import FLOW_KEY, REFERENCE_IDS, normalize_inputs, outputs
from provider.deploy.resource import FlowProvider
from provider.domain import convert
from provider.domain.loading import PreparedSet
from provider.platforms.base import LiveFlow
from provider.platforms.genesys_cloud.loading import prepare_archy
from provider.platforms.genesys_cloud.versions import EXTRA_ARCHY_SHA, archy_sha

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "flows" / "genesys-cloud"
SUBS = yaml.safe_load((ROOT / "stacks" / "Pulumi.gc-dev.yaml").read_text())["config"][
    "genesys-flows:substitutions"
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "flows"
    shutil.copytree(SAMPLES, out)
    return out


def _prepared(folder: Path, subs: dict[str, str]) -> PreparedSet:
    prepared = prepare_archy(folder, subs)
    assert prepared.ok, prepared.problems
    return prepared


def _inputs(prepared: PreparedSet, ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Key → the inputs the program registers (provider/deploy/program.py `register`)."""
    out = {}
    for key in prepared.order:
        d = prepared.definitions[key]
        props = {
            **convert.as_document(d),
            "archy": d.archy,  # type: ignore[attr-defined]
            REFERENCE_IDS: {r: ids[r] for r in d.references},
            FLOW_KEY: key,
        }
        out[key] = normalize_inputs(props)
    return out


def _state(inputs: dict[str, dict[str, Any]], ids: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Key → the outputs a deploy recorded for these inputs."""
    return {
        key: outputs(
            props,
            LiveFlow(
                id=ids[key],
                name=props["name"],
                type=props["type"],
                attributes={"description": props["description"]},
                lifecycle_state=props["lifecycle_state"],
                revision="published=1.0;checkedIn=1.0",
                references=tuple(sorted(props[REFERENCE_IDS].values())),
                extra={EXTRA_ARCHY_SHA: archy_sha(props["archy"])},
            ),
        )
        for key, props in inputs.items()
    }


def _changed(olds: dict[str, dict[str, Any]], news: dict[str, dict[str, Any]], renamed: dict[str, str]):
    """The new keys whose diff against their state (found under the old key) shows changes."""
    provider = FlowProvider("gc-dev")
    old_key = {new: old for old, new in renamed.items()}
    return sorted(
        k for k, props in news.items() if provider.diff("id", olds[old_key.get(k, k)], props).changes
    )


def _deployed(folder: Path) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    prepared = _prepared(folder, SUBS)
    ids = {key: f"id-{key}" for key in prepared.definitions}
    return ids, _state(_inputs(prepared, ids), ids)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, (path, old)
    path.write_text(text.replace(old, new))


def test_renaming_a_used_flows_key_and_moving_its_file_changes_nothing(folder: Path) -> None:
    ids, state = _deployed(folder)
    # billing-line.yaml → billing.yaml with `aliases`, its Archy file moved; main-ivr declares the new key.
    (folder / "billing-line.archy.yaml").rename(folder / "billing-content.archy.yaml")
    definition = yaml.safe_load((folder / "billing-line.yaml").read_text())
    definition.update(archy="billing-content.archy.yaml", aliases=["billing-line"])
    (folder / "billing.yaml").write_text(yaml.safe_dump(definition))
    (folder / "billing-line.yaml").unlink()
    _edit(folder / "main-ivr.yaml", "billing-line,", "billing,")
    prepared = _prepared(folder, SUBS)
    assert "billing" in prepared.definitions["main-ivr"].references
    new_ids = {**ids, "billing": ids["billing-line"]}  # an aliased resource keeps its id
    assert _changed(state, _inputs(prepared, new_ids), {"billing-line": "billing"}) == []


def test_a_placeholder_renamed_to_the_same_text_changes_nothing(folder: Path) -> None:
    ids, state = _deployed(folder)
    users = [p for p in folder.glob("*.archy.yaml") if "{{support_queue}}" in p.read_text()]
    assert users
    for path in users:
        _edit(path, "{{support_queue}}", "{{tech_queue}}")
    subs = {k: v for k, v in SUBS.items() if k != "support_queue"} | {"tech_queue": SUBS["support_queue"]}
    assert _changed(state, _inputs(_prepared(folder, subs), ids), {}) == []


def test_a_changed_text_or_a_replaced_flow_is_still_a_change(folder: Path) -> None:
    ids, state = _deployed(folder)
    users = sorted(
        p.name.split(".")[0] for p in folder.glob("*.archy.yaml") if "{{greeting}}" in p.read_text()
    )
    assert users
    assert _changed(state, _inputs(_prepared(folder, {**SUBS, "greeting": "Hi"}), ids), {}) == users
    # billing-line replaced by a new flow (another id): main-ivr, which uses it, must be deployed again.
    replaced = {**ids, "billing-line": "id-new"}
    changed = _changed(state, _inputs(_prepared(folder, SUBS), replaced), {})
    assert changed == ["main-ivr"]
