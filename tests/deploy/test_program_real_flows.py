"""The program on real flows without the engine (issue 19): duplicates refused before any resource
or call, naming both definitions; per-flow substitutions in the inputs of two stacks; externals
passed to the resource, never registered as one."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pulumi
import pytest

from provider import platforms
from provider.deploy import config, program

FILES = {
    "billing.yaml": (
        "archy: Billing.yaml\nlifecycle_state: published\n"
        'substitutions:\n  flow_name: "Billing {{env_label}}"\n'
    ),
    "Billing.yaml": (
        "inboundShortMessage:\n  name: {{flow_name}}\n  a:\n"
        "    - callBotFlow: {botFlow: {Team Bot: {}}}\n"
        "    - transferToAcd: {overrideInQueueFlow: {name: Hold {{env_label}}}}\n"
    ),
    "hold.yaml": "archy: hold.yaml.tftpl\nlifecycle_state: published\n",
    "hold.yaml.tftpl": "inqueueShortMessage:\n  name: Hold {{env_label}}\n",
}
EXTERNAL = "external:\n  - {type: botFlow, name: Team Bot}\n"


def _folder(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    folder = tmp_path / "flows"
    folder.mkdir()
    for name, text in {**FILES, **(extra or {})}.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "billing.yaml").write_text(FILES["billing.yaml"] + EXTERNAL, encoding="utf-8")
    return folder


def _config(stack: str, env_label: str) -> config.StackConfig:
    return config.parse(stack, {"platform": "genesys-cloud", "substitutions": {"env_label": env_label}})


class _Captured:
    """Stands for `Flow` in `program.register`: records the inputs the program passes."""

    made: ClassVar[dict[str, dict[str, Any]]] = {}

    def __init__(self, resource_name: str, **kwargs: Any) -> None:
        self.id = f"id-of-{resource_name}"
        _Captured.made[resource_name] = kwargs


def test_duplicates_fail_the_program_before_any_resource_or_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_call(*_: Any, **__: Any) -> Any:
        raise AssertionError("no platform may be built before the definitions pass")

    monkeypatch.setattr(platforms, "get_platform", no_call)
    folder = _folder(
        tmp_path,
        {
            "billing-copy.yaml": "archy: Copy.yaml\nlifecycle_state: draft\n",
            "Copy.yaml": "inboundShortMessage:\n  name: billing (dev)\n",
        },
    )
    with pytest.raises(pulumi.RunError) as failure:
        program.check_definitions(folder, _config("gc-dev", "(dev)"))
    message = str(failure.value)
    assert "definition.flow.duplicate" in message and "nothing was changed" in message
    assert "billing (billing.yaml) and billing-copy (billing-copy.yaml)" in message


@pytest.mark.parametrize(("stack", "label"), [("gc-dev", "(dev)"), ("gc-staging", "(staging)")])
def test_two_stacks_pass_their_own_names_references_and_externals(
    tmp_path: Path, stack: str, label: str
) -> None:
    folder = _folder(tmp_path)
    prepared = program.check_definitions(folder, _config(stack, label))
    _Captured.made = {}
    program.register(prepared, _Captured)  # type: ignore[arg-type]
    assert list(_Captured.made) == ["hold", "billing"]  # the in-queue flow first
    billing = _Captured.made["billing"]
    assert billing["name"] == f"Billing {label}"
    assert f"overrideInQueueFlow: {{name: Hold {label}}}" in billing["archy"]
    assert billing["reference_ids"] == {"hold": "id-of-hold"}
    assert billing["external"] == [{"type": "BOT", "name": "Team Bot"}]  # checked, never a resource
    assert _Captured.made["hold"]["name"] == f"Hold {label}" and _Captured.made["hold"]["external"] is None


def test_stack_substitution_values_are_written_as_yaml_scalars() -> None:
    parsed = config.parse(
        "gc-dev", {"platform": "genesys-cloud", "substitutions": {"on": True, "n": 3, "x": None}}
    )
    assert parsed.substitutions == {"on": "true", "n": "3", "x": "null"}


def test_a_protected_stack_registers_its_published_flows_with_pulumis_protect(tmp_path: Path) -> None:
    """protectPublished: a published flow is registered with `protect` (the engine then refuses its
    deletion and replacement, in preview too); one whose definition allows it, or a draft, is not."""
    folder = _folder(
        tmp_path, {"hold.yaml": "archy: hold.yaml.tftpl\nlifecycle_state: published\nallow_destroy: true\n"}
    )
    prepared = program.check_definitions(folder, _config("gc-prod", "(prod)"))
    for protect_published, expected in ((True, {"billing"}), (False, set())):
        _Captured.made = {}
        program.register(prepared, _Captured, protect_published=protect_published)  # type: ignore[arg-type]
        opts = {k: v["opts"] for k, v in _Captured.made.items()}
        assert {k for k, o in opts.items() if o is not None and o.protect} == expected
