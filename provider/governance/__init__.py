"""Governance: telemetry (the recorder wiring), metrics and the audit log. Imports neither Pulumi's
engine settings nor the dynamic provider: paths are passed in."""
