"""The SDK host's failure message: an expected error's message alone (its traceback with
GENESYS_FLOWS_DEBUG=1), a bug's message first and its traceback after it."""

from __future__ import annotations

from provider.deploy.inputs import FlowProviderError
from provider.deploy.sdk_patches import host_errors


def test_an_expected_error_is_its_message_alone(monkeypatch):
    monkeypatch.delenv("GENESYS_FLOWS_DEBUG", raising=False)
    try:
        raise FlowProviderError("flow 'main': create failed: no answer")
    except FlowProviderError:
        text = host_errors.format_exc()
    assert text == "flow 'main': create failed: no answer"


def test_debug_adds_the_traceback(monkeypatch):
    monkeypatch.setenv("GENESYS_FLOWS_DEBUG", "1")
    try:
        raise FlowProviderError("flow 'main': create failed: no answer")
    except FlowProviderError:
        text = host_errors.format_exc()
    assert text.startswith("flow 'main': create failed: no answer\n")
    assert "Traceback (most recent call last)" in text


def test_a_bug_names_its_type_first():
    try:
        raise KeyError("blocks")
    except KeyError:
        text = host_errors.format_exc()
    assert text.startswith("KeyError: 'blocks'\n")
    assert "Traceback (most recent call last)" in text  # a bug keeps its traceback


def test_install_only_in_the_provider_host():
    assert host_errors.install() is False  # pytest is not `python -m pulumi.dynamic`
