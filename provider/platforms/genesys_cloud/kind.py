"""The registry's row for Genesys Cloud (`PlatformKind`): Archy definitions, content read through
export jobs, locks, no `merge`. Light to import: the platform is imported when a stack connects."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provider.domain import snapshot
from provider.domain.checks import Current
from provider.domain.loading import DefinitionError, PreparedSet
from provider.domain.problems import Problem
from provider.platforms.base import OrgCheck, Platform, PlatformConfig, Progress
from provider.platforms.genesys_cloud import neutral, org, rules
from provider.platforms.genesys_cloud.loading import definition_keys, prepare_archy
from provider.platforms.genesys_cloud.rules import CONFLICT_POLICIES, NAME
from provider.platforms.importing import ImportPlan, ImportRequest
from provider.platforms.org import ExportFiles, OrgRead

if TYPE_CHECKING:
    from provider.platforms.http.pool import ClientPool
    from provider.platforms.http.recorder import Recorder


class GenesysCloud:
    name = NAME
    conflict_policies = CONFLICT_POLICIES
    locks = True
    cycles = True
    # A refresh keeps the revision we last wrote as the base (deploy/inputs.refreshed).
    refresh_by_default = True

    def connect(
        self, config: PlatformConfig, *, recorder: Recorder | None = None, pool: ClientPool | None = None
    ) -> Platform:
        from provider.platforms.genesys_cloud.platform import GenesysCloudPlatform

        return GenesysCloudPlatform.from_config(config, recorder=recorder, pool=pool)

    def field_problems(
        self, data: Mapping[str, Any], *, flow: str, current: Current | None = None
    ) -> list[Problem]:
        # The rest of its rules need the Archy document: `GenesysCloudPlatform.validate`.
        return rules.field_problems(data, flow=flow)

    def prepare(self, directory: Path, substitutions: Mapping[str, str] | None) -> PreparedSet:
        return prepare_archy(directory, substitutions)

    def owns_folder(self, directory: Path) -> bool:
        return org.is_definitions_folder(directory)

    def definition_keys(self, directory: Path) -> list[str]:
        return definition_keys(directory)  # Archy content files (`MyFlow.yaml`) are no definitions

    def kept_placeholders(self, directory: Path) -> dict[str, str]:
        return org.kept_placeholders(directory)

    def definition_docs(
        self, directory: Path, substitutions: Mapping[str, str] | None
    ) -> dict[str, snapshot.FlowDoc]:
        docs, problems = org.definition_docs(Path(directory), substitutions or None)
        if problems:
            raise DefinitionError(problems, f"unreadable flow definitions in {directory}")
        return docs

    def check_org_objects(
        self, connect: Callable[[], Platform], prepared: PreparedSet, *, org: str
    ) -> OrgCheck:
        from provider.platforms.genesys_cloud.org_check import check
        from provider.platforms.genesys_cloud.platform import GenesysCloudPlatform

        platform = connect()
        if not isinstance(platform, GenesysCloudPlatform):
            raise TypeError(f"{self.name}: the org-objects check needs its own platform, not {platform!r}")
        texts = {key: str(getattr(d, "archy", "") or "") for key, d in prepared.definitions.items()}
        return check(platform.requestor, texts, org=org)

    def read_org(
        self,
        platform: Platform,
        *,
        known_ids: Mapping[str, str] | None = None,
        definitions: Mapping[str, Mapping[str, Any]] | None = None,
        source: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> OrgRead:
        flows = org.read_flows(platform, progress)
        return org.org_read(flows, known_ids=known_ids, definitions=definitions, source=source)

    def write_export(
        self,
        read: OrgRead,
        out_dir: Path,
        *,
        substitutions: Mapping[str, str] | None = None,
        definitions_dir: Path | None = None,
    ) -> ExportFiles:
        own = neutral.own_substitutions(definitions_dir) if substitutions else {}
        return neutral.write_export(read, out_dir, substitutions=substitutions or {}, own=own)

    def rollback_files(
        self, directory: Path, key: str, text: str, substitutions: Mapping[str, str]
    ) -> tuple[dict[Path, str], list[str]]:
        from provider.platforms.genesys_cloud.rollback import rollback_files

        return rollback_files(directory, key, text, substitutions)

    def import_plan(self, platform: Platform, request: ImportRequest) -> ImportPlan:
        from provider.platforms.genesys_cloud.adopt import import_plan

        return import_plan(self, platform, request)


KIND = GenesysCloud()
