"""The vocabulary of problems every loader, check and platform reports: `Problem` (one broken rule,
naming flow, field and rule) and the rule ids (the contracts' errorCodes) that more than one module
uses. The checks every platform shares are in provider/domain/checks.py, the Architecture API's own
rules in provider/platforms/architecture_api/rules.py."""

from __future__ import annotations

from dataclasses import dataclass

RULE_REQUIRED = "architect.flow.field.required"
RULE_INVALID = "architect.flow.field.invalid"
RULE_IMMUTABLE = "architect.flow.field.immutable"
RULE_BLOCK_DUPLICATE = "architect.flow.block.id.duplicate"
RULE_BLOCK_LIMIT = "architect.flow.block.limit"
RULE_UNDECLARED = "architect.flow.reference.undeclared"
RULE_UNKNOWN = "architect.flow.reference.unknown"
RULE_CYCLE = "architect.flow.reference.cycle"
RULE_UNPUBLISHED = "architect.flow.reference.unpublished"
RULE_TRANSITION = "architect.flow.lifecycle.transition.invalid"
RULE_BAD_REQUEST = "bad.request"


@dataclass(frozen=True)
class Problem:
    """One broken rule: which flow, which field (a path like `blocks[0].children[1].id`), which rule
    (the contract's errorCode) and a message a person can act on."""

    flow: str
    field: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"flow {self.flow!r}: field {self.field!r}: {self.rule}: {self.message}"
