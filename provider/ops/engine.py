"""How this project drives the Pulumi engine offline: the CLI it built, and the settings it runs with.

Used by the Makefile (through `python -m provider.ops.engine env`), the tests, the benchmarks and the
CLI's promotion command, so every run of the engine uses the same offline settings: a local file
backend, no update checks, no automatic plugin downloads and a passphrase secrets provider.

Checkpoints: these runs write the stack's state once, at the end (`PULUMI_SKIP_CHECKPOINTS=true`),
instead of after every step: the file backend rewrites the whole state per step, which makes a create
or a destroy of N flows cost O(N²) (bench/SCALING-NOTES.md). That is safe here because the provider
never writes without its write-ahead intent (provider/governance/intents.py: a write whose intent
cannot be recorded is refused): after a kill -9 the next `up` adopts the flows the killed run created,
takes the ones it updated as this stack's own, and treats the ones it deleted as gone
(tests/resilience/test_kill_phases.py). `GENESYS_FLOWS_CHECKPOINTS=step` keeps Pulumi's per-step
checkpoints; a `PULUMI_SKIP_CHECKPOINTS` already set is kept. With an s3:// backend the journal is in
the bucket too (provider/governance/trail.py), so end-of-run stays the default there (measured:
bench/team.py); an s3:// backend with an explicit local $GENESYS_FLOWS_AUDIT_LOG gets per-step
checkpoints, since another runner could not read that journal. A `pulumi` run by hand without these
settings keeps Pulumi's default (per step).
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pulumi import automation as auto

from provider.paths import PROJECT_DIR

# A demo value, documented as such in the README: it only protects the local demo stacks'
# secrets. Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) to use your own.
DEMO_PASSPHRASE = "genesys-flows-demo-passphrase"


def tools_root() -> Path:
    """The folder whose bin/ holds pulumi and its plugins (see scripts/install-pulumi)."""
    return Path(os.environ.get("PULUMI_TOOLS_DIR") or PROJECT_DIR / ".tools" / "pulumi")  # empty: unset


def tools_bin() -> Path:
    return tools_root() / "bin"


#: `step`: Pulumi's per-step checkpoints; `end` (the default here): one state write at the end.
CHECKPOINTS_ENV = "GENESYS_FLOWS_CHECKPOINTS"
CHECKPOINT_MODES = ("end", "step")


def skip_checkpoints(env: dict[str, str]) -> bool:
    """Whether an engine run with `env` writes its state only at the end (see the module docstring)."""
    mode = env.get(CHECKPOINTS_ENV, "").strip().lower()
    if mode:
        if mode not in CHECKPOINT_MODES:
            raise ValueError(f"{CHECKPOINTS_ENV}={mode!r}: expected one of {', '.join(CHECKPOINT_MODES)}")
        return mode == "end"
    if env.get("PULUMI_SKIP_CHECKPOINTS", "").strip():
        return env["PULUMI_SKIP_CHECKPOINTS"].strip().lower() in ("1", "true", "yes", "on")
    # A shared (s3://) state whose journal is kept in a local file (an explicit audit log): another
    # runner could not recover a killed run from it, so keep per-step checkpoints there.
    url = env.get("PULUMI_BACKEND_URL", "")
    return not (url.startswith("s3://") and env.get("GENESYS_FLOWS_AUDIT_LOG"))


def offline_env(
    *,
    backend_dir: Path | None = None,
    pulumi_home: Path | None = None,
    base: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment for one engine run: the built CLI and the venv first on PATH, offline flags.

    `backend_dir` and `pulumi_home` default to folders inside the project (git-ignored); tests pass
    temp folders instead. An explicit PULUMI_BACKEND_URL or passphrase in `base` is kept.
    """
    env = dict(os.environ if base is None else base)
    backend = backend_dir or PROJECT_DIR / ".pulumi" / "backend"
    home = pulumi_home or PROJECT_DIR / ".pulumi" / "home"
    backend.mkdir(parents=True, exist_ok=True)
    home.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.prefix) / "bin"
    env["PATH"] = os.pathsep.join([str(tools_bin()), str(venv_bin), env.get("PATH", "")])
    env.setdefault("PULUMI_BACKEND_URL", backend.resolve().as_uri())
    env["PULUMI_HOME"] = str(home)
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] = "true"
    env["PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"] = "true"
    env["PULUMI_SKIP_CONFIRMATIONS"] = "true"
    env["PULUMI_SKIP_CHECKPOINTS"] = "true" if skip_checkpoints(env) else "false"
    if "PULUMI_CONFIG_PASSPHRASE" not in env and "PULUMI_CONFIG_PASSPHRASE_FILE" not in env:
        env["PULUMI_CONFIG_PASSPHRASE"] = DEMO_PASSPHRASE
    # The dynamic provider process unpickles provider classes by module path.
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(PROJECT_DIR), env.get("PYTHONPATH", "")] if p)
    return env


def pulumi_command() -> auto.PulumiCommand:
    """The Automation API's handle on the CLI that scripts/install-pulumi put in the tools folder."""
    pulumi = tools_bin() / "pulumi"
    if not pulumi.exists():
        raise FileNotFoundError(f"{pulumi} does not exist: run scripts/install-pulumi (or `make tools`)")
    return _pulumi_command(str(tools_root()))


@functools.cache
def _pulumi_command(root: str) -> auto.PulumiCommand:
    # Making one runs `pulumi version` (even with the check skipped): once per process and CLI
    # folder, not once per stack an archctl command opens. The object holds only the path and version.
    from pulumi import automation as auto

    return auto.PulumiCommand(root=root, skip_version_check=True)


def _print_env(*, deploy: bool = False) -> None:
    """`python -m provider.ops.engine env [--deploy]`: shell exports for the CLI by hand; with
    `--deploy` (scripts/up, so `make deploy`) also the checkpoint setting of this project's runs."""
    home = os.environ.get("PULUMI_HOME")  # a runner's own (CI), else the project's
    env = offline_env(pulumi_home=Path(home) if home else None)
    keys = [
        "PATH",
        "PULUMI_BACKEND_URL",
        "PULUMI_HOME",
        "PULUMI_SKIP_UPDATE_CHECK",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
        "PULUMI_CONFIG_PASSPHRASE",
        "PYTHONPATH",
    ]
    if deploy:
        keys.append("PULUMI_SKIP_CHECKPOINTS")
    for key in keys:
        if key in env:
            print(f"export {key}={_quote(env[key])}")


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"


if __name__ == "__main__":
    if sys.argv[1:2] == ["env"] and sys.argv[2:] in ([], ["--deploy"]):
        try:
            _print_env(deploy=sys.argv[2:] == ["--deploy"])
        except ValueError as exc:
            sys.exit(f"error: {exc}")
    else:
        sys.exit("usage: python -m provider.ops.engine env [--deploy]")
