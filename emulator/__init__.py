"""A local emulator of the Genesys Cloud Architecture API (flows), served over HTTP.

It implements the wire contract in the project's `architecture-api.md` exactly and is the reference
the project's API client is tested against. Start it with `python -m emulator serve`; see
`emulator/README.md`. The test helpers live in `emulator.testing`.
"""

__all__: list[str] = []
