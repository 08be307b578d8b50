"""A definition's own `substitutions:` merged over the stack's (the minimal acceptance the CX-as-Code
migration writes; provider/platforms/genesys_cloud/loading.py)."""

from __future__ import annotations

from pathlib import Path

import yaml

from provider.platforms.genesys_cloud.loading import prepare_archy

ARCHY = (
    'inboundCall:\n  name: "{{flow_name}}"\n'
    '  description: "unlock {{force_unlock}}"\n  defaultLanguage: en-us\n'
)


def _folder(tmp_path: Path, substitutions: object) -> Path:
    (tmp_path / "main.archy.yaml").write_text(ARCHY)
    definition = {"archy": "main.archy.yaml", "lifecycle_state": "published", "substitutions": substitutions}
    (tmp_path / "main.yaml").write_text(yaml.safe_dump(definition))
    return tmp_path


def test_own_values_win_use_the_stacks_placeholders_and_render_as_yaml(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"flow_name": "Billing {{env_label}}", "force_unlock": True})
    prepared = prepare_archy(folder, {"env_label": "(dev)", "flow_name": "stack's", "force_unlock": "no"})
    assert prepared.ok, prepared.problems
    definition = prepared.definitions["main"]
    assert definition.name == "Billing (dev)"
    assert definition.description == "unlock true"


def test_an_unknown_placeholder_in_a_value_and_a_bad_map_are_problems(tmp_path: Path) -> None:
    prepared = prepare_archy(_folder(tmp_path, {"flow_name": "X {{nope}}", "force_unlock": "a"}), {})
    assert [(p.flow, p.field, p.rule) for p in prepared.problems] == [
        ("main", "substitutions.flow_name", "definition.placeholder.unknown")
    ]
    prepared = prepare_archy(_folder(tmp_path, ["flow_name"]), {})
    assert ("main", "substitutions") in [(p.flow, p.field) for p in prepared.problems]
    prepared = prepare_archy(_folder(tmp_path, {"flow_name": {"nested": 1}, "force_unlock": "a"}), {})
    assert ("main", "substitutions.flow_name") in [(p.flow, p.field) for p in prepared.problems]
