"""The Pulumi dynamic provider for Architect flows, and the `Flow` resource the program registers.

`FlowProvider` and `Flow` (module `provider.deploy.resource`, resource type
`pulumi-python:dynamic/architect:Flow`) are recorded in every stack's state: keep the names stable.

Inputs of a `Flow` (what `check` returns and the state keeps; their shapes: provider/deploy/inputs.py):

    name, description, type, lifecycle_state     the definition's fields
    references                                   logical keys of the flows it uses
    blocks                                       the block tree; block `reference`s are logical keys
    archy                                        genesys-cloud: the Archy YAML text (substituted;
                                                 diffed as text, so a preview shows the change)
    referenceIds                                 logical key → flow id (each the referenced Flow's id
                                                 Output, so Pulumi orders creates, updates, deletes)
    referencesByName                             genesys-cloud, a flow closing a cycle: key → the
                                                 target's name and type (bound by name, stubbed
                                                 first: provider/deploy/cycles.py)
    flowKey                                      the definition's key (for messages; never diffed)
    allowDestroy                                 `allow_destroy: true` in the definition (absent when
                                                 false): a protectPublished stack may unpublish or
                                                 delete it (provider/deploy/protection.py)
    destructiveChange                            added by `check` to an unpublish, in words (so the
                                                 preview shows it); never diffed

No connection and no secret is an input: the provider takes the connection from the stack config the
engine hands `configure`, and the stack's name from the (pickled, plaintext) provider instance. States
written before kept a `__connection` input per flow: it is ignored when present, never diffed, and
dropped from the flow's inputs and outputs on its next write or refresh.

Outputs: only what diff, update, read and delete need (the engine hands them the previous outputs,
and checkpoints every resource's inputs and outputs, so every byte counts per flow per checkpoint;
the list and why each key stays: `provider.deploy.inputs.outputs`): the inputs without their content,
which a sha256 stands for (`blocksSha256`, `archyTextSha256`), plus `flowId`, `version` (the flow's
`_version`, or the genesys-cloud version pointers), `lifecycleState`, `dateModified` and `selfUri`.
After a create or an update the managed fields in the outputs are the ones we asked for (so a field
someone else changed and the merge kept does not show as a change); after a refresh (`read`) they are
the live flow's, so content drift shows up in the next diff. A preview shows a content change as a
diff of `blocks`/`archy` all the same: the engine displays the old inputs against the new ones.
Outputs written before (with the content in full) are compared in full; the next write or refresh
stores the slim form.

Every API call goes through the stack's platform (`provider.platforms.get_platform`). The provider
instance holds only the stack's name: it is pickled into the state in plaintext, so platforms (with
their sessions, tokens and locks) live in a module-level cache keyed by the connection, built on first
use in the provider process.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from provider import platforms
from provider.deploy import adoption, cycles, org_objects, protection, write_ahead
from provider.deploy import config as stack_config
from provider.deploy import externals as externals_mod
from provider.deploy.config import NAMESPACE, StackConfig
from provider.deploy.inputs import (
    ARCHY_KEY,
    BY_NAME_KEY,
    CONNECTION_KEY,
    DEFAULT_TYPE,
    DIFF_KEYS,
    FIELD_KEYS,
    FLOW_KEY,
    OUTPUT_KEYS,
    REFERENCE_IDS,
    FlowProviderError,
    _key,
    _plain,
    changed_fields,
    contains_unknown,
    inputs_from_flow,
    is_archy,
    is_unknown,
    normalize_inputs,
    outputs,
    reference_ids,
    refreshed,
    slim,
    to_base,
    to_document,
)
from provider.deploy.provider_errors import Attempt, translated
from provider.deploy.sdk_patches import host_cancel, host_errors, host_workers, sdk_pickle, watchdog
from provider.deploy.stack_outputs import FAILED_REFERENCE
from provider.domain.checks import FLOW_TYPES, LIFECYCLE_STATES, check_fields, plain
from provider.domain.fields import ATTRIBUTES, REPLACING_FIELDS
from provider.domain.problems import RULE_UNKNOWN
from provider.errors import (
    NotFoundError,
)
from provider.governance import telemetry
from provider.governance.intents import IntentJournal
from provider.platforms.base import (
    ConflictPolicy,
    ContentExport,
    ListedRead,
    LiveFlow,
    Platform,
    RecordedWrites,
)
from provider.platforms.http.pool import ClientPool
from provider.platforms.http.recorder import Recorder
from provider.platforms.http.settings import ConnectionSettings

log = logging.getLogger(__name__)
watchdog.start()  # the provider process exits when the engine that started it dies
host_errors.install()  # errors: our message first, the SDK host's traceback after it
host_workers.install()  # more than four calls at once: jobs take seconds
host_cancel.install()  # the engine's Cancel (before it stops us) runs our last words first

# ------------------------------------------------------------------------------ the process caches
# The only process-wide state of the provider, forced by the dynamic-provider SDK: the provider
# instance is pickled into the state, so it can hold neither the platform clients (sessions, tokens,
# locks) nor the stack config `configure` receives. The platforms share one client pool (one token
# and one pacer per OAuth client) and one telemetry (one metrics and audit state per stack).

_platforms: dict[tuple[str, ...], Platform] = {}
_platforms_lock = threading.Lock()
_pool = ClientPool()
_telemetry = telemetry.Telemetry()
# Metrics files complete before `pulumi up` returns: the engine waits for our answer to Cancel, and
# for our exit only 5 s before SIGKILL.
host_cancel.on_cancel(_telemetry.flush)

#: The stack's connection config, from `FlowProvider.configure`: the engine hands dynamic providers
#: the whole stack config (the current one in preview and up; in refresh and destroy, the one the
#: last up recorded for the provider). It wins over the copy in each flow's state, which is written
#: only when that flow is created or updated, so a rotated secret or a moved org reaches every
#: flow's refresh and destroy after the next up.
_stack_connection: dict[str, Any] = {}


def _connection(props: Mapping[str, Any]) -> dict[str, Any]:
    stored = _plain(props.get(CONNECTION_KEY) or {})
    conn = dict(stored) if isinstance(stored, Mapping) else {}
    if "apiUrl" in _stack_connection or "region" in _stack_connection:
        conn.pop("apiUrl", None)
        conn.pop("region", None)
        conn.pop("platform", None)
    elif conn.get("apiUrl") and "platform" not in conn:
        # A connection stored before genesys-cloud became the default was on the tutorial's API,
        # at a URL this stack has deployed to already.
        conn.update(platform=platforms.TUTORIAL, trustApiUrl=True)
    conn.update(_stack_connection)
    return conn


def stack_config_of(props: Mapping[str, Any]) -> StackConfig:
    """The stack config of a resource: the stack's (from `configure`), else the connection stored
    with the resource."""
    conn = _connection(props)
    stack = str(conn.get("stack") or os.environ.get("PULUMI_STACK") or "default")
    return stack_config.parse(stack, conn)


def connection_settings(props: Mapping[str, Any], env: Mapping[str, str] | None = None) -> ConnectionSettings:
    """The connection: the stack's config, else the `__connection` input stored with the resource,
    and the environment for what both lack."""
    return stack_config_of(props).connection(env)


def conflict_policy(props: Mapping[str, Any]) -> ConflictPolicy:
    """The stack's conflict policy (validated by the stack-config model)."""
    return stack_config_of(props).conflict_policy


def get_platform(props: Mapping[str, Any]) -> Platform:
    """The process-wide platform for the connection in `props` (built on first use)."""
    config = stack_config_of(props)
    settings = config.connection()
    secret_digest = hashlib.sha256(settings.client_secret.encode()).hexdigest()
    key = (
        config.platform,
        settings.api_base_url,
        settings.client_id,
        secret_digest,
        config.stack,
        str(config.metrics_dir or ""),
        str(config.audit_log or ""),
    )
    with _platforms_lock:
        platform = _platforms.get(key)
        if platform is None:
            platform = platforms.get_platform(config, recorder=_recorder(config, settings), pool=_pool)
            _platforms[key] = platform
        return platform


def _recorder(config: StackConfig, settings: ConnectionSettings) -> Recorder:
    return _telemetry.recorder(
        config.stack, metrics_dir=config.metrics_dir, audit_log=config.audit_log, client_id=settings.client_id
    )


def journal_of(props: Mapping[str, Any]) -> IntentJournal:
    """The stack's write-ahead intent journal (in its audit trail)."""
    config = stack_config_of(props)
    return IntentJournal(
        _telemetry.recorder(config.stack, metrics_dir=config.metrics_dir, audit_log=config.audit_log).audit
    )


def _refuse_failed_references(key: str, props: Mapping[str, Any]) -> None:
    """A flow referencing one that failed in this run (`--continue-on-error`: the program passes
    FAILED_REFERENCE for its id) is not written: one error, before any intent or API call."""
    ids = _plain(props.get(REFERENCE_IDS) or {})
    failed = sorted(
        ref
        for ref, flow_id in (ids.items() if isinstance(ids, Mapping) else [])
        if flow_id == FAILED_REFERENCE
    )
    if failed:
        names = ", ".join(repr(ref) for ref in failed)
        raise FlowProviderError(
            f"flow {key!r}: not deployed: it references {names}, which failed in this run (listed "
            "too); nothing was written. Fix that and run `pulumi up` again"
        )


def _users(
    props: Mapping[str, Any], flow_id: str | None, key: str, *, named: Mapping[str, Any] | None = None
) -> list[str] | None:
    """The names of the flows that use `flow_id` (or the live flow `named`'s name and type): best
    effort and bounded in time (`protection.users`), for naming a destructive change; None when not
    looked up (offline: `GENESYS_FLOWS_OFFLINE=1`, no call at all)."""
    if org_objects.offline():
        return None

    def lookup(found_id: str) -> list[str]:
        platform = get_platform(props)
        if not flow_id and named is not None:
            found = platform.find(str(named.get("name") or ""), str(named.get("type") or DEFAULT_TYPE))
            if found is None:
                raise LookupError(f"no live flow named {named.get('name')!r}")
            found_id = found.id
        return [ref.name or ref.id for ref in platform.consumers(found_id)]

    return protection.users(lookup, flow_id or ("by-name" if named is not None else None), key)


# --------------------------------------------------------------------------------------- provider


class FlowProvider(ResourceProvider):
    """CRUD of one Architect flow per resource. Holds no state (see the module docstring)."""

    serialize_as_secret_always = False

    def __init__(self, stack: str | None = None) -> None:
        super().__init__()
        self.stack = stack

    def configure(self, req: ConfigureRequest) -> None:
        """Remember the current stack's connection config (module-level: the instance is pickled).
        Validated by the stack-config model: a wrong value fails here naming the key."""
        raw = {key: req.config.get(f"{NAMESPACE}:{key}") for key in stack_config.KEYS}
        values = {k: v for k, v in raw.items() if v not in (None, "")}
        # Providers pickled before the stack was kept on them: their flows' `__connection` names it.
        stack = getattr(self, "stack", None) or os.environ.get("PULUMI_STACK")
        stack_config.parse(stack or "default", values)
        _stack_connection.clear()
        _stack_connection.update({k: v for k, v in values.items() if k in stack_config.CONNECTION_KEYS})
        if stack:
            _stack_connection["stack"] = stack

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Client-side validation (the domain's rules and the platform's); each problem is a
        `CheckFailure` naming the field and the rule. Fields not known yet (preview) are not checked."""
        olds = _olds or {}
        inputs = normalize_inputs(news)
        key = _key(inputs)
        data = {k: inputs[k] for k in FIELD_KEYS}
        unknown = {k for k in FIELD_KEYS if contains_unknown(data[k])}
        known = {k: v for k, v in data.items() if k not in unknown}
        current = self._current(olds, inputs, key)
        problems = check_fields(known, flow=key, current=current)
        platform = str(_connection(news).get("platform") or platforms.DEFAULT)
        problems += platforms.platform_problems(platform, known, flow=key, current=current)
        failures = [
            CheckFailure(p.field or "name", f"{p.rule}: {p.message} (flow {key})")
            for p in problems
            if p.field.split("[", 1)[0].split(".", 1)[0] not in unknown
            # a required field that is only unknown is not missing
        ]
        ids = inputs.get(REFERENCE_IDS)
        if "references" not in unknown and not is_unknown(ids) and isinstance(data["references"], list):
            known_ids = ids if isinstance(ids, Mapping) else {}
            for index, ref in enumerate(data["references"]):
                if isinstance(ref, str) and known_ids.get(ref) == FAILED_REFERENCE:
                    continue  # refused by create/update: a check failure would halt the whole run
                if (
                    isinstance(ref, str)
                    and ref not in known_ids
                    and ref not in (inputs.get(BY_NAME_KEY) or {})
                ):
                    failures.append(
                        CheckFailure(
                            f"references[{index}]",
                            f"{RULE_UNKNOWN}: reference {ref!r} has no flow id in {REFERENCE_IDS} "
                            f"(flow {key})",
                        )
                    )
        if not failures and protection.is_unpublish(olds, inputs):
            failures += self._unpublish(olds, inputs, key)
        if not failures and protection.is_replacement(olds, inputs) and not protection.allowed(inputs):
            config = stack_config_of(inputs)
            if config.protect_published:  # refused before the replacement is created
                line = protection.delete_line(
                    str(olds.get("name") or key), _users(inputs, None, key, named=olds)
                )
                failures.append(CheckFailure("type", protection.refusal(config.stack, key, line)))
        externals = inputs.get(externals_mod.EXTERNAL_KEY)
        if not failures and externals and not contains_unknown(externals):
            found = externals_mod.external_problems(key, externals, lambda: get_platform(inputs).find)
            failures += [CheckFailure(p.field, f"{p.rule}: {p.message} (flow {key})") for p in found]
        return CheckResult(inputs, failures)

    @staticmethod
    def _unpublish(olds: Mapping[str, Any], inputs: dict[str, Any], key: str) -> list[CheckFailure]:
        """An unpublish, named in the inputs (the preview shows it) with the flows that use it;
        refused on a protectPublished stack unless the definition allows it."""
        config = stack_config_of(inputs)
        # `check` gets the old inputs, not the flow id: the live flow is found by its name and type.
        line = protection.unpublish_line(_users(inputs, None, key, named=olds))
        if config.protect_published and not protection.allowed(inputs):
            return [CheckFailure("lifecycle_state", protection.refusal(config.stack, key, line))]
        inputs[protection.DESTRUCTIVE_KEY] = line
        return []

    @staticmethod
    def _current(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> LiveFlow | None:
        """The flow as the state knows it, for the lifecycle-transition rule (None for a create or a
        replacement, which create a new flow, and for a state holding no known type or lifecycle
        state). Its id is the flow key: the inputs' references are keys too."""
        old_state = olds.get("lifecycle_state")
        if not olds or old_state is None or contains_unknown(old_state):
            return None
        new_type = news.get("type") or DEFAULT_TYPE
        if (olds.get("type") or DEFAULT_TYPE) != new_type:
            return None
        flow_type, state = plain(new_type), plain(old_state)
        if not (isinstance(flow_type, str) and flow_type in FLOW_TYPES):
            return None
        if not (isinstance(state, str) and state in LIFECYCLE_STATES):
            return None
        name = olds.get("name") or key
        return LiveFlow(id=key, name=str(name), type=flow_type, lifecycle_state=state, revision="1")

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """An explicit diff over the managed fields and the referenced ids; `type` replaces."""
        changed = changed_fields(_olds, _news)
        if protection.allowed(_olds) != protection.allowed(_news):
            changed.append(protection.ALLOW_DESTROY)  # recorded, so a later delete may go ahead
        replaces = [name for name in REPLACING_FIELDS if name in changed]
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[] if replaces else ["flowId", "type"],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """Create the flow. Never duplicates on retry (the platform looks before resending); if a
        live flow with this name and type already exists, fails saying so (nothing is adopted)."""
        key = _key(props)
        _refuse_failed_references(key, props)
        platform, journal = get_platform(props), journal_of(props)
        document, ids = to_document(props), reference_ids(props)
        bound = self._bind(platform, journal, key, props)  # a cycle's by-name targets
        ids.update(bound.ids)
        allow = protection.allowed(props)  # journaled: a cycle's delete may then publish it empty
        with write_ahead.recorded(
            journal, Attempt("create", key), document, ids, allow_destroy=allow
        ) as write:
            flow, adopted = adoption.create(platform, journal, write.intent, document, ids)
            if adopted:  # the interrupted create's intent records the success; this one failed
                write.finish("failure")
            else:
                write.succeeded(flow)
        return CreateResult(flow.id, cycles.recorded(outputs(props, flow), bound))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the whole live flow (so content drift shows), with inputs rebuilt from it. A flow
        that is gone (404/410) drops out of the state."""
        key = _key(props)
        platform = get_platform(props)
        with telemetry.flow_context(key), translated(Attempt("read", key, id_)):
            if isinstance(platform, ListedRead) and props.get("type"):  # one listing for them all
                flow = platform.read_listed(id_, str(props["type"]))
            else:
                flow = platform.read(id_)
        if flow is None:
            log.info("flow %s (%s) is gone: dropping it from the state", key, id_)
            return ReadResult("", {})
        if is_archy(props):
            return self._read_archy(platform, key, flow, props)
        inputs = inputs_from_flow(flow, props)
        return ReadResult(flow.id, outputs(inputs, flow), inputs)

    @staticmethod
    def _read_archy(platform: Platform, key: str, flow: LiveFlow, props: dict[str, Any]) -> ReadResult:
        """Content read apart (genesys-cloud): the version pointers tell whether someone else wrote
        the flow. Unmoved, the state stands (one GET, no export; outputs written before are stored
        slim). Moved, the live content is exported and put in the inputs (the next preview shows it);
        the revision we last wrote stays the base of the next update. A revision the platform
        numbered otherwise than we derived it, still our own write, is not a change
        (`RecordedWrites`)."""
        recorded = to_base(flow.id, props)
        if flow.revision == recorded.revision or (
            isinstance(platform, RecordedWrites) and platform.is_recorded_write(flow, recorded)
        ):
            return ReadResult(flow.id, slim(props))
        if not isinstance(platform, ContentExport):
            raise FlowProviderError(f"flow {key!r}: platform {platform.name} cannot export Archy content")
        with telemetry.flow_context(key), translated(Attempt("export", key, flow.id)):
            text = platform.fetch_content(flow.id, platform.content_version(flow))
        log.warning("flow %s (%s) was changed outside this stack (%s)", key, flow.id, flow.revision)
        outs, inputs = refreshed(props, flow, text)
        return ReadResult(flow.id, outs, inputs)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """One write from the revision in the state with the changed fields; a concurrent change is
        handled by the stack's conflict policy (merge, overwrite or fail)."""
        key = _key(_news)
        _refuse_failed_references(key, _news)
        platform, journal = get_platform(_news), journal_of(_news)
        document, ids, policy = to_document(_news), reference_ids(_news), conflict_policy(_news)
        bound = self._bind(platform, journal, key, _news)
        ids.update(bound.ids)
        with telemetry.flow_context(key), translated(Attempt("read", key, _id)):
            # the state may be older than this stack's last write (a run killed before saving)
            base = adoption.own_base(platform, journal, key, to_base(_id, _olds, _news), document, ids)
        attempt = Attempt("update", key, _id, base.revision, policy)
        allow = protection.allowed(_news)
        with write_ahead.recorded(journal, attempt, document, ids, allow_destroy=allow) as write:
            previous = {**cycles.previous(_olds, bound), **dict(_olds.get(REFERENCE_IDS) or {})}
            flow = platform.update(_id, document, ids, base=base, policy=policy, previous_ids=previous)
            write.succeeded(flow)
        return UpdateResult(cycles.recorded(outputs(_news, flow), bound))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Delete the flow; already gone (404/410) is success; still in use is an error naming the
        flows that use it."""
        config = stack_config_of(_props)
        name, type_ = str(_props.get("name") or ""), str(_props.get("type") or DEFAULT_TYPE)
        if config.protect_published and protection.was_published(_props) and not protection.allowed(_props):
            line = protection.delete_line(name or _key(_props), _users(_props, _id, _key(_props)))
            raise FlowProviderError(protection.refusal(config.stack, _key(_props), line))
        key, platform, journal = _key(_props), get_platform(_props), journal_of(_props)
        attempt = Attempt("delete", key, _id)
        recorded = write_ahead.recorded(journal, attempt, None, name=name, type_=type_)
        with recorded, contextlib.suppress(NotFoundError):  # already gone: the delete succeeded
            guard = cycles.Guard(config.stack, config.protect_published, config.conflict_policy)
            cycles.delete(platform, journal, key, _id, name, guard)  # a cycle's members: cut first

    @staticmethod
    def _bind(platform: Platform, journal: IntentJournal, key: str, props: Mapping[str, Any]) -> cycles.Bound:
        """A cycle's by-name targets made to exist (stubs, journaled) before this flow's write."""
        by_name = cycles.by_name_of(props)
        if not by_name:
            return cycles.Bound()
        config = stack_config_of(props)
        guard = cycles.Guard(config.stack, config.protect_published, config.conflict_policy)
        with telemetry.flow_context(key):
            return cycles.bind(platform, journal, key, by_name, guard)


# --------------------------------------------------------------------------------------- resource


class Flow(Resource, module="architect", name="Flow"):
    """One Architect flow. See the module docstring for the inputs and outputs."""

    flowId: pulumi.Output[str]
    version: pulumi.Output[int]
    lifecycleState: pulumi.Output[str]
    dateModified: pulumi.Output[str]
    selfUri: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        lifecycle_state: pulumi.Input[str],
        type: pulumi.Input[str] = DEFAULT_TYPE,
        blocks: pulumi.Input[list[Any]] | None = None,
        references: pulumi.Input[list[str]] | None = None,
        reference_ids: Mapping[str, pulumi.Input[str]] | None = None,
        archy: pulumi.Input[str] | None = None,
        external: list[dict[str, str]] | None = None,
        by_name: Mapping[str, Mapping[str, str]] | None = None,
        flow_key: str | None = None,
        allow_destroy: bool = False,
        opts: pulumi.ResourceOptions | None = None,
        **managed: pulumi.Input[Any],
    ) -> None:
        """`managed`: any other managed field (`MANAGED_FIELDS`, e.g. the simple ones of
        `provider.domain.fields.ATTRIBUTES`: absent, they take the table's default), by its name."""
        unknown = sorted(set(managed) - set(FIELD_KEYS))
        if unknown:
            raise TypeError(f"Flow: unknown field(s) {', '.join(unknown)}; managed: {', '.join(FIELD_KEYS)}")
        props: dict[str, Any] = {
            **managed,
            "name": name,
            **{a.name: managed.get(a.name, a.value(None)) for a in ATTRIBUTES},
            "type": type,
            "lifecycle_state": lifecycle_state,
            "blocks": blocks if blocks is not None else [],
            "references": references if references is not None else [],
            REFERENCE_IDS: dict(reference_ids or {}),
            FLOW_KEY: flow_key or resource_name,
            **{key: None for key in OUTPUT_KEYS},
        }
        if archy is not None:  # genesys-cloud: the content is the Archy text
            props[ARCHY_KEY] = archy
        if allow_destroy:  # protectPublished stacks: may be unpublished or deleted (absent: protected)
            props[protection.ALLOW_DESTROY] = True
        if external:  # genesys-cloud: flows it names that another team owns (checked, never managed)
            props[externals_mod.EXTERNAL_KEY] = external
        if by_name:  # genesys-cloud: the references closing a cycle, bound by name (deploy/cycles.py)
            props[BY_NAME_KEY] = {k: dict(v) for k, v in by_name.items()}
        sdk_pickle.install()  # the SDK's provider serializer fails past ~950 resources otherwise
        super().__init__(FlowProvider(pulumi.get_stack()), resource_name, props, opts)


__all__ = [
    "CONNECTION_KEY",
    "DIFF_KEYS",
    "FIELD_KEYS",
    "OUTPUT_KEYS",
    "REFERENCE_IDS",
    "Flow",
    "FlowProvider",
    "FlowProviderError",
    "changed_fields",
    "connection_settings",
    "inputs_from_flow",
    "normalize_inputs",
    "outputs",
    "reference_ids",
    "to_document",
]
