"""The Pulumi program: make the stack's organization match the flow definitions in `flows/`.

1. Load every `flows/<key>.yaml`, fill the stack's `{{name}}` substitutions, validate each flow and
   pre-check the reference graph (unknown keys, cycles, published flows referencing drafts). Any
   problem fails the run *before a single resource is registered* (so `pulumi preview` makes no API
   call), listing every problem with its flow, field and rule.
2. Register one `Flow` per definition, dependencies first, passing each referenced flow's id as the
   referenced resource's Output: Pulumi's graph then orders creates, updates and deletes.
3. Export `flows`: logical key → {id, version}.

Stack config (namespace `genesys-flows`, in stacks/Pulumi.<stack>.yaml):
  apiUrl or region, clientId, clientSecret (a secret), conflictPolicy (merge|overwrite|fail),
  substitutions (name → string), metricsDir, auditLog, flowsDir (default: ./flows).
Missing connection values fall back to GENESYSCLOUD_API_URL / GENESYSCLOUD_REGION /
GENESYSCLOUD_OAUTHCLIENT_ID / GENESYSCLOUD_OAUTHCLIENT_SECRET in the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pulumi

from provider.deploy.resource import Flow
from provider.deploy.stacks import CONFLICT_POLICIES, CONNECTION_CONFIG_KEYS, NAMESPACE, connection_input
from provider.domain.loading import prepare, render_problems
from provider.domain.rules import Problem
from provider.platforms.http.settings import ENV_API_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REGION


def _program_dir() -> Path:
    try:
        return Path(__file__).resolve().parent
    except NameError:  # pragma: no cover - run without a file
        return Path.cwd()


def _config_problems(config: pulumi.Config, stack: str) -> list[str]:
    problems = []
    where = config.get("apiUrl") or config.get("region")
    if not (where or os.environ.get(ENV_API_URL) or os.environ.get(ENV_REGION)):
        problems.append(
            f"where the API is: set {NAMESPACE}:apiUrl or {NAMESPACE}:region in stacks/Pulumi.{stack}.yaml "
            f"(or {ENV_API_URL} / {ENV_REGION})"
        )
    if not (config.get("clientId") or os.environ.get(ENV_CLIENT_ID)):
        problems.append(f"the OAuth client id: set {NAMESPACE}:clientId (or {ENV_CLIENT_ID})")
    if config.get_secret("clientSecret") is None and not os.environ.get(ENV_CLIENT_SECRET):
        problems.append(
            f"the OAuth client secret: `pulumi config set --secret {NAMESPACE}:clientSecret ...` "
            f"(or {ENV_CLIENT_SECRET})"
        )
    policy = config.get("conflictPolicy") or "merge"
    if policy not in CONFLICT_POLICIES:
        problems.append(
            f"{NAMESPACE}:conflictPolicy is {policy!r}; use one of {', '.join(CONFLICT_POLICIES)}"
        )
    return problems


def main() -> None:
    config = pulumi.Config(NAMESPACE)
    stack = pulumi.get_stack()

    config_problems = _config_problems(config, stack)
    if config_problems:
        raise pulumi.RunError(
            f"stack {stack!r} is not configured:\n" + "\n".join(f"  - {p}" for p in config_problems)
        )

    raw_subs = config.get_object("substitutions") or {}
    if not isinstance(raw_subs, dict):
        raise pulumi.RunError(f"{NAMESPACE}:substitutions must be an object of name: value")
    substitutions = {str(k): str(v) for k, v in raw_subs.items()}

    flows_dir = Path(config.get("flowsDir") or _program_dir() / "flows")
    prepared = prepare(flows_dir, substitutions)
    if prepared.problems:
        problems: list[Problem] = prepared.problems
        raise pulumi.RunError(
            render_problems(
                problems,
                f"{len(problems)} problem(s) in the flow definitions of {flows_dir} (stack {stack}); "
                "nothing was changed",
            )
        )

    # `get_secret` for the secret: it stays a secret Output (and `get` would warn about it).
    values: dict[str, Any] = {
        key: config.get_secret(key) if key == "clientSecret" else config.get(key)
        for key in CONNECTION_CONFIG_KEYS
    }
    connection = connection_input(values, stack)

    resources: dict[str, Flow] = {}
    for key in prepared.order:
        definition = prepared.definitions[key]
        document = definition.model_dump(mode="json", exclude={"key"})
        resources[key] = Flow(
            key,
            name=definition.name,
            description=definition.description,
            type=definition.type.value,
            lifecycle_state=definition.lifecycle_state.value,
            blocks=document["blocks"],
            references=list(definition.references),
            reference_ids={ref: resources[ref].id for ref in definition.references},
            connection=connection,
            flow_key=key,
            # A renamed definition file keeps its flow: the old key is an alias of the resource.
            opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=a) for a in definition.aliases])
            if definition.aliases
            else None,
        )

    pulumi.export(
        "flows",
        {key: {"id": flow.id, "version": flow.version} for key, flow in sorted(resources.items())},
    )


main()
