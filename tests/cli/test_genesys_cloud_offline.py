"""archctl on genesys-cloud without an org: validate and graph of Archy definitions, and the org
reader's bounds (one flow's failed export job is reported, the others are read and written)."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import yaml

from provider.cli.common import error_code, error_kind
from provider.deploy import org_objects
from provider.errors import AuthError, ForbiddenError, JobFailedError, TransportError
from provider.ops import sources
from provider.paths import PROJECT_DIR
from provider.platforms.base import LiveFlow
from provider.platforms.genesys_cloud import org as gc_org
from provider.platforms.http.settings import ConnectionSettings
from tests.support.cli import archctl, archctl_json
from tests.support.gc_org import GC_FLOWS


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "gc-flows"
    shutil.copytree(GC_FLOWS, target)
    return target


def test_validate_the_archy_sample_set() -> None:
    doc = archctl_json("validate", str(GC_FLOWS), expect=0).doc
    assert doc["ok"] and len(doc["flows"]) == 7
    assert doc["order"].index("verify-caller") < doc["order"].index("billing-line")
    assert doc["order"].index("main-ivr") < doc["order"].index("vip-line")


def test_validate_lists_every_archy_problem_at_once(tmp_path: Path) -> None:
    flows = _copy(tmp_path)
    main = flows / "main-ivr.archy.yaml"
    main.write_text(main.read_text().replace("Billing Line {{env_label}}", "No Such Line"))
    (flows / "vip-line.yaml").write_text("archy: vip-line.archy.yaml\nlifecycle_state: archived\n")
    run = archctl_json("validate", str(flows), expect=1)
    problems = {(p["flow"], p["rule"]) for p in run.doc["problems"]}
    assert ("main-ivr", "architect.flow.reference.unknown") in problems
    assert ("main-ivr", "definition.references.mismatch") in problems  # declares billing-line
    assert ("vip-line", "definition.lifecycle.archived.unsupported") in problems
    human = archctl("validate", str(flows))
    assert human.code == 1 and "No Such Line" in human.out


def test_graph_of_archy_definitions_derives_the_references() -> None:
    doc = archctl_json("graph", str(GC_FLOWS), expect=0).doc
    edges = {(e["from"], e["to"]) for e in doc["edges"]}
    assert edges >= {
        ("main-ivr", "billing-line"),
        ("main-ivr", "support-line"),
        ("billing-line", "verify-caller"),
        ("support-line", "verify-caller"),
        ("vip-line", "main-ivr"),
    }
    # No stack: the placeholders are kept as written.
    assert {n["name"] for n in doc["nodes"]} >= {"Main IVR {{env_label}}"}


class _Org:
    """A genesys-cloud platform stand-in: two flows, the export of one fails."""

    name = "genesys-cloud"

    def __init__(self) -> None:
        self.flows = {
            "id-1": LiveFlow("id-1", "Verify Caller", "COMMONMODULE", "published", "p", extra={}),
            "id-2": LiveFlow("id-2", "Main IVR", "INBOUNDCALL", "published", "p", extra={}),
        }

    def list_flows(self) -> Iterator[LiveFlow]:
        yield from self.flows.values()

    def content_version(self, flow: LiveFlow) -> str | None:
        return None

    def fetch_content(self, flow_id: str, version: str | None = None) -> str:
        if flow_id == "id-2":
            raise JobFailedError("export of flow id-2 failed: boom", messages=["boom"])
        return "commonModule:\n  name: Verify Caller\n"


def test_a_failed_export_is_reported_and_the_others_are_written(tmp_path: Path) -> None:
    read = gc_org.org_read(gc_org.read_flows(_Org()))  # type: ignore[arg-type]
    assert set(read.snapshot.flows) == {"verify-caller", "main-ivr"}
    assert set(read.errors) == {"main-ivr"} and "boom" in read.errors["main-ivr"]
    written = gc_org.write_definitions(read, tmp_path / "out")
    assert sorted(p.name for p in written) == ["verify-caller.archy.yaml", "verify-caller.yaml"]
    definition = yaml.safe_load((tmp_path / "out" / "verify-caller.yaml").read_text())
    assert definition == {"archy": "verify-caller.archy.yaml", "lifecycle_state": "published"}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_validate_stack_with_an_unreachable_org_is_a_connection_error_exit_2(monkeypatch) -> None:
    """The org-objects check could not run at all: exit 2 with the error document (README: exit
    codes), not exit 1 as if the flows had problems."""
    url = f"http://127.0.0.1:{_closed_port()}"
    raw = {"platform": "genesys-cloud", "apiUrl": url, "clientId": "dev-rw", "clientSecret": "s3cret-xyz"}
    subs = yaml.safe_load((PROJECT_DIR / "stacks" / "Pulumi.gc-dev.yaml").read_text())["config"]
    info = sources.StackInfo(
        stack="gc-dev",
        connection=ConnectionSettings.resolve(
            api_url=url, client_id="dev-rw", client_secret="s3cret-xyz", env={}
        ),
        substitutions=subs["genesys-flows:substitutions"],
        flows_dir="flows/genesys-cloud",
        platform="genesys-cloud",
        raw_config=raw,
    )
    monkeypatch.setattr(sources, "stack_info", lambda name, with_state=True: info)
    monkeypatch.delenv(org_objects.OFFLINE_ENV, raising=False)
    run = archctl_json("validate", "--stack", "gc-dev", expect=2)
    error = run.doc["error"]
    assert error["kind"] == "connection"
    assert error["message"].startswith("stack gc-dev: the org could not be checked before any change")
    assert "s3cret-xyz" not in run.out + run.err


def test_an_org_that_refuses_is_exit_2_any_other_failure_exit_1() -> None:
    assert error_code(AuthError("refused")) == 2 and error_kind(AuthError("refused")) == "auth"
    assert error_code(ForbiddenError("no permission")) == 2
    assert error_code(TransportError("unreachable")) == 2
    assert error_code(JobFailedError("the job failed")) == 1
