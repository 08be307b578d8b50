"""The real Genesys Cloud flows API (`/api/v2/flows`, jobs, dependency tracking): its vocabulary,
JSON rendering, persistence and admin settings. The routes are in `emulator.routes.genesys_cloud`."""
