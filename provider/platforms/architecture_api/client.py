"""The Architecture API client used by the provider, the program and the CLI.

Correct under faults and concurrency, with as few calls as possible:
- create: 1 POST (validated client-side first; after an ambiguous failure the flow is looked up by
  name and type before any resend, so a retry never duplicates it);
- update: 1 PATCH carrying the base `_version` and only the fields that differ from the base (no GET
  first); on a 409 `general.resource.conflict`: GET the latest flow, GET the base version, three-way
  merge, PATCH again (the base version is fetched once per update);
- delete: 1 DELETE.
Tokens, sessions and the rate-limit pacer are shared by every client of the process with the same
settings. Every request and mutation is reported to the `Recorder`.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator
from typing import Any, Literal
from urllib.parse import quote

from provider.domain.fields import FlowType, LifecycleState
from provider.domain.problems import Problem
from provider.errors import (
    ArchitectError,
    ConflictError,
    MergeConflictError,
    NotFoundError,
    ValidationError,
    error_from_response,
)
from provider.platforms.architecture_api.merge import three_way_merge
from provider.platforms.architecture_api.models import MUTABLE_FIELDS, Flow, FlowFields
from provider.platforms.architecture_api.rules import validate_flow
from provider.platforms.architecture_api.wire import (
    DependencyReport,
    FlowListing,
    VersionInfo,
    VersionListing,
)
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import ConflictEvent, MutationEvent, Recorder
from provider.platforms.http.requestor import Requestor
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings
from provider.platforms.http.transport import Send, send

log = logging.getLogger(__name__)

ConflictPolicy = Literal["merge", "overwrite", "fail"]
CONFLICT_POLICIES: tuple[ConflictPolicy, ...] = ("merge", "overwrite", "fail")

API = "/api/v2/architect"
T_FLOWS = API + "/flows"
T_FLOW = API + "/flows/{flowId}"
T_VERSIONS = API + "/flows/{flowId}/versions"
T_VERSION = API + "/flows/{flowId}/versions/{versionId}"
T_DEPENDENCIES = API + "/dependencytracking/object"

CODE_VERSION_CONFLICT = "general.resource.conflict"


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _flow_path(flow_id: str) -> str:
    return f"{API}/flows/{quote(str(flow_id), safe='')}"


class ArchitectClient:
    """A client of one organization's Architecture API (thread-safe; share one per settings)."""

    def __init__(
        self,
        settings: ConnectionSettings,
        *,
        retry: RetryPolicy | None = None,
        recorder: Recorder | None = None,
        conflict_policy: ConflictPolicy = "merge",
        pacing: bool = True,
        transport: Send = send,
        pool: ClientPool | None = None,
    ) -> None:
        if conflict_policy not in CONFLICT_POLICIES:
            raise ValueError(f"conflict_policy must be one of {', '.join(CONFLICT_POLICIES)}")
        self.settings = settings
        self.conflict_policy: ConflictPolicy = conflict_policy
        self._requestor = Requestor(
            settings, retry=retry, recorder=recorder, pacing=pacing, transport=transport, pool=pool
        )
        self.retry = self._requestor.retry
        self.recorder: Recorder = self._requestor.recorder
        self._call = self._requestor.call
        self._pages = self._requestor.pages
        self._safe = self._requestor.safe
        self._on_wait = self._requestor.on_wait
        self._pacer = self._requestor._pacer

    def __repr__(self) -> str:
        return f"ArchitectClient(api={self.settings.api_base_url!r}, client_id={self.settings.client_id!r})"

    # ------------------------------------------------------------------ reads

    def get_flow(self, flow_id: str) -> Flow:
        """The flow now. NotFoundError (404) / GoneError (410, deleted)."""
        out = self._call("GET", _flow_path(flow_id), T_FLOW)
        return Flow.model_validate(out.body)

    def get_flow_version(self, flow_id: str, version: int) -> Flow:
        """The whole flow as it was at `version`."""
        out = self._call("GET", f"{_flow_path(flow_id)}/versions/{int(version)}", T_VERSION)
        return Flow.model_validate(out.body)

    def list_versions(self, flow_id: str, *, page_size: int = 100) -> list[VersionInfo]:
        """The flow's versions, newest first (all pages)."""
        versions: list[VersionInfo] = []
        for body in self._pages(f"{_flow_path(flow_id)}/versions", T_VERSIONS, {"pageSize": page_size}):
            versions.extend(VersionListing.model_validate(body).entities)
        return versions

    def iter_flows(
        self,
        *,
        name: str | None = None,
        type: FlowType | str | None = None,
        lifecycle_state: LifecycleState | str | None = None,
        page_size: int = 100,
    ) -> Iterator[Flow]:
        """Live flows matching the filters, following the listing's pages (`nextUri`)."""
        params: dict[str, Any] = {"pageSize": max(1, min(500, page_size))}
        if name is not None:
            params["name"] = name
        if type is not None:
            params["type"] = str(type)
        if lifecycle_state is not None:
            params["lifecycle_state"] = str(lifecycle_state)
        for body in self._pages(T_FLOWS, T_FLOWS, params):
            yield from FlowListing.model_validate(body).entities

    def list_flows(
        self,
        *,
        name: str | None = None,
        type: FlowType | str | None = None,
        lifecycle_state: LifecycleState | str | None = None,
        page_size: int = 100,
    ) -> list[Flow]:
        return list(
            self.iter_flows(name=name, type=type, lifecycle_state=lifecycle_state, page_size=page_size)
        )

    def find_flow(self, name: str, type: FlowType | str) -> Flow | None:
        """The live flow with this name (case-insensitive) and type, or None. One GET."""
        wanted_type = str(type)
        wanted = name.casefold()
        for flow in self.iter_flows(name=name, type=wanted_type, page_size=25):
            if flow.name.casefold() == wanted and flow.type.value == wanted_type:
                return flow
        return None

    def dependencies(self, flow_id: str) -> DependencyReport:
        """What the flow consumes and what consumes it."""
        out = self._call(
            "GET",
            T_DEPENDENCIES,
            T_DEPENDENCIES,
            params={"id": flow_id, "consumedResources": "true", "consumingResources": "true"},
        )
        return DependencyReport.model_validate(out.body)

    # ------------------------------------------------------------------ writes

    def create_flow(self, fields: FlowFields) -> Flow:
        """Create a flow (validated first: `ValidationError` with every problem, nothing sent).

        After an ambiguous failure (the request may have been applied) the flow is looked up by name
        and type before resending; if it exists with our fields it is returned instead.
        """
        started = time.monotonic()
        problems = validate_flow(fields, flow=fields.name)
        if problems:
            self._reject(problems, action="create", flow_id=None, name=fields.name, base_version=None)
        body = fields.to_wire()

        def lookup() -> Flow | None:
            found = self.find_flow(fields.name, fields.type)
            if found is not None and _same_fields(found, body):
                log.info("create of %r: found it after an ambiguous failure (id %s)", fields.name, found.id)
                return found
            return None

        try:
            out = self._call(
                "POST", T_FLOWS, T_FLOWS, body=body, ok=(200, 201), handled=(409,), before_retry=lookup
            )
            if out.shortcut is not None:
                flow = out.shortcut
            elif out.status == 409:
                # After an ambiguous attempt the lookup may have run before that attempt's write was
                # committed; then the resend meets our own flow as a duplicate name: look once more.
                found = lookup() if out.ambiguous_before else None
                if found is None:
                    raise error_from_response(
                        409, out.body, method="POST", path=T_FLOWS, correlation_id=out.correlation_id
                    )
                flow = found
            else:
                flow = Flow.model_validate(out.body)
        except ArchitectError as exc:
            _name_problems(exc, fields.name)
            self._audit("create", None, fields.name, None, None, started, exc)
            raise
        self._audit("create", flow.id, flow.name, None, flow.version, started, None, out.correlation_id)
        return flow

    def update_flow(
        self,
        flow_id: str,
        desired: FlowFields,
        *,
        base: Flow,
        policy: ConflictPolicy | None = None,
    ) -> Flow:
        """Bring the flow to `desired`, starting from `base` (the flow as the writer last saw it).

        One PATCH with `_version = base.version` and only the fields that differ from `base`. When
        nothing differs, no call is made and `base` is returned unchanged. On a version conflict the
        latest flow and the base version are fetched and merged per field (`policy`, default the
        client's `conflict_policy`): `merge` raises `MergeConflictError` (nothing written) when both
        sides changed a field differently; `overwrite` sends ours for those fields (logged); `fail`
        raises `ConflictError` at once. Bounded by `RetryPolicy.max_conflict_rounds`.
        """
        policy = policy or self.conflict_policy
        if policy not in CONFLICT_POLICIES:
            raise ValueError(f"policy must be one of {', '.join(CONFLICT_POLICIES)}")
        started = time.monotonic()
        problems = validate_flow(desired, flow=desired.name, current=base)
        if problems:
            self._reject(
                problems, action="update", flow_id=flow_id, name=desired.name, base_version=base.version
            )
        ours_all = desired.to_wire()
        base_wire = base.to_fields().to_wire()
        ours = {f: ours_all[f] for f in MUTABLE_FIELDS if ours_all.get(f) != base_wire.get(f)}
        if not ours:
            return base
        update = _Update(flow_id, desired.name, base, base_wire, ours, policy, started)
        try:
            return self._patch_until_applied(update)
        except ArchitectError as exc:
            _name_problems(exc, desired.name)
            self._audit("update", flow_id, desired.name, base.version, None, started, exc)
            raise

    def _patch_until_applied(self, u: _Update) -> Flow:
        """PATCH; on each version conflict resolve it by the policy and PATCH again (bounded)."""
        path = _flow_path(u.flow_id)
        version, payload, rounds = u.base.version, dict(u.ours), 0
        while True:
            out = self._call("PATCH", path, T_FLOW, body={"_version": version, **payload}, handled=(409,))
            if out.status != 409:
                flow = Flow.model_validate(out.body)
                audit = (u.flow_id, flow.name, u.base.version, flow.version, u.started, None)
                self._audit("update", *audit, out.correlation_id)
                return flow
            error = error_from_response(
                409, out.body, method="PATCH", path=path, correlation_id=out.correlation_id
            )
            if error.code != CODE_VERSION_CONFLICT:
                raise error
            rounds += 1
            if rounds > self.retry.max_conflict_rounds:
                raise u.conflict(
                    f"kept changing underneath this update: gave up after {rounds - 1} merge rounds; "
                    "try again later",
                    out.correlation_id,
                )
            if u.policy == "fail" and not out.ambiguous_before:
                self._conflict_event(u.flow_id, "failed", {})
                raise u.conflict(
                    f"changed since version {version} and the conflict policy is 'fail': nothing was written",
                    out.correlation_id,
                    details=error.details,
                )
            latest = self.get_flow(u.flow_id)
            resolved = self._resolve(u, latest, out.correlation_id)
            if resolved is None:  # the latest flow already holds everything we wanted
                self._audit("update", u.flow_id, latest.name, u.base.version, latest.version, u.started, None)
                return latest
            version, payload = latest.version, resolved

    def _resolve(self, u: _Update, latest: Flow, correlation_id: str | None) -> dict[str, Any] | None:
        """What to PATCH onto `latest` after a version conflict (None: nothing left to send)."""
        theirs = latest.to_fields().to_wire()
        if u.policy == "fail":
            if all(theirs.get(f) == v for f, v in u.ours.items()):
                return None  # our own earlier (ambiguous) attempt went through; its replay conflicted
            self._conflict_event(u.flow_id, "failed", {f: theirs.get(f) for f in u.ours})
            raise u.conflict(
                f"changed since version {u.base.version} (now {latest.version}) and the conflict policy "
                "is 'fail': nothing was written",
                correlation_id,
            )
        result = three_way_merge(self._merge_base(u), theirs, u.ours, MUTABLE_FIELDS)
        if result.conflicts and u.policy == "merge":
            self._conflict_event(u.flow_id, "failed", dict(result.conflicts))
            listing = "; ".join(
                f"{name}: theirs={_short(t)}, ours={_short(o)}" for name, (t, o) in result.conflicts.items()
            )
            raise MergeConflictError(
                f"flow {u.name!r} ({u.flow_id}) was changed by someone else since version "
                f"{u.base.version} (now {latest.version}), and both sides changed "
                f"{', '.join(result.conflicts)}: {listing}. Nothing was written; update the "
                f"definition or use the 'overwrite' conflict policy to keep ours",
                fields=dict(result.conflicts),
                status=409,
                code=CODE_VERSION_CONFLICT,
                correlation_id=correlation_id,
            )
        if result.conflicts:
            log.warning(
                "flow %r (%s): overwriting fields changed by someone else since version %s: %s",
                u.name,
                u.flow_id,
                u.base.version,
                ", ".join(result.conflicts),
            )
            self._conflict_event(u.flow_id, "overwritten", dict(result.conflicts))
            return result.resolved_with_ours() or None
        self._conflict_event(
            u.flow_id, "merged", {"ours": result.ours_changed, "theirs": result.theirs_changed}
        )
        return dict(result.to_send) or None

    def _merge_base(self, u: _Update) -> dict[str, Any]:
        """The base version as the server kept it, fetched once per update (else the state's copy)."""
        if u.merge_base is None:
            try:
                u.merge_base = self.get_flow_version(u.flow_id, u.base.version).to_fields().to_wire()
            except NotFoundError:
                log.warning(
                    "version %s of flow %s is gone; merging against the state copy", u.base.version, u.flow_id
                )
                u.merge_base = u.base_wire
        return u.merge_base

    def delete_flow(self, flow_id: str, *, version: int | None = None, name: str | None = None) -> None:
        """Delete (soft) the flow; `version` is an optional precondition.

        404/410 raise NotFoundError/GoneError (the caller decides whether that is success), except a
        410 answering the replay of an attempt that failed ambiguously, which is our own delete.
        In use: ConflictError whose `consumers` lists the dependent flows.
        """
        started = time.monotonic()
        path = _flow_path(flow_id)
        params = {"version": int(version)} if version is not None else None
        try:
            out = self._call("DELETE", path, T_FLOW, params=params, ok=(200, 204), handled=(410,))
            if out.status == 410:
                if not out.ambiguous_before:
                    raise error_from_response(
                        410, out.body, method="DELETE", path=path, correlation_id=out.correlation_id
                    )
                log.info("delete of %s: the retried request found it deleted by the first attempt", flow_id)
        except ArchitectError as exc:
            self._audit("delete", flow_id, name, version, None, started, exc)
            raise
        self._audit("delete", flow_id, name, version, None, started, None, out.correlation_id)

    # ------------------------------------------------------------------ internals

    def _reject(
        self,
        problems: list[Problem],
        *,
        action: Literal["create", "update"],
        flow_id: str | None,
        name: str,
        base_version: int | None,
    ) -> None:
        for problem in problems:
            self._safe(self.recorder.on_validation_problem, problem)
        error = ValidationError(
            f"flow {name!r} is invalid ({len(problems)} problem(s)); nothing was sent",
            problems=problems,
            code="payload.or.params.invalid",
        )
        self._audit(action, flow_id, name, base_version, None, time.monotonic(), error)
        raise error

    def _conflict_event(self, flow_id: str, resolution: Any, fields: dict[str, Any]) -> None:
        self._safe(
            self.recorder.on_conflict, ConflictEvent(flow_id=flow_id, resolution=resolution, fields=fields)
        )

    def _audit(
        self,
        action: Literal["create", "update", "delete"],
        flow_id: str | None,
        name: str | None,
        before: int | None,
        after: int | None,
        started: float,
        error: ArchitectError | None,
        correlation_id: str | None = None,
    ) -> None:
        self._safe(
            self.recorder.on_mutation,
            MutationEvent(
                action=action,
                flow_id=flow_id,
                flow_name=name,
                version_before=before,
                version_after=after,
                outcome="failure" if error is not None else "success",
                error_code=(error.code or type(error).__name__) if error is not None else None,
                correlation_id=error.correlation_id if error is not None else correlation_id,
                latency_s=time.monotonic() - started,
                client_id=self.settings.client_id,
            ),
        )


@dataclasses.dataclass
class _Update:
    """One `update_flow` in progress: what we send, from which base, under which policy."""

    flow_id: str
    name: str
    base: Flow
    base_wire: dict[str, Any]
    ours: dict[str, Any]
    policy: ConflictPolicy
    started: float
    merge_base: dict[str, Any] | None = None

    def conflict(self, what: str, correlation_id: str | None, **kwargs: Any) -> ConflictError:
        return ConflictError(
            f"flow {self.name!r} ({self.flow_id}) {what}",
            status=409,
            code=CODE_VERSION_CONFLICT,
            correlation_id=correlation_id,
            **kwargs,
        )


def _name_problems(exc: ArchitectError, flow_name: str) -> None:
    """Server-side problems carry no flow name: fill it in from the flow we sent."""
    if isinstance(exc, ValidationError):
        exc.problems = [p if p.flow else dataclasses.replace(p, flow=flow_name) for p in exc.problems]


def _same_fields(found: Flow, wire: dict[str, Any]) -> bool:
    theirs = found.to_fields().to_wire()
    for name, value in wire.items():
        if name == "name":
            if str(theirs.get("name", "")).casefold() != str(value).casefold():
                return False
        elif theirs.get(name) != value:
            return False
    return True
