"""Platforms: the APIs the project can manage flows on, behind one interface (`base.Platform`).

- `architecture_api`: the tutorial's Architecture API (`PATCH /api/v2/architect/flows/{id}`).
- `genesys_cloud`: the real Genesys Cloud flows API (`/api/v2/flows`, locks, Archy jobs).

Platforms import no Pulumi.
"""
