"""Admin-tunable behaviour of the real-platform routes (in memory; `/_emulator/reset` restores it)."""

from __future__ import annotations

import random
import threading

DEFAULT_ASYNC_DELAY = 0.2
DEFAULT_UPLOAD_TTL = 15 * 60.0


class GenesysSettings:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.async_delay = DEFAULT_ASYNC_DELAY
            #: Import jobs' duration, uniform in [low, high] seconds (low == high: fixed); None: the
            #: async delay, like check-in, publish and export.
            self.job_duration: tuple[float, float] | None = None
            self.export_duration: float | None = None
            self._random = random.Random()
            self.upload_ttl = DEFAULT_UPLOAD_TTL
            self.rebuilding = False
            self._fail_next = 0
            self._fail_text = ""

    def set_job_duration(
        self, low: float, high: float, seed: int | None = None, export: float | None = None
    ) -> None:
        with self._lock:
            self.job_duration = (low, high)
            self.export_duration = export
            self._random = random.Random(seed)

    def export_delay(self) -> float:
        """How long an export job takes (whatever its number of flows): set, else the async delay."""
        with self._lock:
            return self.async_delay if self.export_duration is None else self.export_duration

    def job_delay(self) -> float:
        """How long the import job starting now takes (a draw from the job duration)."""
        with self._lock:
            if self.job_duration is None:
                return self.async_delay
            low, high = self.job_duration
            return low if high <= low else self._random.uniform(low, high)

    def set_job_faults(self, fail_next: int, text: str) -> None:
        with self._lock:
            self._fail_next = fail_next
            self._fail_text = text

    def take_job_fault(self) -> str | None:
        """The failure text for the job starting now, if an injected job fault is pending."""
        with self._lock:
            if self._fail_next <= 0:
                return None
            self._fail_next -= 1
            return self._fail_text
