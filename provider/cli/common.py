"""What every archctl command shares: exit codes, the usage error, the output and progress
writers, and resolving stacks, connections, folders and times from the arguments."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from provider.errors import ArchitectError, AuthError, ConfigurationError, ForbiddenError, TransportError
from provider.governance import audit as audit_mod
from provider.ops import sources
from provider.platforms.http.settings import ConnectionSettings

EXIT_OK = 0


EXIT_DIFF = 1


EXIT_USAGE = 2


def error_kind(exc: Exception) -> str:
    if isinstance(exc, ConfigurationError):
        return "configuration"
    if isinstance(exc, AuthError | ForbiddenError):
        return "auth"
    if isinstance(exc, TransportError):
        return "connection"
    return "failure"


def error_code(exc: ArchitectError) -> int:
    """Usage, configuration and connection errors (unreachable API, refused credentials or
    permission) end with 2; any other failure with 1."""
    return EXIT_DIFF if error_kind(exc) == "failure" else EXIT_USAGE


class CliError(Exception):
    """A failure that ends the command with exit code 2 (usage, configuration, connection)."""

    def __init__(self, message: str, kind: str = "usage", code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


@dataclass
class Output:
    """Where results go: stdout for the result, stderr for progress and notes."""

    json_mode: bool
    out: TextIO
    err: TextIO

    def emit(self, doc: dict[str, Any], human: str) -> None:
        if self.json_mode:
            self.out.write(json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n")
        else:
            self.out.write(human.rstrip("\n") + "\n")

    def note(self, text: str) -> None:
        self.err.write(text + "\n")
        self.err.flush()


class Progress:
    """Progress on stderr: a rewritten line on a terminal, else a line every 10% (or every 50 items)."""

    def __init__(self, err: TextIO, label: str) -> None:
        self.err = err
        self.label = label
        self.tty = bool(getattr(err, "isatty", lambda: False)())
        self._last_bucket = -1
        self._shown = False

    def __call__(self, done: int, total: int | None, item: str = "") -> None:
        if self.tty:
            of = f"/{total}" if total else ""
            self.err.write(f"\r{self.label}: {done}{of} {item[:40]:<40}")
            self.err.flush()
            self._shown = True
            return
        bucket = (done * 10 // total) if total else done // 50
        if bucket != self._last_bucket or (total and done == total):
            self._last_bucket = bucket
            of = f"/{total}" if total else ""
            self.err.write(f"{self.label}: {done}{of}\n")
            self.err.flush()

    def done(self, text: str = "") -> None:
        if self.tty and self._shown:
            self.err.write("\r" + " " * 70 + "\r")
        if text:
            self.err.write(f"{self.label}: {text}\n")
        self.err.flush()


def _connection_from_args(args: argparse.Namespace) -> ConnectionSettings:
    try:
        return ConnectionSettings.resolve(
            region=getattr(args, "region", None),
            api_url=getattr(args, "api_url", None),
            client_id=getattr(args, "client_id", None),
        )
    except ConfigurationError as exc:
        raise CliError(str(exc), "configuration") from exc


def _stack(name: str, *, with_state: bool = True) -> sources.StackInfo:
    try:
        return sources.stack_info(name, with_state=with_state)
    except ConfigurationError as exc:
        raise CliError(str(exc), "configuration") from exc


def _parse_since(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return audit_mod.parse_time(text)
    except ValueError as exc:
        raise CliError(
            f"--since {text!r}: expected an ISO 8601 date or time, e.g. 2026-11-28T10:00Z"
        ) from exc


def _configured_path(explicit: str | None, stack: str | None, setting: str) -> Path | None:
    """The option's path, else the stack's configured one (`metrics_dir` or `audit_log`), else None."""
    if explicit:
        return Path(explicit)
    configured = getattr(_stack(stack, with_state=False), setting) if stack else None
    return Path(configured) if configured else None


def _flows_dir(args: argparse.Namespace, info: sources.StackInfo | None = None) -> Path:
    return sources.flows_dir_for(info, getattr(args, "flows", None))
