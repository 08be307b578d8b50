"""Helpers for the genesys-cloud CLI tests: deploy the Archy sample set into an emulator org straight
through the platform (no engine), in dependency order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

from emulator.testing import DEMO_CLIENTS, get_token
from provider.domain.document import FlowDocument
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud import org as gc_org
from provider.platforms.http.retry import RetryPolicy
from provider.platforms.http.settings import ConnectionSettings

GC_FLOWS = Path(__file__).resolve().parents[2] / "flows" / "genesys-cloud"


def live_flows(url: str, client: str = "dev-rw") -> list[dict[str, Any]]:
    """The org's flows as the real Genesys Cloud API lists them (deleted ones left out)."""
    token = get_token(url, client, DEMO_CLIENTS[client])
    response = requests.get(
        f"{url}/api/v2/flows",
        params={"pageSize": 500},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    response.raise_for_status()
    return [f for f in response.json()["entities"] if not f.get("deleted")]


def platform(url: str, client: str = "dev-rw") -> GenesysCloudPlatform:
    settings = ConnectionSettings.resolve(
        api_url=url, client_id=client, client_secret=DEMO_CLIENTS[client], env={}
    )
    return GenesysCloudPlatform(
        settings,
        retry=RetryPolicy(max_attempts=8, base_delay=0.05, max_delay=1.0),
        poll_initial_s=0.05,
        poll_max_s=0.5,
        pacing=False,
    )


def deploy(
    url: str, client: str, substitutions: dict[str, str], directory: Path = GC_FLOWS
) -> dict[str, str]:
    """Create every definition of `directory` in the client's org (references first); key → flow id."""
    docs, problems = gc_org.definition_docs(directory, substitutions)
    assert not problems, problems
    gc = platform(url, client)
    ids: dict[str, str] = {}
    while len(ids) < len(docs):
        ready = [k for k, d in docs.items() if k not in ids and all(r in ids for r in d["references"])]
        assert ready, "a cycle in the sample set"
        for key in ready:
            d = docs[key]
            document = FlowDocument(
                key=key,
                name=d["name"],
                type=d["type"],
                description=d["description"],
                lifecycle_state=d["lifecycle_state"],
                references=tuple(d["references"]),
                archy=d["archy"],
            )
            ids[key] = gc.create(document, ids).id
    return ids
