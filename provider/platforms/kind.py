"""`PlatformKind`: one row of the registry of platforms (`provider.platforms.PLATFORMS`), what the
rest of the project needs from a platform before (and besides) a connection. Each platform package
implements it in its own `kind.py`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from provider.domain import snapshot as snap
from provider.domain.checks import Current
from provider.domain.loading import PreparedSet
from provider.domain.problems import Problem
from provider.platforms.base import ConflictPolicy, OrgCheck, Platform, PlatformConfig, Progress
from provider.platforms.importing import ImportPlan, ImportRequest
from provider.platforms.org import ExportFiles, OrgRead

if TYPE_CHECKING:
    from provider.platforms.http.pool import ClientPool
    from provider.platforms.http.recorder import Recorder


class PlatformKind(Protocol):
    """What the rest of the project needs from a platform before (and besides) a connection: one row
    of the registry (`provider.platforms.PLATFORMS`). Each platform package has one (`kind.py`)."""

    #: `genesys-flows:platform`.
    name: str
    #: The conflict policies it supports, the default first.
    conflict_policies: tuple[ConflictPolicy, ...]
    #: Whether it locks flows (`forceUnlock` applies).
    locks: bool
    #: Whether a cycle of flows is deployable (references bound by name), not a problem.
    cycles: bool
    #: Whether a refresh keeps the base of the next update (someone else's edit is still seen by the
    #: conflict policy): then `make deploy`, ci-deploy and `archctl promote` refresh by default.
    refresh_by_default: bool

    def connect(
        self, config: PlatformConfig, *, recorder: Recorder | None = None, pool: ClientPool | None = None
    ) -> Platform:
        """The platform over the config's connection (its implementation imported only now)."""
        ...

    def field_problems(
        self, data: Mapping[str, Any], *, flow: str, current: Current | None = None
    ) -> list[Problem]:
        """The rules it adds to the domain's neutral checks (`provider.domain.checks`), on a flow's
        managed fields, without the network. `current` is the flow as it is now (an update; None: a
        create): the rules that depend on it (e.g. lifecycle transitions) need it."""
        ...

    def prepare(self, directory: Path, substitutions: Mapping[str, str] | None) -> PreparedSet:
        """Its definitions in `directory`: read, substituted, validated, pre-checked (never raises)."""
        ...

    def owns_folder(self, directory: Path) -> bool:
        """Whether `directory` holds definitions only this platform reads (its content files)."""
        ...

    def definition_keys(self, directory: Path) -> list[str]:
        """The keys of the folder's definitions (its content files left out)."""
        ...

    def kept_placeholders(self, directory: Path) -> dict[str, str]:
        """Substitutions that leave every placeholder of the folder as written (no stack)."""
        ...

    def definition_docs(
        self, directory: Path, substitutions: Mapping[str, str] | None
    ) -> dict[str, snap.FlowDoc]:
        """The definitions as normalized flow documents by key; `DefinitionError` lists every problem.
        Without substitutions (no stack), placeholders stay as written."""
        ...

    def check_org_objects(
        self, connect: Callable[[], Platform], prepared: PreparedSet, *, org: str
    ) -> OrgCheck:
        """The org objects the prepared definitions name (queues, prompts, ...), each checked in the
        org read-only (`connect` gives the platform, called only when there is an org to ask); `org`
        names it in the problems (the stack). Raises `ArchitectError` when the org cannot be reached
        or refuses the credentials."""
        ...

    def read_org(
        self,
        platform: Platform,
        *,
        known_ids: Mapping[str, str] | None = None,
        definitions: Mapping[str, Mapping[str, Any]] | None = None,
        source: Mapping[str, Any] | None = None,
        progress: Progress | None = None,
    ) -> OrgRead:
        """The organization by logical key (with each flow's content where it is read apart)."""
        ...

    def write_export(
        self,
        read: OrgRead,
        out_dir: Path,
        *,
        substitutions: Mapping[str, str] | None = None,
        definitions_dir: Path | None = None,
    ) -> ExportFiles:
        """`archctl export`: the definition files that describe the organization read, written; with
        a stack's `substitutions` (and its `definitions_dir`), its placeholders put back where the
        platform's content holds their values, so that the export deploys to any environment."""
        ...

    def rollback_files(
        self, directory: Path, key: str, text: str, substitutions: Mapping[str, str]
    ) -> tuple[dict[Path, str], list[str]]:
        """`archctl rollback`: the files that make flow `key`'s definition in `directory` hold the
        version `text` (placeholders restored), and notes; `ConfigurationError` where the platform
        keeps no versions to roll back to."""
        ...

    def import_plan(self, platform: Platform, request: ImportRequest) -> ImportPlan:
        """`archctl import`: which live flows a stack adopts and which definition files it writes."""
        ...
