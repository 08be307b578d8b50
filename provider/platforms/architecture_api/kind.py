"""The registry's row for the tutorial's Architecture API (`PlatformKind`): block-tree definitions,
an org whose listing holds whole flows, three conflict policies. Light to import: the client and
the platform are imported when a stack connects."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provider.domain import loading, snapshot
from provider.domain.checks import Current
from provider.domain.loading import PreparedSet
from provider.domain.problems import Problem
from provider.errors import ConfigurationError
from provider.platforms.architecture_api.client import CONFLICT_POLICIES
from provider.platforms.architecture_api.platform import NAME
from provider.platforms.architecture_api.rules import contract_problems
from provider.platforms.base import OrgCheck, Platform, PlatformConfig, Progress
from provider.platforms.importing import ImportPlan, ImportRequest
from provider.platforms.org import ExportFiles, OrgRead, list_org

if TYPE_CHECKING:
    from provider.platforms.http.pool import ClientPool
    from provider.platforms.http.recorder import Recorder

RULE_ARCHY_PLATFORM = loading.RULE_OTHER_CONTENT
#: The tutorial's API keeps no published versions with their content to go back to.
ROLLBACK_UNSUPPORTED = (
    f"flow {{key!r}}: rollback is not supported on platform {NAME}: the tutorial's API keeps no "
    "published versions to republish; revert the definition in Git and deploy instead"
)


def archy_on_block_platform(key: str, file_name: str) -> Problem:
    return Problem(
        key,
        "archy",
        RULE_ARCHY_PLATFORM,
        f"{file_name}: `archy` content is for platform genesys-cloud; this stack's platform "
        "(architecture-api) takes a `blocks` tree",
    )


class ArchitectureApi:
    name = NAME
    conflict_policies = CONFLICT_POLICIES
    locks = False
    cycles = False
    # A refresh takes the live version as the base: `merge`/`fail` would no longer see a hand edit.
    refresh_by_default = False

    def connect(
        self, config: PlatformConfig, *, recorder: Recorder | None = None, pool: ClientPool | None = None
    ) -> Platform:
        from provider.platforms.architecture_api.client import ArchitectClient
        from provider.platforms.architecture_api.platform import ArchitectureApiPlatform

        return ArchitectureApiPlatform(ArchitectClient(config.connection(), recorder=recorder, pool=pool))

    def field_problems(
        self, data: Mapping[str, Any], *, flow: str, current: Current | None = None
    ) -> list[Problem]:
        from provider.platforms.architecture_api.platform import platform_problems

        return contract_problems(data, flow=flow, current=current) + platform_problems(data, flow=flow)

    def prepare(self, directory: Path, substitutions: Mapping[str, str] | None) -> PreparedSet:
        return loading.prepare(
            directory, substitutions, rules=contract_problems, other_content=archy_on_block_platform
        )

    def owns_folder(self, directory: Path) -> bool:
        return False  # plain definitions: the default reader of a folder

    def definition_keys(self, directory: Path) -> list[str]:
        return [p.stem for p in loading.definition_files(directory)] if Path(directory).is_dir() else []

    def kept_placeholders(self, directory: Path) -> dict[str, str]:
        names: set[str] = set()
        for path in loading.definition_files(directory) if Path(directory).is_dir() else []:
            try:
                names.update(loading.PLACEHOLDER_RE.findall(path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError):
                continue
        return {name: "{{" + name + "}}" for name in names}

    def definition_docs(
        self, directory: Path, substitutions: Mapping[str, str] | None
    ) -> dict[str, snapshot.FlowDoc]:
        loaded = loading.load_definitions(
            Path(directory), dict(substitutions) if substitutions else None, rules=contract_problems
        )
        return {key: snapshot.normalize(loading.as_document(d)) for key, d in sorted(loaded.items())}

    def check_org_objects(
        self, connect: Callable[[], Platform], prepared: PreparedSet, *, org: str
    ) -> OrgCheck:
        return OrgCheck()  # its flows name no org object but other flows: no call

    def read_org(
        self,
        platform: Platform,
        *,
        known_ids: Mapping[str, str] | None = None,
        definitions: Mapping[str, Mapping[str, Any]] | None = None,
        source: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> OrgRead:
        flows = list_org(platform, progress)
        known = {flow_id: key for key, flow_id in (known_ids or {}).items()}
        return OrgRead(snapshot.from_flows(flows, known=known, definitions=definitions, source=source))

    def write_export(
        self,
        read: OrgRead,
        out_dir: Path,
        *,
        substitutions: Mapping[str, str] | None = None,
        definitions_dir: Path | None = None,
    ) -> ExportFiles:
        return ExportFiles(snapshot.write(read.snapshot, Path(out_dir)))  # block trees: values as they are

    def rollback_files(
        self, directory: Path, key: str, text: str, substitutions: Mapping[str, str]
    ) -> tuple[dict[Path, str], list[str]]:
        raise ConfigurationError(ROLLBACK_UNSUPPORTED.format(key=key))

    def import_plan(self, platform: Platform, request: ImportRequest) -> ImportPlan:
        from provider.platforms.architecture_api.adopt import import_plan

        return import_plan(self, platform, request)


KIND = ArchitectureApi()
