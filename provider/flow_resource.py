"""Stable path of the dynamic provider: states written before the packages existed record
`provider.flow_resource.FlowProvider` (the provider instance is pickled by reference), so this module
must stay importable. The code lives in `provider.deploy.resource`."""

from provider.deploy.resource import Flow, FlowProvider

__all__ = ["Flow", "FlowProvider"]
