"""Shared pytest fixtures. Each component keeps its fixtures in its own clearly marked section."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.testing import EmulatorProcess

# ==================================================================================================
# Architecture API emulator (owner: emulator). `emulator_server`: one emulator process per test
# session on a temporary database; `emulator`: the same process, reset (flows, statistics, faults,
# rate limit, token lifetime) before each test. Tokens issued earlier stay valid across resets.
# `module_emulator` (+ `module_monkeypatch`): a process per test module, for one org deployed once
# and shared by the module's tests.
# ==================================================================================================


@pytest.fixture(scope="session")
def emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    data = Path(tmp_path_factory.mktemp("emulator")) / "arch.db"
    with EmulatorProcess(data) as process:
        yield process


@pytest.fixture
def emulator(emulator_server: EmulatorProcess) -> Iterator[EmulatorProcess]:
    if not emulator_server.is_running():
        emulator_server.start()
    emulator_server.admin.reset()
    yield emulator_server


@pytest.fixture(scope="module")
def module_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """An emulator process of the test module's own, never reset between its tests: for modules whose
    tests share one deployed org (each test reads it, or leaves it as the next expects). Mark such a
    module `pytest.mark.xdist_group(<module>)` so its tests run on one worker and deploy once."""
    data = Path(tmp_path_factory.mktemp("module-emulator")) / "arch.db"
    with EmulatorProcess(data) as process:
        yield process


@pytest.fixture(scope="module")
def module_monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    """A monkeypatch undone after the module's last test (for module-scoped projects' environment)."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch


# ==================================================================================================
# (end of the emulator section)
# ==================================================================================================


# ==================================================================================================
# Test reports (owner: test infrastructure). `--durations-file PATH` writes every test's time
# (setup + call + teardown, slowest first) and the session's wall time: `make test` and
# `make test-fast` keep it under .reports/ beside the JUnit file, so a slow test is found by reading
# a file, not by re-running the suite. Under pytest-xdist the controller receives every report.
# ==================================================================================================


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--durations-file",
        default=None,
        metavar="PATH",
        help="write each test's duration (slowest first) and the session's wall time to PATH",
    )


class _Durations:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = time.monotonic()
        self.phases: dict[str, dict[str, float]] = {}
        self.outcomes: dict[str, str] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.phases.setdefault(report.nodeid, {})[report.when] = report.duration
        if report.when == "call" or report.outcome != "passed":
            self.outcomes[report.nodeid] = report.outcome

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        wall = time.monotonic() - self.started
        rows = sorted(self.phases.items(), key=lambda item: -sum(item[1].values()))
        total = sum(sum(p.values()) for _, p in rows)
        lines = [
            f"# wall {wall:.1f} s, {len(rows)} tests, {total:.1f} s of test time "
            f"(setup+call+teardown; more than the wall time under parallel workers)",
            "# total_s\tsetup_s\tcall_s\tteardown_s\toutcome\ttest",
        ]
        for nodeid, p in rows:
            lines.append(
                f"{sum(p.values()):.2f}\t{p.get('setup', 0):.2f}\t{p.get('call', 0):.2f}\t"
                f"{p.get('teardown', 0):.2f}\t{self.outcomes.get(nodeid, '?')}\t{nodeid}"
            )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--durations-file")
    # Only the controller writes (an xdist worker has `workerinput`).
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Durations(Path(path)), "durations-file")


# ==================================================================================================
# (end of the test reports section)
# ==================================================================================================
