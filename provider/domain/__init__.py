"""The flow domain: the canonical flow document, loading, rules, the reference graph, snapshots and
the structural diff. Imports neither Pulumi nor HTTP."""
