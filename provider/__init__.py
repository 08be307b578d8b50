"""genesys-flows: Genesys Cloud Architect flows as code, on Pulumi.

Kept free of imports: the dynamic provider module is loaded from this package inside Pulumi's
provider process, and the CLI and client must stay importable without Pulumi.
"""

__version__ = "0.1.0"
