"""The Pulumi program's logic: make the stack's organization match the flow definitions.

1. Read the stack config through the one stack-config model (every wrong key named, with the stack).
2. Load every `flows/<key>.yaml`, fill the stack's `{{name}}` substitutions, validate each flow (the
   domain's rules and the platform's) and pre-check the reference graph (unknown keys, cycles,
   published flows referencing drafts). Any problem fails the run *before a single resource is
   registered* (so `pulumi preview` makes no API call), listing every problem with its flow, field
   and rule. Then the org objects the flows name (queues, prompts, data actions, ...) are checked
   read-only in the stack's org (`orgObjects`: fail|warn|off; `GENESYS_FLOWS_OFFLINE=1` skips it).
3. Register one `Flow` per definition, dependencies first, passing each referenced flow's id as the
   referenced resource's Output: Pulumi's graph then orders creates, updates and deletes. On
   genesys-cloud a cycle is deployable: the references that close it are passed by name instead
   (provider/deploy/cycles.py), so the graph stays acyclic.
4. Export `flows`: logical key → {id, version: {current, published, checkedIn}} (one shape on both
   platforms: provider/deploy/stack_outputs.py).

Errors are shown once, as their message (`sdk_bail.fail`: no traceback, no "unhandled error", the
stack not counted as errored; a `pulumi.RunError` outside a run). A flow the provider refused is
that flow's one error: the outputs that hang on it are recovered (`Output.recover`), so the program
never reports an unhandled exception for it; under `--continue-on-error` its dependents are refused
by the provider's create or update (before any write), once each, and the engine's closing
Diagnostics list every failed flow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from provider import platforms
from provider.deploy import config as stack_config
from provider.deploy import cycles, org_objects
from provider.deploy.config import NAMESPACE, StackConfig, StackConfigError
from provider.deploy.externals import external_inputs
from provider.deploy.resource import Flow
from provider.deploy.sdk_patches import sdk_bail
from provider.deploy.stack_outputs import FAILED_REFERENCE, recovered, version_pointers
from provider.domain import convert
from provider.domain.checks import is_state_dependent
from provider.domain.loading import PreparedSet, render_problems
from provider.domain.problems import Problem


def read_config(stack: str) -> StackConfig:
    """The stack's config from `pulumi.Config`, validated; the secret stays a secret Output."""
    config = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {}
    for key in stack_config.KEYS:
        if key == "clientSecret":
            values[key] = config.get_secret(key)  # `get` would warn and reveal it
        elif key == "substitutions":
            try:
                values[key] = config.get_object(key)
            except Exception:  # not JSON: the model names the key
                values[key] = config.get(key)
        else:
            values[key] = config.get(key)
    model = stack_config.parse(stack, values)
    model.require_connection()
    return model


def check_definitions(flows_dir: Path, config: StackConfig) -> PreparedSet:
    """The definitions, prepared; every problem (the domain's and the platform's) raised at once."""
    prepared = platforms.kind(config.platform).prepare(flows_dir, config.substitutions)
    problems: list[Problem] = list(prepared.problems)
    for key in prepared.order:
        data = convert.as_document(prepared.definitions[key])
        # As in `prepare`: what only the flow's current state decides is left to the provider's check.
        found = platforms.platform_problems(config.platform, data, flow=key)
        problems += [p for p in found if not is_state_dependent(p)]
    if problems:
        sdk_bail.fail(
            render_problems(
                problems,
                f"{len(problems)} problem(s) in the flow definitions of {flows_dir} "
                f"(stack {config.stack}); nothing was changed",
            )
        )
    return prepared


def check_org_objects(config: StackConfig, prepared: PreparedSet) -> None:
    """The org objects the flows name, checked read-only in the stack's org before any resource is
    registered (provider/deploy/org_objects.py): fails the run, or warns, per `orgObjects`."""
    # The plain secret for this read only (never logged): the model keeps the secret Output.
    secret = pulumi.runtime.get_config(config.key("clientSecret"))
    verdict = org_objects.gate(config, prepared, secret=None if secret is None else str(secret))
    if verdict.note:
        pulumi.log.info(verdict.note)
    if verdict.warning:
        pulumi.log.warn(verdict.warning)
    if verdict.error:
        sdk_bail.fail(verdict.error)


def protected(definition: Any, protect_published: bool) -> bool:
    """Whether the flow is registered with Pulumi's `protect`: a published flow of a protectPublished
    stack whose definition does not say `allow_destroy: true`. The engine then refuses to delete it
    (its definition removed, `pulumi destroy`) or replace it (a type change), in preview too: the
    flag is in the state from the run that registered it."""
    allowed = bool(getattr(definition, "allow_destroy", False))
    return protect_published and str(definition.lifecycle_state) == "published" and not allowed


def register(
    prepared: PreparedSet, resource: type[Flow] = Flow, *, protect_published: bool = False
) -> dict[str, Flow]:
    """One `resource` (a `Flow`) per definition, dependencies first."""
    resources: dict[str, Flow] = {}
    cycles.announce(prepared)
    guarded = [k for k in prepared.order if protected(prepared.definitions[k], protect_published)]
    if guarded:
        pulumi.log.info(
            f"{NAMESPACE}:protectPublished: {len(guarded)} published flow(s) registered with Pulumi's "
            '`protect`: the engine refuses to delete or replace them ("marked for protection"). To '
            "delete one, set `allow_destroy: true` in its definition and deploy that first"
        )
    for key in prepared.order:
        definition = prepared.definitions[key]
        by_name = prepared.by_name.get(key, [])
        text = getattr(definition, "archy", None)
        external = external_inputs(getattr(definition, "external", None) or [])
        aliases = [pulumi.Alias(name=a) for a in definition.aliases]
        resources[key] = resource(
            key,
            **convert.as_document(definition),  # every managed field, by its name
            **({"archy": text} if text is not None else {}),  # genesys-cloud: the Archy text
            external=external or None,  # genesys-cloud: flows another team owns (checked, not managed)
            # A failed reference reaches the provider as FAILED_REFERENCE (refused there, once),
            # not as an exception of the program ("unhandled exception … RegistrationFailed").
            reference_ids={
                ref: recovered(resources[ref].id, FAILED_REFERENCE)
                for ref in definition.references
                if ref not in by_name
            },
            # genesys-cloud: the references that close a cycle, bound by name (provider/deploy/cycles.py)
            by_name={ref: cycles.target(prepared.definitions[ref]) for ref in by_name} or None,
            flow_key=key,
            # protectPublished: this flow may be unpublished or deleted (provider/deploy/protection.py)
            allow_destroy=bool(getattr(definition, "allow_destroy", False)),
            # A renamed definition file keeps its flow: the old key is an alias of the resource.
            opts=pulumi.ResourceOptions(aliases=aliases or None, protect=key in guarded)
            if aliases or key in guarded
            else None,
        )
    return resources


def run(program_dir: Path, *, resource: type[Flow] = Flow) -> None:
    """The program. `resource` is the Flow class to register (the benchmark passes a baseline)."""
    stack = pulumi.get_stack()
    try:
        config = read_config(stack)
    except StackConfigError as exc:
        sdk_bail.fail(exc.message)
    flows_dir = Path(config.flows_dir) if config.flows_dir else program_dir / "flows"
    prepared = check_definitions(flows_dir, config)
    check_org_objects(config, prepared)
    # No connection per resource: the provider takes it (and its secret) from the stack config.
    resources = register(prepared, resource, protect_published=config.protect_published)
    ids = {key: recovered(flow.id, None) for key, flow in sorted(resources.items())}
    pulumi.export(
        "flows",
        {
            key: {"id": ids[key], "version": recovered(flow.version, None).apply(version_pointers)}
            for key, flow in sorted(resources.items())
        },
    )
    # The end of a run that went on past failures (`--continue-on-error`): the failed flows, listed.
    if ids:  # `Output.all()` of nothing is a list, not a dict (a folder emptied: every flow deleted)
        pulumi.Output.all(**ids).apply(_summarize_failures)


def _summarize_failures(ids: dict[str, Any]) -> None:
    failed = sorted(key for key, flow_id in ids.items() if flow_id is None)
    if failed and not pulumi.runtime.is_dry_run():
        pulumi.log.warn(
            f"{len(failed)} of {len(ids)} flow(s) not deployed, each with its one error: "
            f"{', '.join(failed)}; the other {len(ids) - len(failed)} are. Fix them and run `pulumi up` again"
        )
