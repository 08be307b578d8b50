"""Through the real engine: every stack-config error fails `pulumi preview` naming the key, with no
traceback and no API call (region, URL, conflict policy, platform)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from emulator.testing import EmulatorProcess
from provider.ops.engine import tools_bin
from tests.support.engine import NS, Meter, make_project, open_stack

pytestmark = [
    pytest.mark.engine,
    pytest.mark.skipif(not (tools_bin() / "pulumi").exists(), reason="the Pulumi CLI is not built"),
]

FLOW = {
    "name": "Main",
    "type": "INBOUNDCALL",
    "lifecycle_state": "published",
    "blocks": [{"id": "b", "type": "playAudio"}],
}


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({"apiUrl": None, "region": "mars-north-1"}, "region"),
        ({"apiUrl": "ftp//nowhere"}, "apiUrl"),
        ({"conflictPolicy": "sometimes"}, "conflictPolicy"),
        ({"platform": "carrier-pigeon"}, "platform"),
    ],
)
def test_a_stack_config_error_fails_the_preview_naming_the_key(
    tmp_path: Path, emulator: EmulatorProcess, settings: dict[str, str | None], key: str
):
    project = make_project(tmp_path, {"main": FLOW})
    stack = open_stack(project, tmp_path, emulator.url)
    for name, value in settings.items():
        if value is None:
            stack.remove_config(f"{NS}:{name}")
        else:
            stack.set_config(f"{NS}:{name}", auto.ConfigValue(value))
    with Meter(emulator) as meter, pytest.raises(auto.CommandError) as failure:
        stack.preview()
    message = str(failure.value)
    assert key in message, message
    assert "Traceback" not in message, message
    assert meter.result.total == 0
