"""A local emulator of Genesys Cloud flows APIs, served over HTTP.

It implements the wire contract in the project's `architecture-api.md` (the tutorial's Architecture
API) exactly, and the real Genesys Cloud flows API of `genesys-cloud-flows.md` (`/api/v2/flows`,
locks, asynchronous operations, Archy YAML jobs, dependency tracking) faithfully enough that its
answers parse with the official SDK's models. It is the reference the project's API clients are
tested against. Start it with `python -m emulator serve`; see
`emulator/README.md`. The test helpers live in `emulator.testing`.
"""

__all__: list[str] = []
