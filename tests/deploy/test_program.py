"""The program's pre-check without the engine: every bad definition set fails with its flow, field
and rule named, before any resource (the engine cases in tests/e2e keep one per class of error)."""

from __future__ import annotations

import re
from pathlib import Path

import pulumi
import pytest

from provider.deploy import config, program
from tests.support.bad_definitions import BAD_SETS, CHECKED_BY_THE_PROVIDER
from tests.support.project import write_flow


@pytest.mark.parametrize("case", sorted(set(BAD_SETS) - CHECKED_BY_THE_PROVIDER))
def test_each_bad_definition_set_is_refused_naming_flow_field_and_rule(case: str, tmp_path: Path):
    flows, expected = BAD_SETS[case]
    (tmp_path / "flows").mkdir()
    for key, definition in flows.items():
        write_flow(tmp_path, key, definition)
    with pytest.raises(pulumi.RunError) as failure:
        # the tutorial's samples: the Architecture API, named explicitly
        program.check_definitions(tmp_path / "flows", config.parse("dev", {"platform": "architecture-api"}))
    message = str(failure.value)
    assert "stack dev" in message and "nothing was changed" in message
    for flow, field, rule in expected:
        assert re.search(rf"\b{re.escape(flow)}\b", message), message
        assert field in message and rule in message, message


def test_the_sample_set_passes(tmp_path: Path):
    flows = Path(__file__).resolve().parents[2] / "flows"
    subs = {"brand": "Acme", "env_label": "Dev", "billing_queue": "B", "support_queue": "S"}
    tutorial = config.parse("dev", {"platform": "architecture-api", "substitutions": subs})
    prepared = program.check_definitions(flows, tutorial)
    assert len(prepared.order) >= 6


@pytest.mark.parametrize("case", sorted(CHECKED_BY_THE_PROVIDER))
def test_what_only_the_state_decides_passes_the_pre_check(case: str, tmp_path: Path):
    """The platform's rules run here too (the unsupported types): a create-only rule must not refuse
    an archived definition, which the provider's check decides against the state."""
    flows, _ = BAD_SETS[case]
    (tmp_path / "flows").mkdir()
    for key, definition in flows.items():
        write_flow(tmp_path, key, definition)
    stack = config.parse("dev", {"platform": "architecture-api"})
    prepared = program.check_definitions(tmp_path / "flows", stack)
    assert prepared.order == sorted(flows)
