"""genesys-flows: Genesys Cloud Architect flows as code, on Pulumi.

Packages, each importing only those below it (enforced by import-linter, see pyproject.toml):
`cli` → `ops` (archctl against stacks) → `deploy` (Pulumi) → `governance` → `platforms` (HTTP, no
Pulumi) → `errors` → `domain` (no Pulumi, no HTTP). `provider.flow_resource` is the stable path
stacks' states record.
This module imports nothing, so importing a subpackage costs only that subpackage.
"""

__version__ = "0.1.0"
