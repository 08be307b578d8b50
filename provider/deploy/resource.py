"""The Pulumi dynamic provider for Architect flows, and the `Flow` resource the program registers.

`FlowProvider` and `Flow` (module `provider.deploy.resource`, resource type
`pulumi-python:dynamic/architect:Flow`) are recorded in every stack's state: keep the names stable.

Inputs of a `Flow` (what `check` returns and the state keeps):

    name, description, type, lifecycle_state     the definition's fields
    references                                   logical keys of the flows it uses
    blocks                                       the block tree; block `reference`s are logical keys
    referenceIds                                 logical key → flow id (each the referenced Flow's id
                                                 Output, so Pulumi orders creates, updates, deletes)
    flowKey                                      the definition's key (for messages; never diffed)
    __connection                                 apiUrl/region, clientId, clientSecret (a Pulumi secret),
                                                 conflictPolicy, stack, metricsDir, auditLog (never
                                                 diffed; the secret stays encrypted in the state)

Outputs: the inputs plus `flowId`, `version` (the flow's `_version`), `lifecycleState`,
`dateModified` and `selfUri`. After a create or an update the managed fields in the outputs are the
ones we asked for (so a field someone else changed and the merge kept does not show as a change);
after a refresh (`read`) they are the live flow's, so content drift shows up in the next diff.

Every API call goes through the stack's platform (`provider.platforms.get_platform`). The provider
instance holds nothing: it is pickled into the state in plaintext, so platforms (with their sessions,
tokens and locks) live in a module-level cache keyed by the connection, built on first use in the
provider process.
"""

from __future__ import annotations

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

from provider.deploy.stacks import CONNECTION_CONFIG_KEYS, NAMESPACE
from provider.domain.loading import canonical_blocks, map_block_references, to_logical
from provider.domain.models import Flow as ApiFlow
from provider.domain.models import FlowFields, FlowType
from provider.domain.rules import RULE_UNKNOWN, Problem, validate_flow
from provider.errors import (
    ArchitectError,
    ConflictError,
    MergeConflictError,
    NotFoundError,
    ValidationError,
)
from provider.governance import telemetry
from provider.platforms.architecture_api.client import ArchitectClient, ConflictPolicy
from provider.platforms.http.recorder import Recorder
from provider.platforms.http.settings import ConnectionSettings

log = logging.getLogger(__name__)

CONNECTION_KEY = "__connection"
FLOW_KEY = "flowKey"
REFERENCE_IDS = "referenceIds"
#: The managed fields, as the inputs hold them (references and block references as logical keys).
FIELD_KEYS: tuple[str, ...] = ("name", "description", "type", "lifecycle_state", "blocks", "references")
#: What `diff` compares: the managed fields and the ids the references resolve to.
DIFF_KEYS: tuple[str, ...] = (*FIELD_KEYS, REFERENCE_IDS)
#: Server-side outputs.
OUTPUT_KEYS: tuple[str, ...] = ("flowId", "version", "lifecycleState", "dateModified", "selfUri")
#: Never cause a diff.
INTERNAL_KEYS: frozenset[str] = frozenset({CONNECTION_KEY, FLOW_KEY, "__provider", *OUTPUT_KEYS})

CODE_NAME_DUPLICATE = "architect.flow.name.duplicate"
CODE_IN_USE = "architect.flow.in.use"
DEFAULT_TYPE = FlowType.INBOUNDCALL.value


class FlowProviderError(Exception):
    """A provider operation failed; the message says what happened and what to do."""


# ------------------------------------------------------------------------------------------ values


def is_unknown(value: Any) -> bool:
    """The engine's placeholder for a value not known yet (preview): `pulumi.output.Unknown` or the
    RPC sentinel string."""
    from pulumi.output import Unknown
    from pulumi.runtime.rpc import UNKNOWN

    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


def contains_unknown(value: Any) -> bool:
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_unknown(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    """Secret wrappers (as the RPC layer may hand them over) removed, recursively."""
    from pulumi.runtime.rpc import unwrap_rpc_secret

    value = unwrap_rpc_secret(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _normalize_field(key: str, value: Any) -> Any:
    """One managed field in its canonical form (unknowns and odd shapes are kept as they are)."""
    if contains_unknown(value):
        return value
    if key == "description":
        return "" if value is None else value
    if key == "type":
        return DEFAULT_TYPE if value is None else str(getattr(value, "value", value))
    if key == "lifecycle_state":
        return None if value is None else str(getattr(value, "value", value))
    if key == "blocks":
        if value is None:
            return []
        if isinstance(value, list) and all(isinstance(b, Mapping) for b in value):
            try:
                return canonical_blocks(value)
            except (TypeError, ValueError):
                return value
        return value
    if key == "references":
        return [] if value is None else value
    if key == REFERENCE_IDS:
        return {} if value is None else value
    return value


def normalize_inputs(props: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs with every managed field in canonical form; other keys kept."""
    out = dict(props)
    for key in DIFF_KEYS:
        out[key] = _normalize_field(key, props.get(key))
    return out


def _comparable(key: str, value: Any) -> Any:
    value = _normalize_field(key, value)
    if key == "references" and isinstance(value, list) and not contains_unknown(value):
        # The contract treats references as a set.
        return sorted(str(v) for v in value)
    return value


def changed_fields(olds: Mapping[str, Any], news: Mapping[str, Any]) -> list[str]:
    """The diffed keys whose new value differs from the old one or is not known yet."""
    changed = []
    for key in DIFF_KEYS:
        new = news.get(key)
        if contains_unknown(new) or _comparable(key, olds.get(key)) != _comparable(key, new):
            changed.append(key)
    return changed


# ---------------------------------------------------------------------------------------- clients

_clients: dict[tuple[str, ...], Any] = {}
_clients_lock = threading.Lock()


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
    conn.update(_stack_connection)
    return conn


def connection_settings(props: Mapping[str, Any], env: Mapping[str, str] | None = None) -> ConnectionSettings:
    """The connection: the stack's config, else the `__connection` input stored with the resource,
    and the environment for what both lack."""
    conn = _connection(props)
    return ConnectionSettings.resolve(
        region=conn.get("region") or None,
        api_url=conn.get("apiUrl") or None,
        client_id=conn.get("clientId") or None,
        client_secret=conn.get("clientSecret") or None,
        env=os.environ if env is None else env,
    )


def conflict_policy(props: Mapping[str, Any]) -> ConflictPolicy:
    """The stack's policy (`check` has already rejected any value but these three)."""
    policy = _connection(props).get("conflictPolicy")
    return "overwrite" if policy == "overwrite" else "fail" if policy == "fail" else "merge"


def get_client(props: Mapping[str, Any]) -> ArchitectClient:
    """The process-wide client for the connection in `props` (built on first use)."""
    settings = connection_settings(props)
    conn = _connection(props)
    stack = str(conn.get("stack") or os.environ.get("PULUMI_STACK") or "default")
    metrics_dir = conn.get("metricsDir") or None
    audit_log = conn.get("auditLog") or None
    secret_digest = hashlib.sha256(settings.client_secret.encode()).hexdigest()
    key = (
        settings.api_base_url,
        settings.client_id,
        secret_digest,
        stack,
        str(metrics_dir or ""),
        str(audit_log or ""),
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = ArchitectClient(settings, recorder=_recorder(stack, metrics_dir, audit_log, settings))
            _clients[key] = client
        return client


def _recorder(stack: str, metrics_dir: Any, audit_log: Any, settings: ConnectionSettings) -> Recorder:
    return telemetry.recorder(
        stack, metrics_dir=metrics_dir, audit_log=audit_log, client_id=settings.client_id
    )


# ------------------------------------------------------------------------------------- conversion


def _key(props: Mapping[str, Any]) -> str:
    return str(props.get(FLOW_KEY) or props.get("name") or "?")


def to_fields(props: Mapping[str, Any]) -> FlowFields:
    """The managed fields of `props` (inputs or outputs) as the client's `FlowFields`: logical keys
    replaced by the ids in `referenceIds`."""
    ids = dict(props.get(REFERENCE_IDS) or {})
    missing = [r for r in props.get("references") or [] if r not in ids]
    if missing:
        raise FlowProviderError(
            f"flow {_key(props)!r}: no flow id for the referenced key(s) {', '.join(missing)}"
        )
    return FlowFields.model_validate(
        {
            "name": props.get("name"),
            "description": props.get("description") or "",
            "type": props.get("type") or DEFAULT_TYPE,
            "lifecycle_state": props.get("lifecycle_state"),
            "references": [ids[r] for r in props.get("references") or []],
            "blocks": map_block_references(props.get("blocks") or [], ids),
        }
    )


def to_base(flow_id: str, olds: Mapping[str, Any]) -> ApiFlow:
    """The flow as the state last saw it (the base of an update): fields, id and `_version`."""
    fields = to_fields(olds).to_wire()
    return ApiFlow.model_validate({**fields, "id": flow_id, "_version": int(olds.get("version") or 0)})


def inputs_from_flow(flow: ApiFlow, previous: Mapping[str, Any]) -> dict[str, Any]:
    """The inputs a live flow corresponds to: ids mapped back to logical keys through the previous
    `referenceIds` (an id it does not know stays an id, so the next diff shows it); the flow key and
    the connection are kept from `previous`."""
    known = dict(previous.get(REFERENCE_IDS) or {})
    key_of_id = {flow_id: key for key, flow_id in known.items()}
    logical = to_logical(flow, key_of_id)
    ids: dict[str, str] = {}
    for flow_id in flow.references:
        ids[key_of_id.get(flow_id, flow_id)] = flow_id
    inputs: dict[str, Any] = {**logical, REFERENCE_IDS: ids}
    for key in (FLOW_KEY, CONNECTION_KEY):
        if previous.get(key) is not None:
            inputs[key] = previous[key]
    return inputs


def outputs(inputs: Mapping[str, Any], flow: ApiFlow) -> dict[str, Any]:
    """The outputs: the (normalized) inputs plus the server's view of the flow."""
    out = normalize_inputs(inputs)
    out.update(
        {
            "flowId": flow.id,
            "version": flow.version,
            "lifecycleState": flow.lifecycle_state.value,
            "dateModified": flow.dateModified,
            "selfUri": flow.selfUri,
        }
    )
    return out


def _problems_text(problems: list[Problem]) -> str:
    return "\n".join(f"  - {p}" for p in problems)


# --------------------------------------------------------------------------------------- provider


class FlowProvider(ResourceProvider):
    """CRUD of one Architect flow per resource. Holds no state (see the module docstring)."""

    serialize_as_secret_always = False

    def configure(self, req: ConfigureRequest) -> None:
        """Remember the current stack's connection config (module-level: the instance is pickled)."""
        values = {key: req.config.get(f"{NAMESPACE}:{key}") for key in CONNECTION_CONFIG_KEYS}
        _stack_connection.clear()
        _stack_connection.update({k: v for k, v in values.items() if v not in (None, "")})

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Client-side validation; each problem is a `CheckFailure` naming the field and the rule.
        Fields whose value is not known yet (preview) are not checked."""
        olds = _olds or {}
        inputs = normalize_inputs(news)
        key = _key(inputs)
        data = {k: inputs[k] for k in FIELD_KEYS}
        unknown = {k for k in FIELD_KEYS if contains_unknown(data[k])}
        current = self._current(olds, inputs, key)
        problems = validate_flow(
            {k: v for k, v in data.items() if k not in unknown}, flow=key, current=current
        )
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
                if isinstance(ref, str) and ref not in known_ids:
                    failures.append(
                        CheckFailure(
                            f"references[{index}]",
                            f"{RULE_UNKNOWN}: reference {ref!r} has no flow id in {REFERENCE_IDS} "
                            f"(flow {key})",
                        )
                    )
        conn = _plain(inputs.get(CONNECTION_KEY) or {})
        if isinstance(conn, Mapping) and not contains_unknown(conn):
            policy = conn.get("conflictPolicy")
            if policy not in (None, "merge", "overwrite", "fail"):
                failures.append(
                    CheckFailure(
                        CONNECTION_KEY,
                        f"invalid.conflict.policy: conflictPolicy {policy!r} is not one of merge, "
                        f"overwrite, fail (flow {key})",
                    )
                )
        return CheckResult(inputs, failures)

    @staticmethod
    def _current(olds: Mapping[str, Any], news: Mapping[str, Any], key: str) -> ApiFlow | None:
        """The flow as the state knows it, for the lifecycle-transition rule (None for a create or a
        replacement, which create a new flow)."""
        old_state = olds.get("lifecycle_state")
        if not olds or old_state is None or contains_unknown(old_state):
            return None
        new_type = news.get("type") or DEFAULT_TYPE
        if (olds.get("type") or DEFAULT_TYPE) != new_type:
            return None
        try:
            return ApiFlow.model_validate(
                {
                    "id": key,
                    "_version": 1,
                    "name": olds.get("name") or key,
                    "type": new_type,
                    "lifecycle_state": old_state,
                }
            )
        except Exception:
            return None

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """An explicit diff over the managed fields and the referenced ids; `type` replaces."""
        changed = changed_fields(_olds, _news)
        replaces = ["type"] if "type" in changed else []
        return DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[] if replaces else ["flowId", "type"],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        """POST the flow. Never duplicates on retry (the client looks before resending); if a live
        flow with this name and type already exists, fails saying so (nothing is adopted silently)."""
        key = _key(props)
        client = get_client(props)
        fields = to_fields(props)
        with telemetry.flow_context(key):
            try:
                flow = client.create_flow(fields)
            except ConflictError as exc:
                if exc.code == CODE_NAME_DUPLICATE:
                    raise self._exists_error(client, key, fields) from None
                raise FlowProviderError(f"flow {key!r}: create failed: {exc}") from None
            except ValidationError as exc:
                raise FlowProviderError(
                    f"flow {key!r}: create rejected: {exc.message}\n{_problems_text(exc.problems)}"
                ) from None
            except ArchitectError as exc:
                raise FlowProviderError(f"flow {key!r}: create failed: {exc}") from None
        return CreateResult(flow.id, outputs(props, flow))

    @staticmethod
    def _exists_error(client: Any, key: str, fields: FlowFields) -> FlowProviderError:
        try:
            existing = client.find_flow(fields.name, fields.type)
        except ArchitectError:
            existing = None
        where = f" (id {existing.id})" if existing is not None else ""
        return FlowProviderError(
            f"flow {key!r}: a live {fields.type.value} flow named {fields.name!r} already exists in the "
            f"organization{where}, and this resource does not manage it. Nothing was adopted. If it is "
            f"this stack's flow and you renamed its definition file, add `aliases: [<old key>]` to the "
            f"file; to adopt a flow made outside Pulumi, run `archctl import --stack <stack>`; or rename "
            f"the flow in the definition, or delete the existing flow"
        )

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Refresh: the whole live flow (so content drift shows), with inputs rebuilt from it. A flow
        that is gone (404/410) drops out of the state."""
        key = _key(props)
        client = get_client(props)
        with telemetry.flow_context(key):
            try:
                flow = client.get_flow(id_)
            except NotFoundError:
                log.info("flow %s (%s) is gone: dropping it from the state", key, id_)
                return ReadResult("", {})
            except ArchitectError as exc:
                raise FlowProviderError(f"flow {key!r}: read of {id_} failed: {exc}") from None
        inputs = inputs_from_flow(flow, props)
        return ReadResult(flow.id, outputs(inputs, flow), inputs)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        """One PATCH with the `_version` from the state and the changed fields; a concurrent change is
        handled by the stack's conflict policy (merge, overwrite or fail)."""
        key = _key(_news)
        client = get_client(_news)
        base = to_base(_id, _olds)
        desired = to_fields(_news)
        policy = conflict_policy(_news)
        with telemetry.flow_context(key):
            try:
                flow = client.update_flow(_id, desired, base=base, policy=policy)
            except MergeConflictError as exc:
                fields = ", ".join(exc.fields)
                raise FlowProviderError(
                    f"flow {key!r} ({_id}): someone else changed {fields} since version {base.version}, "
                    f"and so does this update; nothing was written (conflict policy {policy!r}). "
                    f"Details: {exc.message}. Run `pulumi refresh` to see their change, then update the "
                    f"definition, or set genesys-flows:conflictPolicy to overwrite"
                ) from None
            except NotFoundError:
                raise FlowProviderError(
                    f"flow {key!r} ({_id}) no longer exists in the organization; run `pulumi refresh` "
                    f"(it drops out of the state) and `pulumi up` again to recreate it"
                ) from None
            except ValidationError as exc:
                raise FlowProviderError(
                    f"flow {key!r}: update rejected: {exc.message}\n{_problems_text(exc.problems)}"
                ) from None
            except ArchitectError as exc:
                raise FlowProviderError(f"flow {key!r}: update failed: {exc}") from None
        return UpdateResult(outputs(_news, flow))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """DELETE the flow; already gone (404/410) is success; still in use is an error naming the
        flows that use it."""
        key = _key(_props)
        client = get_client(_props)
        with telemetry.flow_context(key):
            try:
                client.delete_flow(_id, name=_props.get("name"))
            except NotFoundError:
                return
            except ConflictError as exc:
                if exc.code == CODE_IN_USE:
                    consumers = ", ".join(
                        f"{c.entityName or '?'} ({c.entityId})" if c.entityId else str(c.entityName)
                        for c in exc.consumers
                    )
                    raise FlowProviderError(
                        f"flow {key!r} ({_id}) cannot be deleted: it is still used by "
                        f"{consumers or 'other flows'}. Remove those references first "
                        f"({CODE_IN_USE})"
                    ) from None
                raise FlowProviderError(f"flow {key!r}: delete failed: {exc}") from None
            except ArchitectError as exc:
                raise FlowProviderError(f"flow {key!r}: delete failed: {exc}") from None


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
        description: pulumi.Input[str] = "",
        type: pulumi.Input[str] = DEFAULT_TYPE,
        blocks: pulumi.Input[list[Any]] | None = None,
        references: pulumi.Input[list[str]] | None = None,
        reference_ids: Mapping[str, pulumi.Input[str]] | None = None,
        connection: Mapping[str, Any] | None = None,
        flow_key: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "name": name,
            "description": description,
            "type": type,
            "lifecycle_state": lifecycle_state,
            "blocks": blocks if blocks is not None else [],
            "references": references if references is not None else [],
            REFERENCE_IDS: dict(reference_ids or {}),
            FLOW_KEY: flow_key or resource_name,
            CONNECTION_KEY: dict(connection or {}),
            **{key: None for key in OUTPUT_KEYS},
        }
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=[CONNECTION_KEY])
        )
        super().__init__(FlowProvider(), resource_name, props, opts)


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
    "to_fields",
]
