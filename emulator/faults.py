"""Fault injection: added latency, injected error statuses and dropped connections, reproducible
with a seed and bounded by `max_faults`."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class FaultSettings(BaseModel):
    """The body of `PUT /_emulator/faults` (absent fields take these defaults)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    error_rate: float = Field(0.0, ge=0.0, le=1.0)
    statuses: list[int] = Field(default_factory=lambda: [500, 503])
    latency_ms: list[int] = Field(default_factory=lambda: [0, 0], min_length=2, max_length=2)
    drop_rate: float = Field(0.0, ge=0.0, le=1.0)
    drop_mode: Literal["before", "after"] = "before"
    seed: int | None = None
    methods: list[str] | None = None
    # Path prefixes the faults apply to (None: every `/api/v2/` path). A prefix may name the presigned
    # upload or download (`/_upload/`, `/_download/`), never the admin API.
    paths: list[str] | None = None
    # The JSON body of an injected error instead of the generic one (a platform answer in full).
    body: dict[str, Any] | None = None
    max_faults: int | None = Field(None, ge=0)

    @field_validator("statuses")
    @classmethod
    def _statuses(cls, value: list[int]) -> list[int]:
        for status in value:
            if not 400 <= status <= 599:
                raise ValueError(f"status {status} is not an HTTP error status (400-599)")
        return value

    @field_validator("latency_ms")
    @classmethod
    def _latency(cls, value: list[int]) -> list[int]:
        low, high = value
        if not 0 <= low <= high <= 60000:
            raise ValueError("latency_ms must be [low, high] with 0 <= low <= high <= 60000")
        return value

    @field_validator("methods")
    @classmethod
    def _methods(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [m.upper() for m in value]

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: list[str] | None) -> list[str] | None:
        for prefix in value or ():
            if not prefix.startswith("/") or prefix.startswith("/_emulator"):
                raise ValueError(f"path prefix {prefix[:80]!r} must start with / and not name the admin API")
        return value

    @model_validator(mode="after")
    def _rates(self) -> FaultSettings:
        if self.error_rate + self.drop_rate > 1.0:
            raise ValueError("error_rate + drop_rate must be at most 1")
        if self.error_rate > 0 and not self.statuses:
            raise ValueError("statuses must not be empty when error_rate > 0")
        return self


@dataclass(frozen=True)
class Decision:
    latency_s: float
    action: Literal["error", "drop_before", "drop_after"] | None
    status: int = 0


NO_FAULT = Decision(0.0, None)


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.settings: FaultSettings | None = None
        self.injected = 0
        self._rng = random.Random()

    def configure(self, settings: FaultSettings) -> None:
        with self._lock:
            self.settings = settings
            self.injected = 0
            self._rng = random.Random(settings.seed)

    def clear(self) -> None:
        with self._lock:
            self.settings = None
            self.injected = 0

    def describe(self) -> dict[str, object]:
        settings = self.settings or FaultSettings()
        return {**settings.model_dump(), "active": self.settings is not None, "injected": self.injected}

    def applies(self, path: str) -> bool:
        """Whether faults may touch `path` at all (the admin API and health never)."""
        settings = self.settings
        if settings is None or settings.paths is None:
            return path.startswith("/api/v2/")
        return any(path.startswith(prefix) for prefix in settings.paths)

    def decide(self, method: str) -> Decision:
        settings = self.settings
        if settings is None:
            return NO_FAULT
        with self._lock:
            if settings.methods is not None and method not in settings.methods:
                return NO_FAULT
            low, high = settings.latency_ms
            latency = self._rng.uniform(low, high) / 1000.0 if high > 0 else 0.0
            draw = self._rng.random()
            exhausted = settings.max_faults is not None and self.injected >= settings.max_faults
            if exhausted or draw >= settings.drop_rate + settings.error_rate:
                return Decision(latency, None)
            self.injected += 1
            if draw < settings.drop_rate:
                return Decision(latency, "drop_before" if settings.drop_mode == "before" else "drop_after")
            return Decision(latency, "error", self._rng.choice(settings.statuses))
