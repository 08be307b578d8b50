"""The first day on your own org, without the engine: which platform and org a stack reaches, what
scripts/up says about it, an unknown host failing fast, the wrong-org stop, `archctl validate`
without an argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider.deploy import stack_org
from provider.errors import TransportError
from provider.ops import sources
from provider.paths import PROJECT_DIR
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.transport import new_session, send
from tests.support.cli import archctl_json


def test_scripts_up_starts_an_emulator_only_for_the_emulator_address(tmp_path: Path):
    what, on_emulator = stack_org.describe_file(PROJECT_DIR / "stacks" / "Pulumi.gc-dev.yaml")
    assert on_emulator and "Genesys Cloud (the real flows API)" in what
    what, on_emulator = stack_org.describe_file(PROJECT_DIR / "stacks" / "Pulumi.dev.yaml")
    assert on_emulator and "the tutorial's Architecture API (not Genesys Cloud)" in what
    real = tmp_path / "Pulumi.eu.yaml"
    real.write_text("config:\n  genesys-flows:region: eu-west-1\n  genesys-flows:clientId: c\n")
    what, on_emulator = stack_org.describe_file(real)
    assert not on_emulator and what == "Genesys Cloud (the real flows API) at region eu-west-1"
    assert stack_org.main(["describe", str(real)]) == 1


def test_an_unknown_host_fails_at_once_saying_no_network_or_dns():
    with pytest.raises(TransportError) as failure:
        send(new_session(), "POST", "https://login.flows.invalid/oauth/token", timeout=(5.0, 5.0))
    error = failure.value
    # not retried: an unknown host stays unknown
    decision = RetryPolicy().decide(method="POST", attempt=1, started=0.0, transport_error=error.code)
    assert decision.retry is False and decision.reason == "dns"
    assert error.code == "dns" and error.ambiguous is False  # nothing was sent
    assert "cannot resolve host 'login.flows.invalid': no network or DNS" in str(error)


def test_state_flows_none_of_which_exist_means_another_org():
    with pytest.raises(sources.WrongOrgError) as failure:
        sources.require_same_org("stack:dev", {"main-ivr": "id-1", "menu": "id-2"}, ["id-9"], "http://x")
    assert "this is not the org this stack was deployed to" in str(failure.value)
    assert "stack 'dev'" in str(failure.value) and "http://x" in str(failure.value)
    sources.require_same_org("dev", {"main-ivr": "id-1", "gone": "id-2"}, ["id-1"])  # one is enough
    sources.require_same_org("dev", {}, [])  # nothing deployed yet: any org


def test_validate_without_an_argument_checks_the_current_stacks_folder(monkeypatch):
    monkeypatch.delenv("GENESYS_FLOWS_PROJECT_DIR", raising=False)
    monkeypatch.delenv(stack_org.ENV_STACK, raising=False)
    run = archctl_json("validate", expect=0)
    assert Path(run.doc["directory"]) == PROJECT_DIR / "flows" / "genesys-cloud"  # gc-dev's
    assert "validating stack gc-dev's definitions" in run.err
    monkeypatch.setenv(stack_org.ENV_STACK, "dev")
    assert Path(archctl_json("validate", expect=0).doc["directory"]) == PROJECT_DIR / "flows"


def test_an_incorrect_passphrase_says_how_to_use_your_own():
    from provider.cli.main import _engine_message

    text = _engine_message(RuntimeError("error: getting stack configuration: incorrect passphrase"))
    assert "incorrect passphrase" in text and "change-secrets-provider passphrase" in text
    assert "change-secrets-provider" not in _engine_message(RuntimeError("error: something else"))
