"""Which org a stack reaches: one answer for every entry point.

`make deploy` (scripts/up), every `archctl` command with `--stack`, promotion, import and a `pulumi`
run by hand through `scripts/pulumi` all resolve a stack's API the same way:

- a stack whose `genesys-flows:apiUrl` is the emulator's default address (`DEFAULT_EMULATOR_URL`)
  means "this checkout's emulator": the address it really listens on, recorded by scripts/up in
  `<checkout>/.emulator/port` (another checkout's emulator on 8099 is never reached by mistake);
  `GENESYS_FLOWS_EMULATOR_URL` overrides the recorded port (scripts/pulumi and the Automation API
  runs of the CLI set it, so the program and the provider process see the same address);
- any other URL, or a region, is used as written.

And which platform: genesys-cloud unless the stack says otherwise (`default_platform`); the tutorial's
Architecture API only when `genesys-flows:platform: architecture-api` is explicit, and only for a
loopback (emulator) URL or one the user vouches for with `genesys-flows:trustApiUrl: true`
(`architecture_api_problem`).

No Pulumi and no network here: the program, the provider process and the CLI all import it (the
platform names come from the registry, provider/platforms).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from provider import platforms

#: The address the committed emulator stacks name; read as "this checkout's emulator".
DEFAULT_EMULATOR_URL = "http://127.0.0.1:8099"
#: Set by scripts/up, scripts/pulumi and the CLI's engine runs: this checkout's emulator.
ENV_EMULATOR_URL = "GENESYS_FLOWS_EMULATOR_URL"
#: The platform a stack is on when it does not say (the real Genesys Cloud flows API), and the
#: tutorial's (named by the platform registry).
DEFAULT_PLATFORM = platforms.DEFAULT
TUTORIAL_PLATFORM = platforms.TUTORIAL
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


def port_file(project_dir: Path) -> Path:
    """Where scripts/up records the port of this checkout's emulator."""
    return Path(project_dir) / ".emulator" / "port"


def checkout_emulator_url(project_dir: Path | None, env: Mapping[str, str] | None = None) -> str | None:
    """This checkout's emulator: $GENESYS_FLOWS_EMULATOR_URL, else the port scripts/up recorded in
    `<project_dir>/.emulator/port`, else None (no emulator started by this checkout)."""
    environ = os.environ if env is None else env
    explicit = (environ.get(ENV_EMULATOR_URL) or "").strip()
    if explicit:
        return explicit.rstrip("/")
    if project_dir is None:
        return None
    try:
        port = port_file(project_dir).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return f"http://127.0.0.1:{port}" if port.isdigit() else None


def effective_api_url(
    api_url: str | None, *, project_dir: Path | None = None, env: Mapping[str, str] | None = None
) -> str | None:
    """The URL a stack's `apiUrl` reaches from this checkout (see the module docstring)."""
    if api_url is None or api_url.rstrip("/") != DEFAULT_EMULATOR_URL:
        return api_url
    return checkout_emulator_url(project_dir, env) or api_url


def engine_env_for(project_dir: Path, env: Mapping[str, str]) -> dict[str, str]:
    """`env` plus this checkout's emulator address for an engine run on `project_dir` (so the
    program and the provider process resolve the default address as the CLI does)."""
    out = dict(env)
    url = checkout_emulator_url(project_dir, env)
    if url:
        out[ENV_EMULATOR_URL] = url
    return out


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in {h.strip("[]") for h in LOOPBACK_HOSTS}


def default_platform(platform: str | None) -> str:
    """The platform a stack is on: the one it names, else genesys-cloud."""
    return platform or DEFAULT_PLATFORM


def architecture_api_problem(api_url: str | None, region: str | None, *, trusted: bool) -> str | None:
    """Why `platform: architecture-api` cannot be used with this address (None: it can)."""
    if region and not api_url:
        return (
            f"is {TUTORIAL_PLATFORM} (the tutorial's Architecture API, which Genesys Cloud does not "
            f"serve), but the stack names region {region!r}: remove genesys-flows:platform "
            "(genesys-cloud is the default) to deploy to that region"
        )
    if api_url and not is_loopback(api_url) and not trusted:
        return (
            f"is {TUTORIAL_PLATFORM} (the tutorial's Architecture API, served by this project's "
            f"emulator, not by Genesys Cloud), but apiUrl {api_url!r} is not a local emulator: "
            "remove genesys-flows:platform for a Genesys Cloud org, or set "
            "genesys-flows:trustApiUrl to true if that URL really serves the Architecture API"
        )
    return None


def describe(platform: str, api_url: str | None, region: str | None) -> str:
    """One line saying what a stack's org is (for notes printed before a run)."""
    where = api_url or (f"region {region}" if region else "the GENESYSCLOUD_* environment")
    if platform == TUTORIAL_PLATFORM:
        return f"the tutorial's Architecture API (not Genesys Cloud) at {where}"
    kind = "the emulator of Genesys Cloud" if api_url and is_loopback(api_url) else "Genesys Cloud"
    return f"{kind} (the real flows API) at {where}"


def describe_file(path: Path) -> tuple[str, bool]:
    """What the stack file at `path` deploys to, and whether that is this checkout's emulator (its
    apiUrl is the emulator's default address). Read as plain YAML: no passphrase needed."""
    values = file_values(path)
    if values is None:
        return f"no {path}: the org comes from `pulumi config` and the GENESYSCLOUD_* variables", False

    def text(key: str) -> str | None:
        value = values.get(key)
        return str(value).strip() or None if isinstance(value, str | int) else None

    api_url = text("apiUrl")
    platform = default_platform(text("platform"))
    on_emulator = api_url is not None and api_url.rstrip("/") == DEFAULT_EMULATOR_URL
    return describe(platform, api_url, text("region")), on_emulator


#: The stack `make deploy` and argument-less commands use: the Genesys Cloud sample set.
DEFAULT_STACK = "gc-dev"
#: Names the current stack for argument-less commands (`archctl validate`).
ENV_STACK = "GENESYS_FLOWS_STACK"


def current_stack(env: Mapping[str, str] | None = None) -> str:
    """The stack an argument-less command works on: $GENESYS_FLOWS_STACK, else gc-dev."""
    environ = os.environ if env is None else env
    return (environ.get(ENV_STACK) or "").strip() or DEFAULT_STACK


def stack_file_values(project_dir: Path, stack: str) -> dict[str, object] | None:
    """The plain `genesys-flows:*` values of `stacks/Pulumi.<stack>.yaml` (`file_values`)."""
    return file_values(Path(project_dir) / "stacks" / f"Pulumi.{stack}.yaml")


def file_values(path: Path) -> dict[str, object] | None:
    """The plain `genesys-flows:*` values of the stack file at `path` (keys without the namespace;
    secrets left out), read as YAML without the passphrase; None without the file."""
    import yaml

    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    values = data.get("config") if isinstance(data, dict) else None
    prefix = "genesys-flows:"
    return {
        key[len(prefix) :]: value
        for key, value in (values if isinstance(values, dict) else {}).items()
        if isinstance(key, str)
        and key.startswith(prefix)
        and not (isinstance(value, dict) and "secure" in value)  # an encrypted value
    }


def main(argv: list[str]) -> int:
    """`python -m provider.deploy.stack_org describe STACK_FILE` (scripts/up): print what the stack
    deploys to; exit 0 when that is this checkout's emulator, 1 when not. (Whether `up` refreshes a
    stack: `python -m provider.deploy.config refresh STACK_FILE`, the stack-config model's answer.)"""
    if len(argv) != 2 or argv[0] != "describe":
        print("usage: python -m provider.deploy.stack_org describe STACK_FILE", file=sys.stderr)
        return 2
    import yaml

    try:
        what, on_emulator = describe_file(Path(argv[1]))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: {argv[1]}: {exc}", file=sys.stderr)
        return 2
    print(what)
    return 0 if on_emulator else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
