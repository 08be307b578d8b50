"""`archctl`, the governance CLI: `main` parses and dispatches; one module per command group."""
