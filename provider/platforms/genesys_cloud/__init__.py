"""The `genesys-cloud` platform: Architect flows on the real Genesys Cloud API, as Archy YAML.

Modules: `_proxy` (the only one doing I/O), `wire` (the API's answers), `archy` (reading Archy YAML),
`rules` (validation without the network), `versions` (revision token, content fingerprint),
`polling` (the backoff for asynchronous work), `platform` (the decisions).
"""

from .platform import GenesysCloudPlatform

__all__ = ["GenesysCloudPlatform"]
