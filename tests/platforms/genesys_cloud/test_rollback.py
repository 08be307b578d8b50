"""Rollback on genesys-cloud (issue 24) against the in-process emulator, no engine: the platform lists
a flow's versions (newest first, which one is live) and exports any of them; `provider.ops.rollback`
picks the target, shows the Archy diff, writes the version back into the definition with the stack's
placeholders restored (the committed sample file comes back, in the export's layout), and refuses, writing
nothing, a version whose references fail the pre-check of today's set."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from provider import platforms
from provider.domain.document import FlowDocument
from provider.domain.loading import DefinitionError
from provider.errors import ConfigurationError, NotFoundError
from provider.ops import rollback
from provider.platforms.base import FlowVersionInfo, LiveFlow, VersionHistory
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud import org as gc_org

from .conftest import archy_text

ROOT = Path(__file__).resolve().parents[3]
SAMPLES = ROOT / "flows" / "genesys-cloud"
SUBS = {
    str(k): str(v)
    for k, v in yaml.safe_load((ROOT / "stacks" / "Pulumi.gc-dev.yaml").read_text())["config"][
        "genesys-flows:substitutions"
    ].items()
}


def _deploy(platform: GenesysCloudPlatform, folder: Path) -> dict[str, LiveFlow]:
    """Every definition of `folder` created (references first), as the provider's create does."""
    docs, problems = gc_org.definition_docs(folder, SUBS)
    assert not problems
    live: dict[str, LiveFlow] = {}
    while len(live) < len(docs):
        for key in [k for k, d in docs.items() if k not in live and all(r in live for r in d["references"])]:
            d = docs[key]
            doc = FlowDocument(
                key=key,
                name=d["name"],
                type=d["type"],
                lifecycle_state=d["lifecycle_state"],
                archy=d["archy"],
            )
            live[key] = platform.create(doc, {r: live[r].id for r in d["references"]})
    return live


def _update(platform: GenesysCloudPlatform, base: LiveFlow, text: str, ids: dict[str, str]) -> LiveFlow:
    doc = FlowDocument(key=base.name, name=base.name, type=base.type, lifecycle_state="published", archy=text)
    return platform.update(base.id, doc, ids, base=base, policy="fail")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "flows"
    shutil.copytree(SAMPLES, out)
    return out


def test_versions_newest_first_with_the_live_one_and_each_exportable(
    platform: GenesysCloudPlatform,
) -> None:
    assert isinstance(platform, VersionHistory)
    texts = [archy_text("Rollback Me", note=f"take {n}") for n in (1, 2, 3)]
    flow = platform.create(
        FlowDocument(
            key="r", name="Rollback Me", type="INBOUNDCALL", lifecycle_state="published", archy=texts[0]
        ),
        {},
    )
    for text in texts[1:]:
        flow = _update(platform, flow, text, {})
    versions = platform.versions(flow.id)
    published = [v.id for v in versions if v.published]
    assert len(published) == 3 and [v.id for v in versions if v.live] == [published[0]]
    assert flow.extra["publishedVersion"] == published[0]
    assert [platform.fetch_content(flow.id, v) for v in reversed(published)] == texts


def test_plan_diffs_and_writes_the_previous_version_with_placeholders_restored(
    platform: GenesysCloudPlatform, folder: Path
) -> None:
    live = _deploy(platform, folder)
    committed = (folder / "billing-line.archy.yaml").read_text()
    broken = committed.replace("tts: Welcome to billing.", "tts: Welcome to a BROKEN billing line.")
    assert broken != committed
    (folder / "billing-line.archy.yaml").write_text(broken)
    docs, _ = gc_org.definition_docs(folder, SUBS)
    ids = {r: live[r].id for r in docs["billing-line"]["references"]}
    _update(platform, live["billing-line"], docs["billing-line"]["archy"], ids)

    plan = rollback.plan(
        platform,
        stack="gc-dev",
        key="billing-line",
        flow_id=live["billing-line"].id,
        directory=folder,
        substitutions=SUBS,
    )
    assert plan.target_version == live["billing-line"].extra["publishedVersion"]
    assert plan.live_version != plan.target_version
    assert "-    tts: Welcome to a BROKEN billing line." in plan.diff
    assert "+    tts: Welcome to billing." in plan.diff
    ((path, text),) = plan.files.items()
    # Back in the definition as committed (in the export's layout): {{env_label}}, not dev's value.
    assert path == folder / "billing-line.archy.yaml"
    assert yaml.safe_load(text) == yaml.safe_load(committed) and "(dev)" not in text
    assert (folder / "billing-line.archy.yaml").read_text() == broken  # a plan writes nothing
    human = rollback.RollbackReport(plan, now=False, reason="", written=[str(path)]).render()
    assert human.startswith(
        f"rollback of flow 'billing-line' (Billing Line (dev)) on stack gc-dev: "
        f"live version {plan.live_version} → version {plan.target_version}\n--- billing-line"
    )
    assert "the next deploy (`make deploy`, the pipeline) publishes it" in human


def test_a_version_whose_references_changed_rolls_back_and_one_failing_the_precheck_is_refused(
    platform: GenesysCloudPlatform, folder: Path
) -> None:
    """billing-line v1 calls the Verify Caller module; v2 no longer does. Back to v1 passes while
    verify-caller is in the set; once its definition is gone, the same rollback is refused."""
    live = _deploy(platform, folder)
    docs, _ = gc_org.definition_docs(folder, SUBS)
    v1 = docs["billing-line"]["archy"]
    lone = archy_text("Billing Line (dev)", note="no verification")
    _update(platform, live["billing-line"], lone, {})
    (folder / "billing-line.archy.yaml").write_text(lone)
    flow_id = live["billing-line"].id
    args: dict[str, Any] = {
        "stack": "gc-dev",
        "key": "billing-line",
        "flow_id": flow_id,
        "substitutions": SUBS,
    }

    plan = rollback.plan(platform, directory=folder, **args)
    ((path, text),) = plan.files.items()
    assert path == folder / "billing-line.archy.yaml" and "Verify Caller {{env_label}}" in text
    path.write_text(text)  # as `apply` writes it: the stack's values give back the version's text
    assert gc_org.definition_docs(folder, SUBS)[0]["billing-line"]["archy"] == v1

    for name in ("verify-caller.yaml", "verify-caller.archy.yaml"):
        (folder / name).unlink()
    before = {p.name: p.read_text() for p in folder.iterdir()}
    with pytest.raises(DefinitionError) as refused:
        rollback.plan(platform, directory=folder, **args)
    message = str(refused.value)
    assert "rollback of flow 'billing-line'" in message and "nothing was written" in message
    assert "Verify Caller (dev)" in message
    assert {p.name: p.read_text() for p in folder.iterdir()} == before


def _v(id_: str, published: bool = True, live: bool = False) -> FlowVersionInfo:
    return FlowVersionInfo(id=id_, published=published, live=live)


def test_choose_target() -> None:
    versions = [_v("4.0", published=False), _v("3.0", live=True), _v("2.0", published=False), _v("1.0")]
    assert rollback.choose_target(versions, "3.0", None, "f") == "1.0"
    assert rollback.choose_target(versions, "3.0", "1.0", "f") == "1.0"
    with pytest.raises(NotFoundError, match=r"no version '9.0'; its published versions: 3.0, 1.0"):
        rollback.choose_target(versions, "3.0", "9.0", "f")
    with pytest.raises(ConfigurationError, match=r"version 2\.0 was never published"):
        rollback.choose_target(versions, "3.0", "2.0", "f")
    with pytest.raises(ConfigurationError, match="no published version before the live one"):
        rollback.choose_target([_v("1.0", live=True)], "1.0", None, "f")


def test_the_tutorial_platform_refuses_rollback_with_one_clear_error(folder: Path) -> None:
    with pytest.raises(ConfigurationError, match="rollback is not supported on platform") as refused:
        platforms.kind(platforms.TUTORIAL).rollback_files(folder, "main-ivr", "", {})
    assert "revert the definition in Git" in str(refused.value)


def test_an_inline_definition_is_rewritten_with_its_other_fields_kept(tmp_path: Path) -> None:
    (tmp_path / "lone.yaml").write_text(
        yaml.safe_dump(
            {
                "archy": archy_text("Lone {{env_label}}"),
                "lifecycle_state": "published",
                "aliases": ["old-lone"],
            },
            sort_keys=False,
        )
    )
    version = archy_text("Lone (dev)", note="the old one")
    texts, notes = platforms.kind(platforms.DEFAULT).rollback_files(tmp_path, "lone", version, SUBS)
    assert notes == []
    data = yaml.safe_load(texts[tmp_path / "lone.yaml"])
    assert data["lifecycle_state"] == "published" and data["aliases"] == ["old-lone"]
    assert data["archy"] == version.replace("(dev)", "{{env_label}}")
    with pytest.raises(ConfigurationError, match=r"no definition missing\.yaml"):
        platforms.kind(platforms.DEFAULT).rollback_files(tmp_path, "missing", version, SUBS)
