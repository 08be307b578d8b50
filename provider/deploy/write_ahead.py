"""The provider's one write-ahead protocol: `recorded(...)` opens the durable intent before a platform
write (an audit trail that cannot take it refuses the write: nothing is touched), runs the write, and
records its outcome: success (with the revision it left and a digest of what it sent) when the body
says so, else from the exception — `unknown` when the write may have been applied (no answer, a 5xx,
a crash of ours), `failure` when the server said no. The exception then leaves as the provider's
message (`provider_errors`). See provider/governance/intents.py for the journal's rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from provider.deploy import adoption
from provider.deploy.inputs import FlowProviderError
from provider.deploy.provider_errors import Attempt, translated
from provider.domain.document import FlowDocument
from provider.governance import telemetry
from provider.governance.intents import Action, Intent, IntentJournal, Outcome, outcome_of
from provider.platforms.base import LiveFlow, write_step


@dataclass
class Write:
    """One recorded write: the body says how it ended (`succeeded`, `finish`); an exception that
    escapes it is recorded by `recorded`."""

    journal: IntentJournal
    intent: Intent
    document: FlowDocument | None
    ids: Mapping[str, str] = field(default_factory=dict)
    flow_id: str | None = None
    finished: bool = False
    allow_destroy: bool = False

    def succeeded(self, flow: LiveFlow | None = None) -> None:
        """The write succeeded (a create or update: `flow`, the flow it left)."""
        if flow is not None and self.document is not None:
            adoption.finish_success(
                self.journal, self.intent, flow, self.document, self.ids, allow_destroy=self.allow_destroy
            )
        else:
            self.journal.finish(self.intent, "success", flow_id=self.flow_id)
        self.finished = True

    def step(self, step: str, flow_id: str, revision: str) -> None:
        """An intermediate step the platform reports (`provider.platforms.base.report_step`)."""
        written = adoption.digest(self.document, self.ids) if self.document is not None else None
        self.journal.step(self.intent, step, flow_id=flow_id, revision=revision, digest=written)

    def finish(self, outcome: Outcome) -> None:
        """An outcome the body decided (e.g. `failure` before it raises its own message)."""
        self.journal.finish(self.intent, outcome, flow_id=self.flow_id)
        self.finished = True


@contextmanager
def recorded(
    journal: IntentJournal,
    attempt: Attempt,
    document: FlowDocument | None,
    ids: Mapping[str, str] | None = None,
    *,
    name: str = "",
    type_: str = "",
    allow_destroy: bool = False,
) -> Iterator[Write]:
    """The write of `attempt` (create, update, delete) under a durable intent, in the flow's
    telemetry context; see the module docstring."""
    action: Action = attempt.action  # type: ignore[assignment]
    flow_id = attempt.flow_id or None
    with telemetry.flow_context(attempt.key), translated(attempt):
        intent = adoption.begin(
            journal, action, attempt.key, document, name=name, type_=type_, flow_id=flow_id
        )
        write = Write(journal, intent, document, dict(ids or {}), flow_id, allow_destroy=allow_destroy)
        token = write_step.set(write.step)
        try:
            yield write
        except FlowProviderError:
            if not write.finished:
                write.finish("failure")
            raise
        except BaseException as exc:
            if not write.finished:
                write.finish(outcome_of(exc))
            raise
        finally:
            write_step.reset(token)
        if not write.finished:
            write.succeeded()
