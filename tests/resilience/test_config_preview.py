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


# Every key's message is checked without the engine (tests/deploy/test_config.py); the engine sees
# them two previews at a time (the model reports every problem at once; a region needs no apiUrl,
# so the two apiUrl cases go to different previews). The second case replaces the former
# test_flows_e2e.py::test_a_wrong_stack_setting_fails_the_preview_naming_the_key.
@pytest.mark.parametrize(
    ("settings", "keys"),
    [
        (
            {"apiUrl": None, "region": "mars-north-1", "conflictPolicy": "sometimes"},
            ["region", "conflictPolicy"],
        ),
        ({"apiUrl": "ftp//nowhere", "platform": "carrier-pigeon"}, ["apiUrl", "platform"]),
    ],
)
def test_stack_config_errors_fail_the_preview_naming_each_key(
    tmp_path: Path, emulator: EmulatorProcess, settings: dict[str, str | None], keys: list[str]
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
    assert "stack 'dev'" in message, message
    for key in keys:
        assert f"{NS}:{key} is '{settings[key]}'" in message, message
    assert "Traceback" not in message, message
    assert meter.result.total == 0
    assert (stack.export_stack().deployment or {}).get("resources") in (None, [])
