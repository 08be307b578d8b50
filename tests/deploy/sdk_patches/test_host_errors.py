"""The SDK host's failure message: the provider's own message first, the traceback after it."""

from __future__ import annotations

from provider.deploy.inputs import FlowProviderError
from provider.deploy.sdk_patches import host_errors


def test_our_message_comes_first():
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


def test_install_only_in_the_provider_host():
    assert host_errors.install() is False  # pytest is not `python -m pulumi.dynamic`
