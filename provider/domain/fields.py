"""A flow's managed fields and their vocabulary, the same on every platform: the flow types, the
lifecycle states, and which fields a writer manages (the provider diffs them; files write them in
`FILE_ORDER`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, Field, create_model

M = TypeVar("M", bound=BaseModel)


class FlowType(StrEnum):
    """The real platform's 21 flow types; a platform's rules reject the ones it does not know
    (architecture-api: BUSINESSPROCESS, EMAILSEND)."""

    BOT = "BOT"
    BUSINESSPROCESS = "BUSINESSPROCESS"
    COMMONMODULE = "COMMONMODULE"
    DIGITALBOT = "DIGITALBOT"
    EMAILSEND = "EMAILSEND"
    INBOUNDCALL = "INBOUNDCALL"
    INBOUNDCHAT = "INBOUNDCHAT"
    INBOUNDEMAIL = "INBOUNDEMAIL"
    INBOUNDSHORTMESSAGE = "INBOUNDSHORTMESSAGE"
    INQUEUECALL = "INQUEUECALL"
    INQUEUEEMAIL = "INQUEUEEMAIL"
    INQUEUESHORTMESSAGE = "INQUEUESHORTMESSAGE"
    OUTBOUNDCALL = "OUTBOUNDCALL"
    SECURECALL = "SECURECALL"
    SPEECH = "SPEECH"
    SURVEYINVITE = "SURVEYINVITE"
    VOICE = "VOICE"
    VOICEMAIL = "VOICEMAIL"
    VOICESURVEY = "VOICESURVEY"
    WORKFLOW = "WORKFLOW"
    WORKITEM = "WORKITEM"


class LifecycleState(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class ValueKind(StrEnum):
    """What a simple field holds."""

    TEXT = "text"
    TEXT_LIST = "text list"
    BOOL = "bool"


@dataclass(frozen=True)
class Attribute:
    """One simple managed field (a row of `ATTRIBUTES`): every consumer (definition files, the
    document, Pulumi inputs and outputs, snapshots, the platforms' wire tables) iterates the table, so
    a new field is a row here plus its mapping in the wire of each platform that carries it."""

    name: str
    kind: ValueKind
    #: One line, shown by the definition files' JSON schema.
    doc: str
    #: The canonical value when the field is absent or None; None: the kind's empty value ("",
    #: no items, false). A text list's is a tuple.
    default: Any = None
    max_length: int | None = None
    #: A change replaces the flow (as a change of `type` does).
    replaces: bool = False

    def __post_init__(self) -> None:
        if self.default is None:
            empty = {ValueKind.TEXT: "", ValueKind.TEXT_LIST: (), ValueKind.BOOL: False}[self.kind]
            object.__setattr__(self, "default", empty)

    def value(self, raw: Any) -> Any:
        """`raw` with None as the default (other values kept as they are: a wrong shape stays
        visible to the rules)."""
        if raw is None:
            return list(self.default) if self.kind is ValueKind.TEXT_LIST else self.default
        return raw

    def canonical(self, raw: Any) -> Any:
        """`raw` as plain canonical data (files, snapshots): empty as the default, text as str."""
        if self.kind is ValueKind.TEXT_LIST:
            return [str(v) for v in raw or self.default]
        if self.kind is ValueKind.BOOL:
            return bool(raw if raw is not None else self.default)
        return str(raw or self.default)

    def annotation(self, *, frozen: bool = False) -> Any:
        if self.kind is ValueKind.TEXT_LIST:
            return tuple[str, ...] if frozen else list[str]
        return bool if self.kind is ValueKind.BOOL else str

    def field(
        self, *, frozen: bool = False, optional: bool = False, limits: bool = False, doc: str | None = None
    ) -> Any:
        """The field as `pydantic.create_model` takes it: (annotation, FieldInfo). `limits`: the
        model enforces `max_length` (definition files; elsewhere the platform's rules report it)."""
        annotation = self.annotation(frozen=frozen)
        default = None if optional else (self.default if frozen else self.value(None))
        max_length = self.max_length if limits else None
        info = Field(default=default, max_length=max_length, description=doc or self.doc)
        return (annotation | None, info) if optional else (annotation, info)


#: The simple managed fields, in file order (after `name`). A new one: a row here, then its mapping
#: in the wire table of each platform that carries it (architecture-api: `WIRE_ATTRIBUTES` in
#: provider/domain/models.py; genesys-cloud: provider/platforms/genesys_cloud/wire.py).
ATTRIBUTES: list[Attribute] = [
    Attribute(
        "description",
        ValueKind.TEXT,
        "What the flow is for, as the organization shows it (at most 2000 characters)",
        max_length=2000,
    ),
]
#: The description's name, for the code that handles it apart (genesys-cloud keeps it in the Archy
#: document; `LiveFlow.description`).
DESCRIPTION = "description"

#: The fields a writer manages (and the provider diffs). `type` is immutable after create.
MANAGED_FIELDS: tuple[str, ...] = ()
#: The same fields in the order definition and snapshot files write them (the block tree last).
FILE_ORDER: tuple[str, ...] = ()
#: The fields whose change replaces the flow.
REPLACING_FIELDS: tuple[str, ...] = ()


def _derive() -> None:
    global MANAGED_FIELDS, FILE_ORDER, REPLACING_FIELDS
    names = tuple(a.name for a in ATTRIBUTES)
    MANAGED_FIELDS = ("name", *names, "type", "lifecycle_state", "blocks", "references")
    FILE_ORDER = (*(f for f in MANAGED_FIELDS if f != "blocks"), "blocks")
    REPLACING_FIELDS = ("type", *(a.name for a in ATTRIBUTES if a.replaces))


_derive()


def add_attribute(attribute: Attribute) -> None:
    """A row added at run time (a test, an extension), before any other module of the provider is
    imported: the derived values and the models generated from the table are built at import."""
    ATTRIBUTES.append(attribute)
    _derive()


def attribute(name: str) -> Attribute | None:
    """The row of the simple field `name`, if it is one."""
    return next((a for a in ATTRIBUTES if a.name == name), None)


def attribute_values(source: Any, *, canonical: bool = False) -> dict[str, Any]:
    """Every attribute of `source` (a mapping, or an object with the fields as attributes), None as
    the default."""
    get = source.get if isinstance(source, Mapping) else lambda name: getattr(source, name, None)
    return {a.name: (a.canonical if canonical else a.value)(get(a.name)) for a in ATTRIBUTES}


def with_attributes(
    base: type[M],
    name: str,
    *,
    frozen: bool = False,
    optional: bool = False,
    limits: bool = False,
    doc: Callable[[Attribute], str] | None = None,
) -> type[M]:
    """`base` extended by a field for every attribute (a pydantic model generated from the table;
    `optional`: None by default, e.g. where another source gives the value; `limits`: enforce
    `max_length`; `doc`: the schema's text)."""
    extra = {
        a.name: a.field(frozen=frozen, optional=optional, limits=limits, doc=doc(a) if doc else None)
        for a in ATTRIBUTES
    }
    return create_model(name, __base__=base, __module__=base.__module__, **extra)
