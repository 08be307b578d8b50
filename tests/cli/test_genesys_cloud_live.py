"""archctl against a genesys-cloud org given by connection options (no stack, no Pulumi CLI): export
through export jobs, then the exported folder diffs clean against the live org until a hand edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.testing import DEMO_CLIENTS, EmulatorProcess
from tests.support.cli import archctl_json
from tests.support.gc_org import deploy, platform
from tests.support.state import clear_genesys_env

SUBS = {
    "env_label": "(dev)",
    "greeting": "Welcome.",
    "schedule_group": "Hours",
    "support_queue": "Support",
}


@pytest.mark.slow  # export and import jobs polled on the wall clock (~10 s)
def test_export_and_diff_with_connection_options(
    emulator: EmulatorProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clear_genesys_env(monkeypatch)
    monkeypatch.setenv("GENESYSCLOUD_OAUTHCLIENT_SECRET", DEMO_CLIENTS["dev-rw"])
    monkeypatch.setenv("GENESYS_FLOWS_PROJECT_DIR", str(tmp_path))  # no definitions name the flows
    emulator.admin.gc_set_async_delay(0.02)
    ids = deploy(emulator.url, "dev-rw", SUBS)
    org = ["--api-url", emulator.url, "--client-id", "dev-rw", "--platform", "genesys-cloud"]
    out = tmp_path / "exported"
    doc = archctl_json("export", "--out", str(out), *org, expect=0).doc
    # Keys are slugs of the names (no stack, no definitions), unique.
    keys = "billing-line business-hours holiday-line main-ivr support-line verify-caller vip-line"
    assert sorted(f["key"] for f in doc["flows"]) == [f"{k}-dev" for k in keys.split()]
    assert "references: [billing-line-dev, support-line-dev]" in (out / "main-ivr-dev.yaml").read_text()
    assert archctl_json("diff", str(out), "live", *org, expect=0).doc["identical"]

    gc = platform(emulator.url)
    text = gc.fetch_content(ids["holiday-line"])
    emulator.admin.gc_publish_as_user("dev", ids["holiday-line"], text.replace("Holiday", "Vacation", 1))
    run = archctl_json("diff", str(out), "live", *org, expect=1)
    [changed] = run.doc["flows"]
    assert changed["key"] == "holiday-line-dev"
    assert {c["kind"] for c in changed["changes"]} >= {"content"}
