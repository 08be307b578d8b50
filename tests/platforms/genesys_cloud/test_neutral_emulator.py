"""An export of gc-dev deploys to gc-staging unchanged (issue 19), against the emulator process (no
engine): the Archy sample set is deployed into the `dev` org with gc-dev's substitutions, exported with
gc-dev's placeholders put back, then deployed as it is into the `staging` org with gc-staging's: the
staging org then holds what the definitions give for gc-staging, flow for flow."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from emulator.testing import EmulatorProcess
from provider.platforms.genesys_cloud import neutral as gc_neutral
from provider.platforms.genesys_cloud import org as gc_org
from tests.support.gc_org import GC_FLOWS, deploy, platform

pytestmark = pytest.mark.slow
STACKS = Path(__file__).resolve().parents[3] / "stacks"


def _subs(stack: str) -> dict[str, str]:
    config = yaml.safe_load((STACKS / f"Pulumi.{stack}.yaml").read_text())["config"]
    return {str(k): str(v) for k, v in config["genesys-flows:substitutions"].items()}


def _org(url: str, client: str, ids: dict[str, str]) -> gc_org.OrgRead:
    return gc_org.org_read(gc_org.read_flows(platform(url, client)), known_ids=ids)


def test_an_export_of_dev_deploys_to_staging_unchanged(emulator: EmulatorProcess, tmp_path: Path) -> None:
    emulator.admin.gc_set_async_delay(0.02)
    dev, staging = _subs("gc-dev"), _subs("gc-staging")
    out = tmp_path / "export"
    written = gc_neutral.write_export(
        _org(emulator.url, "dev-rw", deploy(emulator.url, "dev-rw", dev)), out, substitutions=dev
    )
    assert written.removed == [] and written.ambiguous == []
    exported = "".join(p.read_text() for p in sorted(out.iterdir()))
    assert not [v for v in dev.values() if v in exported]  # nothing of dev's left
    assert "{{env_label}}" in exported and "{{support_queue}}" in exported

    expected, problems = gc_org.definition_docs(GC_FLOWS, staging)
    assert not problems
    from_export, problems = gc_org.definition_docs(out, staging)
    assert not problems and from_export == expected

    ids = deploy(emulator.url, "staging-rw", staging, directory=out)
    assert _org(emulator.url, "staging-rw", ids).snapshot.flows == expected
