"""Helpers for the CLI tests: run `archctl` in-process and check `--json` output against its schema."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import jsonschema

from provider.cli import main as cli
from provider.cli import schemas as cli_schemas


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def doc(self) -> Any:
        return json.loads(self.out)


def archctl(*argv: str) -> Run:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), stdout=out, stderr=err)
    return Run(code, out.getvalue(), err.getvalue())


def archctl_json(command: str, *argv: str, expect: int | None = None) -> Run:
    """Run with --json and validate the document against the command's schema (or the error schema)."""
    run = archctl(command, *argv, "--json")
    doc = run.doc
    schema = cli_schemas.schema("error" if "error" in doc else command)
    if run.code == cli.EXIT_USAGE:
        assert "error" in doc
    jsonschema.validate(doc, schema)
    if expect is not None:
        assert run.code == expect, (run.code, run.out, run.err)
    return run
