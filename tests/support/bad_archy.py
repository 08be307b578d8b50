"""Broken Archy definition sets of the genesys-cloud sample (flows/genesys-cloud): each `BAD_INPUTS`
case edits a copy of the folder and names the (flow, field, rule) the pre-check must report. Every
case is checked without the engine (tests/deploy/test_program_genesys_cloud.py); the engine test
(tests/e2e/genesys_cloud/test_gc_engine.py) runs `ENGINE_CASES` together in one preview."""

from __future__ import annotations

from pathlib import Path


def _unparseable(folder: Path) -> None:
    (folder / "verify-caller.archy.yaml").write_text("commonModule: [unclosed\n")


def _unknown_reference(folder: Path) -> None:
    path = folder / "verify-caller.archy.yaml"
    path.write_text(path.read_text().replace("name: Verify Caller", "name: Verify The Caller"))


def cycle(folder: Path) -> None:
    """Two common modules calling each other: deployable on this platform (tests/deploy)."""
    path = folder / "verify-caller.archy.yaml"
    call = (
        "        actions:\n          - callCommonModule:\n              commonModule:\n"
        "                Business Hours {{env_label}}: {}\n"
    )
    module = (
        "commonModule:\n  name: Business Hours {{env_label}}\n  states:\n    - state:\n        name: S\n"
        + call.replace("Business Hours", "Verify Caller")
    )
    path.write_text(
        "commonModule:\n  name: Verify Caller {{env_label}}\n  states:\n    - state:\n"
        "        name: S\n" + call
    )
    (folder / "business-hours.archy.yaml").write_text(module)


def _self_reference(folder: Path) -> None:
    path = folder / "verify-caller.archy.yaml"
    call = (
        "        actions:\n          - callCommonModule:\n              commonModule:\n"
        "                Verify Caller {{env_label}}: {}\n"
    )
    path.write_text(
        "commonModule:\n  name: Verify Caller {{env_label}}\n  states:\n    - state:\n"
        "        name: S\n" + call
    )


def _draft_used(folder: Path) -> None:
    (folder / "verify-caller.yaml").write_text("archy: verify-caller.archy.yaml\nlifecycle_state: draft\n")


def _type_mismatch(folder: Path) -> None:
    (folder / "verify-caller.yaml").write_text(
        "archy: verify-caller.archy.yaml\nlifecycle_state: published\ntype: INBOUNDCALL\n"
    )


def _archived(folder: Path) -> None:
    (folder / "holiday-line.yaml").write_text("archy: holiday-line.archy.yaml\nlifecycle_state: archived\n")


def _blocks(folder: Path) -> None:
    (folder / "holiday-line.yaml").write_text(
        "archy: holiday-line.archy.yaml\nlifecycle_state: draft\nblocks: [{id: a, type: menu}]\n"
    )


#: case -> (the edit of the flows folder, flow key, field, rule)
BAD_INPUTS = {
    "unparseable": (_unparseable, "verify-caller", "archy", "archy.document.invalid"),
    "unknown-reference": (_unknown_reference, "billing-line", "callCommonModule", "reference.unknown"),
    # A cycle of two flows is deployable on this platform (stubs first); a flow using itself is not.
    "self-reference": (
        _self_reference,
        "verify-caller",
        "archy: commonModule.states[0].state.actions[0].callCommonModule",
        "reference.unknown",
    ),
    "draft-used-by-published": (_draft_used, "billing-line", "references[0]", "reference.unpublished"),
    "type-mismatch": (_type_mismatch, "verify-caller", "type", "archy.type.mismatch"),
    "archived": (_archived, "holiday-line", "lifecycle_state", "archived.unsupported"),
    "blocks-on-this-platform": (_blocks, "holiday-line", "blocks", "definition.blocks.platform"),
}

#: Edits of different flows, together in one engine preview: the Archy parser's refusal and a rule of
#: this platform on the definition file.
ENGINE_CASES = ("unparseable", "archived")
