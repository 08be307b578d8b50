"""Schemathesis (PyPI) fuzzes the served OpenAPI document against the running emulator: no 5xx,
and no response that contradicts the document (status codes, content types, headers, bodies),
schema-violating requests rejected, undocumented methods answered 405 with a correct Allow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator.testing import EmulatorProcess, get_token

# schemathesis sends thousands of requests (~20 s); in a process of its own (pyproject's markers)
pytestmark = [pytest.mark.slow, pytest.mark.own_process]

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
        "missing_required_header",
        "unsupported_method",
        "allow_header_conformance",
        "use_after_free",
        "ensure_resource_availability",
        "ignored_auth",
    ]
)


# Schema-violating requests must be rejected with a documented 4xx. 410 counts as a rejection: on a
# deleted flow the emulator answers 410 before it reads the body (the flow is checked first).
SCHEMATHESIS_CONFIG = """
[checks.negative_data_rejection]
expected-statuses = [
  "400", "401", "403", "404", "405", "406", "409", "410", "413", "415", "422", "428", "429",
]
"""


def _schemathesis() -> list[str]:
    exe = Path(sys.executable).with_name("schemathesis")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("schemathesis") or shutil.which("st")
    assert found, "schemathesis is a test dependency (requirements-dev.txt)"
    return [found]


def test_fuzz_openapi_document(emulator: EmulatorProcess, tmp_path: Path) -> None:
    emulator.admin.set_rate_limit(1_000_000)
    token = get_token(emulator.url, "dev-rw")
    seed = os.environ.get("EMULATOR_FUZZ_SEED", "20261128")
    config = tmp_path / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_CONFIG)
    cmd = [
        *_schemathesis(),
        "--config-file",
        str(config),
        "run",
        f"{emulator.url}/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        CHECKS,
        "--mode",
        "all",
        "--max-examples",
        os.environ.get("EMULATOR_FUZZ_EXAMPLES", "40"),
        "--seed",
        seed,
        "--request-timeout",
        "20",
        "--workers",
        "2",
        "--output-truncate",
        "false",
    ]
    env = {**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_TELEMETRY": "false"}
    result = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "passed" in output
    stats = emulator.admin.stats()
    assert not [r for r in stats["requests"] if r["status"] >= 500], stats["requests"]
    assert stats["total_requests"] > 500
