"""The `genesys-cloud` platform: Architect flows on the real Genesys Cloud API, as Archy YAML.

Modules: `kind` (its row in the registry), `_proxy` (the only one doing I/O), `wire` (the API's
answers), `loading` (its definitions), `org` (an org read through export jobs), `adopt` (the import
plan), `neutral` (exports with the stack's placeholders put back), `terraform` (CX-as-Code's
configurations, for `archctl migrate terraform`), `rules` (validation without the network),
`versions` (revision token, content fingerprint), `polling` (the backoff for asynchronous work);
`platform` composes the operations: `_core` (state, reads, validation), `_jobs` (Archy and export
jobs), `_locks`, `_create`, `_update`, `_delete`.
`GenesysCloudPlatform` is imported on first use, so the registry's row stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .platform import GenesysCloudPlatform

__all__ = ["GenesysCloudPlatform"]


def __getattr__(name: str) -> Any:
    if name == "GenesysCloudPlatform":
        from .platform import GenesysCloudPlatform

        return GenesysCloudPlatform
    raise AttributeError(name)
