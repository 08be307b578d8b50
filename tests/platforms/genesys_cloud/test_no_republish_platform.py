"""A referenced flow's key renamed (`aliases`) is no reason to deploy the content again (issue 19):
the references resolve to the same flow ids, so no job runs."""

from __future__ import annotations

from provider.platforms.genesys_cloud import GenesysCloudPlatform
from tests.platforms.genesys_cloud.conftest import document
from tests.platforms.genesys_cloud.fake_gc import FakeGenesysCloud


def test_update_with_a_used_flows_key_renamed_runs_no_job(
    platform: GenesysCloudPlatform, fake: FakeGenesysCloud
) -> None:
    module = platform.create(document("Billing", kind="commonModule", type="COMMONMODULE"), {})
    doc = document("Main IVR", uses=("Billing",)).model_copy(update={"references": ("billing",)})
    base = platform.create(doc, {"billing": module.id})
    renamed = doc.model_copy(update={"references": ("billing-module",)})
    fake.log.clear()
    live = platform.update(
        base.id,
        renamed,
        {"billing-module": module.id},
        base=base,
        policy="fail",
        previous_ids={"billing": module.id},
    )
    assert live.revision == base.revision
    assert fake.writes() == []
