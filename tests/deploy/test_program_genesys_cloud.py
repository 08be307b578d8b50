"""The program's pre-check of genesys-cloud definitions without the engine: each broken Archy set
of tests/support/bad_archy.py is refused naming its flow, field and rule, with nothing deployed (the
engine test runs several of them together in one preview)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pulumi
import pytest
import yaml

from provider.deploy import config, program
from tests.support.bad_archy import BAD_INPUTS, ENGINE_CASES, cycle

PROJECT = Path(__file__).resolve().parents[2]
STACK = "gc-dev"


def _stack_config() -> config.StackConfig:
    raw = yaml.safe_load((PROJECT / "stacks" / f"Pulumi.{STACK}.yaml").read_text())["config"]
    values = {k.split(":", 1)[1]: v for k, v in raw.items() if k.split(":", 1)[1] != "clientSecret"}
    return config.parse(STACK, values)


def _refusal(tmp_path: Path, cases: list[str]) -> str:
    folder = tmp_path / "genesys-cloud"
    shutil.copytree(PROJECT / "flows" / "genesys-cloud", folder)
    for case in cases:
        BAD_INPUTS[case][0](folder)
    with pytest.raises(pulumi.RunError) as failure:
        program.check_definitions(folder, _stack_config())
    return str(failure.value)


def _named(message: str, case: str) -> bool:
    _, flow, field, rule = BAD_INPUTS[case]
    lines = [line for line in message.splitlines() if f"flow '{flow}'" in line and rule in line]
    return bool(lines) and field in lines[0]


def test_the_sample_passes(tmp_path: Path) -> None:
    prepared = program.check_definitions(PROJECT / "flows" / "genesys-cloud", _stack_config())
    assert len(prepared.order) >= 4


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_each_broken_archy_set_is_refused_naming_flow_field_and_rule(case: str, tmp_path: Path) -> None:
    message = _refusal(tmp_path, [case])
    assert "stack gc-dev" in message and "nothing was changed" in message
    assert _named(message, case), message


def test_the_engine_cases_are_reported_together(tmp_path: Path) -> None:
    message = _refusal(tmp_path, list(ENGINE_CASES))
    assert all(_named(message, case) for case in ENGINE_CASES), message


def test_a_cycle_of_common_modules_passes_with_its_closing_reference_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "genesys-cloud"
    shutil.copytree(PROJECT / "flows" / "genesys-cloud", folder)
    cycle(folder)
    prepared = program.check_definitions(folder, _stack_config())
    assert prepared.cycles == [["business-hours", "verify-caller", "business-hours"]]
    assert prepared.by_name == {"verify-caller": ["business-hours"]}
    order = prepared.order
    assert order.index("verify-caller") < order.index("business-hours")  # the by-name holder first
    # Every other reference keeps its id dependency: the flows using verify-caller come after it.
    users = [k for k, d in prepared.definitions.items() if "verify-caller" in d.references]
    assert users and all(order.index(u) > order.index("verify-caller") for u in users)
