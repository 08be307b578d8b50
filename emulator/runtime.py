"""The state every API surface shares: configuration, store, tokens, limits, faults, statistics."""

from __future__ import annotations

from pathlib import Path

from .auth import Auth, RateLimiter
from .config import EmulatorConfig
from .faults import FaultInjector
from .genesys.objects import OrgObjects
from .genesys.settings import GenesysSettings
from .genesys.store import GenesysStore
from .stats import Stats
from .store import Store


class Runtime:
    """Everything the handlers share: configuration, store, tokens, limits, faults, statistics."""

    def __init__(self, config: EmulatorConfig, data_path: str | Path) -> None:
        self.config = config
        self.store = Store(data_path)
        self.auth = Auth(config, self.store)
        self.limiter = RateLimiter(config.rate_limit, config.rate_limit_window_seconds)
        self.faults = FaultInjector()
        self.stats = Stats()
        self.genesys = GenesysStore(self.store)
        self.genesys_settings = GenesysSettings()
        self.org_objects = OrgObjects(config.organizations)

    async def reset(self) -> None:
        await self.store.write(self.store.reset)
        await self.store.write(self.genesys.reset)
        self.genesys_settings.reset()
        self.org_objects.reset()
        self.stats.reset()
        self.faults.clear()
        self.limiter.configure(self.config.rate_limit, self.config.rate_limit_window_seconds)
        self.auth.token_lifetime = self.config.token_lifetime_seconds
