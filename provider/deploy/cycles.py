"""Cycles of flows on a platform whose references bind by name (genesys-cloud): deployable, journaled.

The pre-check names every cycle (`PreparedSet.cycles`) and chooses, deterministically, the references
that close them (`provider.domain.graph.closing_edges`). The program passes those by name
(`referencesByName`: key → the target's name and type), not as the target's id Output, so Pulumi's
graph stays acyclic: the flow holding a closing reference is created before its target.

- Create/update (`bind`): each by-name target is looked up by name and type. When it does not exist
  yet, a stub of it is created first, under a create intent for the *target's* key (written ahead,
  its outcome records the stub's id): the target's own create then meets "already exists", finds
  that intent (`IntentJournal.adoptable`) and adopts the stub, publishing its real content over it
  (same id: every flow bound to the stub stays bound). When the target changes type, this stack's
  flow of the old type is renamed aside first (as a type change does), so the name binds to the
  stub of the new type, and the holder's job runs again (`Bound.previous`).
- Delete (`delete`): a member of a cycle is used by another member, and the platform refuses to
  delete a flow in use (409 `…used.in.flows`). When every flow still using it is this stack's (its
  definition is gone too, or the pre-check would have refused the set), an empty version of each is
  published first (no reference), journaled as an update of that flow, and logged; then the delete
  is retried. Those flows are deleted next in the same run (Pulumi deletes them after this one); a
  run stopped in between leaves them published empty, and says so. Every user is checked before
  any is cut: on a protectPublished stack a published one whose last deploy did not say
  `allow_destroy: true` (the journal records it) refuses the delete, naming both flows and the
  setting. A cut publishes from this stack's last write of the user, under the stack's conflict
  policy, as an update does (fail: someone else's version refuses it; overwrite: audited).
- A holder's `bind` never renames aside, for its target's type change, a published flow of a
  protectPublished stack unless the target's definition allows it (`allowDestroy` in the by-name
  spec): the target's own check refuses the change, but may run after the holder's write.

A kill -9 anywhere: an open stub intent still makes the stub adoptable, a stub found by name is not
created twice, a cut flow's revision is this stack's own write (the journal records it).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from provider.deploy import adoption
from provider.deploy.inputs import INFERRED_KEY, FlowProviderError
from provider.deploy.protection import ALLOW_DESTROY, SETTING
from provider.domain.document import FlowDocument
from provider.domain.loading import FlowDefinition, PreparedSet
from provider.errors import ArchitectError, ConflictError
from provider.governance.intents import IntentJournal, Write, outcome_of
from provider.platforms.base import ConflictPolicy, CycleStubs, LiveFlow, Platform

log = logging.getLogger(__name__)

#: Journal steps (`intent_step`) of the two writes; the digest a stub's outcome records (it never
#: equals a definition's, so the adopting create always publishes the real content).
STEP_STUB = "stub_created"
STEP_CUT = "cycle_cut"
STUB_DIGEST = "stub"


def target(definition: FlowDefinition) -> dict[str, str]:
    """What a by-name reference records of its target: enough to find it (or stub it) by name, and
    whether its definition allows destroying it (a type change renames its old flow aside)."""
    found = {"name": definition.name, "type": str(definition.type)}
    if getattr(definition, "allow_destroy", False):
        found[ALLOW_DESTROY] = "true"
    return found


def announce(prepared: PreparedSet) -> None:
    """Each cycle, named with its path and the references that close it (info, not a problem)."""
    if not prepared.cycles:
        return
    import pulumi

    closing = ", ".join(f"{k} → {t}" for k, ts in sorted(prepared.by_name.items()) for t in ts)
    for note in prepared.notes:  # flow, the field of its edge (the Archy path), the cycle's path
        pulumi.log.info(f"{note}: deployable on this platform (a stub first)")
    pulumi.log.info(f"{len(prepared.cycles)} reference cycle(s); bound by name (no id dependency): {closing}")


@dataclass
class Bound:
    """The by-name targets' flow ids now, and before (an id differs where the target was replaced:
    a type change; the holder must then be deployed again so that its name binds to the new flow)."""

    ids: dict[str, str] = field(default_factory=dict)
    previous: dict[str, str] = field(default_factory=dict)


def recorded(outs: dict[str, Any], bound: Bound) -> dict[str, Any]:
    """The outputs with the ids the by-name references were bound to (for the next update)."""
    from provider.deploy.inputs import BY_NAME_IDS_KEY

    if bound.ids:
        outs[BY_NAME_IDS_KEY] = dict(sorted(bound.ids.items()))
    return outs


def previous(olds: Mapping[str, Any], bound: Bound) -> dict[str, str]:
    """The ids the holder was bound to before this update: what its last write recorded (a run
    killed between a stub and the holder's job left the holder on the replaced flow), else what
    `bind` found."""
    from provider.deploy.inputs import BY_NAME_IDS_KEY

    before = olds.get(BY_NAME_IDS_KEY)
    before = before if isinstance(before, Mapping) else {}
    return {t: str(before.get(t) or bound.previous[t]) for t in bound.ids}


def by_name_of(props: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    from provider.deploy.inputs import BY_NAME_KEY

    value = props.get(BY_NAME_KEY) or {}
    return {str(k): dict(v) for k, v in value.items()} if isinstance(value, Mapping) else {}


def bind(
    platform: Platform,
    journal: IntentJournal,
    key: str,
    by_name: Mapping[str, Mapping[str, str]],
    guard: Guard | None = None,
) -> Bound:
    """Every by-name target of flow `key` made to exist (a journaled stub when it does not)."""
    bound = Bound()
    for target_key, spec in sorted(by_name.items()):
        name, type_ = spec["name"], spec["type"]
        try:
            live = platform.find(name, type_)
        except ArchitectError as exc:
            raise FlowProviderError(
                f"flow {key!r}: looking up {target_key!r} ({name!r}) failed: {exc}"
            ) from None
        if live is not None:
            bound.ids[target_key] = bound.previous[target_key] = live.id
            continue
        if not isinstance(platform, CycleStubs):
            raise FlowProviderError(
                f"flow {key!r}: platform {platform.name} cannot bind {target_key!r} by name"
            )
        written = journal.written(flow_key=target_key)
        if guard is not None and spec.get(ALLOW_DESTROY) != "true":
            _refuse_set_aside(platform, key, target_key, type_, written, guard)
        replaced = _set_aside(platform, key, target_key, name, type_, written)
        stub = _stub(platform, journal, key, target_key, name, type_)
        bound.ids[target_key] = stub.id
        bound.previous[target_key] = replaced or stub.id
    return bound


def _refuse_set_aside(
    platform: Platform, key: str, target_key: str, type_: str, written: list[str], guard: Guard
) -> None:
    """On a protectPublished stack, the holder does not rename aside a published flow of the target
    (a type change replaces it: its own check refuses that, but may run after the holder's write)."""
    if not guard.protect_published:
        return
    for old_id in written:
        live = platform_read(platform, old_id)
        if live is not None and live.type != type_ and live.lifecycle_state == "published":
            raise FlowProviderError(
                f"flow {key!r}: not deployed: it uses {target_key!r} by name, whose type changes "
                f"({live.type} → {type_}), which replaces the published flow {live.name!r}: stack "
                f"{guard.stack} has {SETTING}: true; nothing was changed. To go ahead, set "
                f"`allow_destroy: true` in {target_key!r}'s definition, or set {SETTING} to false"
            )


def _set_aside(
    platform: Platform, key: str, target_key: str, name: str, type_: str, written: list[str]
) -> str | None:
    """This stack's flow of `target_key` renamed aside when it holds the name with another type."""
    document = FlowDocument(key=target_key, name=name, type=type_, lifecycle_state="published", archy="")
    moved = None
    for old_id in written:
        try:
            if platform.set_aside(old_id, document):
                moved = old_id
        except ArchitectError as exc:
            raise FlowProviderError(f"flow {key!r}: {exc}") from None
    return moved


def _stub(
    platform: CycleStubs, journal: IntentJournal, key: str, target_key: str, name: str, type_: str
) -> LiveFlow:
    """The stub of `target_key`, under a create intent for that key (written ahead)."""
    intent = adoption.begin(journal, "create", target_key, None, name=name, type_=type_)
    try:
        stub = platform.create_stub(name, type_)
    except BaseException as exc:
        journal.finish(intent, outcome_of(exc))
        if isinstance(exc, ArchitectError):
            raise FlowProviderError(
                f"flow {key!r}: it closes a cycle by name, and the stub of {target_key!r} ({type_} "
                f"{name!r}) could not be created: {exc}"
            ) from None
        raise
    journal.step(intent, STEP_STUB, flow_id=stub.id, revision=stub.revision)
    journal.finish(intent, "success", flow_id=stub.id, revision=stub.revision or None, digest=STUB_DIGEST)
    log.warning(
        "flow %s closes a cycle by name: created a stub of %s (%s %r, %s); its create publishes its content",
        key,
        target_key,
        type_,
        name,
        stub.id,
    )
    return stub


@dataclass(frozen=True)
class Guard:
    """What a cycle's writes on other flows must respect: the stack's protectPublished and conflict
    policy (a cut publishes over a flow, as an update does)."""

    stack: str = ""
    protect_published: bool = False
    policy: ConflictPolicy = "fail"


def delete(
    platform: Platform, journal: IntentJournal, key: str, flow_id: str, name: str, guard: Guard = Guard()
) -> None:
    """Delete the flow; when members of its cycle still use it, publish them empty first (each
    checked before any of them is: protected, a cut is refused; see `_refuse_protected`)."""
    try:
        platform.delete(flow_id, name=name)
        return
    except ConflictError as exc:
        users = [d.entityId for d in exc.details if d.entityId]
        owners = [journal.owner_of(u) for u in users]
        if not isinstance(platform, CycleStubs) or "used.in" not in (exc.code or "") or not users:
            raise
        if any(o is None for o in owners):
            raise
    to_cut = [o for o in owners if o is not None]
    _refuse_protected(platform, key, to_cut, guard)
    cut: list[str] = []
    for owner in to_cut:
        _cut(platform, journal, key, owner, guard.policy)
        cut.append(owner.flow_key)
    try:
        platform.delete(flow_id, name=name)
    except ArchitectError as exc:
        raise FlowProviderError(
            f"flow {key!r}: not deleted: {exc}. The flows of its cycle that used it ({', '.join(cut)}) "
            "were published empty first and are still there: run the delete again"
        ) from None


def _refuse_protected(platform: Platform, key: str, owners: list[Write], guard: Guard) -> None:
    """Before any cut: on a protectPublished stack, a user that is published and whose last deploy
    did not say `allow_destroy: true` (the journal records it) is not published empty."""
    if not guard.protect_published:
        return
    for owner in owners:
        live = platform_read(platform, owner.flow_id)
        if owner.allow_destroy or live is None or live.lifecycle_state != "published":
            continue
        raise FlowProviderError(
            f"flow {key!r}: not deleted: {owner.flow_key!r} ({live.name!r}) uses it (they use each other), "
            f"and deleting {key!r} would first publish an empty version of {owner.flow_key!r}, a published "
            f"flow: stack {guard.stack} has {SETTING}: true; nothing was changed. To go ahead, set "
            f"`allow_destroy: true` in {owner.flow_key!r}'s definition and deploy it first, or set "
            f"{SETTING} to false"
        )


def _cut(
    platform: CycleStubs, journal: IntentJournal, key: str, owner: Write, policy: ConflictPolicy
) -> None:
    """Publish an empty version of `owner` (it uses `key`, which is being deleted), journaled; from
    the revision this stack last wrote (the conflict policy decides when someone else published)."""
    user_key, user_id = owner.flow_key, owner.flow_id
    live = platform_read(platform, user_id)
    intent = adoption.begin(
        journal,
        "update",
        user_key,
        None,
        name=live.name if live else "",
        type_=live.type if live else "",
        flow_id=user_id,
    )
    try:
        derived = {INFERRED_KEY: owner.revision_inferred} if owner.revision_inferred else {}
        after = platform.publish_stub(
            user_id, base_revision=owner.revision, policy=policy, base_extra=derived
        )
    except BaseException as exc:
        journal.finish(intent, outcome_of(exc), flow_id=user_id)
        if isinstance(exc, ArchitectError):
            raise FlowProviderError(
                f"flow {key!r}: not deleted: {user_key!r} uses it (they use each other), and publishing "
                f"an empty version of {user_key!r} first failed: {exc}"
            ) from None
        raise
    if after is not None:
        journal.step(intent, STEP_CUT, flow_id=user_id, revision=after.revision)
    revision = after.revision if after is not None else None
    journal.finish(
        intent,
        "success",
        flow_id=user_id,
        revision=revision or None,
        digest=STUB_DIGEST,
        allow_destroy=owner.allow_destroy,
    )
    log.warning(
        "flow %s is used by %s (%s) of its cycle: published an empty version of %s first (no reference) "
        "so that %s can be deleted; %s is deleted next in this run (a run deleting only some flows, "
        "`--target`, leaves it published empty until its next deploy after a refresh)",
        key,
        user_key,
        user_id,
        user_key,
        key,
        user_key,
    )


def platform_read(platform: Any, flow_id: str) -> LiveFlow | None:
    try:
        found: LiveFlow | None = platform.read(flow_id)
        return found
    except ArchitectError:
        return None
