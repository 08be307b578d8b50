"""A referenced flow's key renamed (`aliases`) is no reason to deploy the content again (issue 19):
the references resolve to the same flow ids, so no job runs (the emulator's app in process)."""

from __future__ import annotations

from collections.abc import Callable

from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.http.recorder import ListRecorder
from tests.platforms.genesys_cloud.conftest import Org, document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]


def _jobs(org: Org) -> int:
    stats = org.emu.admin.stats()["requests"]
    return sum(r["count"] for r in stats if r["method"] == "POST" and r["path"] == "/api/v2/flows/jobs")


def test_update_with_a_used_flows_key_renamed_runs_no_job(make_platform: Make, org: Org) -> None:
    platform, _ = make_platform()
    module = platform.create(document("Billing", kind="commonModule", type="COMMONMODULE"), {})
    doc = document("Main IVR", uses=("Billing",)).model_copy(update={"references": ("billing",)})
    base = platform.create(doc, {"billing": module.id})
    renamed = doc.model_copy(update={"references": ("billing-module",)})
    versions, jobs = len(org.versions(base.id)), _jobs(org)
    live = platform.update(
        base.id,
        renamed,
        {"billing-module": module.id},
        base=base,
        policy="fail",
        previous_ids={"billing": module.id},
    )
    assert live.revision == base.revision
    assert len(org.versions(base.id)) == versions  # no job: no new version
    assert _jobs(org) == jobs  # and no Archy job registered
