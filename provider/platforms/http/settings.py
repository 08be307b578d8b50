"""Where the API is and who we are: region or explicit URL, OAuth client id and secret.

Arguments win over environment variables (named as Genesys' own CX-as-Code tooling names them). A
missing or unknown value raises `ConfigurationError` naming the argument and the variable to set.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from provider.errors import ConfigurationError

ENV_CLIENT_ID = "GENESYSCLOUD_OAUTHCLIENT_ID"
ENV_CLIENT_SECRET = "GENESYSCLOUD_OAUTHCLIENT_SECRET"
ENV_REGION = "GENESYSCLOUD_REGION"
ENV_API_URL = "GENESYSCLOUD_API_URL"

#: Region name → domain; a region serves `https://api.<domain>` and `https://login.<domain>`.
REGIONS: dict[str, str] = {
    "us-east-1": "mypurecloud.com",
    "us-east-2": "use2.us-gov-pure.cloud",
    "us-west-2": "usw2.pure.cloud",
    "ca-central-1": "cac1.pure.cloud",
    "sa-east-1": "sae1.pure.cloud",
    "mx-central-1": "mxc1.pure.cloud",
    "eu-west-1": "mypurecloud.ie",
    "eu-west-2": "euw2.pure.cloud",
    "eu-central-1": "mypurecloud.de",
    "eu-central-2": "euc2.pure.cloud",
    "me-central-1": "mec1.pure.cloud",
    "ap-south-1": "aps1.pure.cloud",
    "ap-northeast-1": "mypurecloud.jp",
    "ap-northeast-2": "apne2.pure.cloud",
    "ap-northeast-3": "apne3.pure.cloud",
    "ap-southeast-1": "apse1.pure.cloud",
    "ap-southeast-2": "mypurecloud.com.au",
    "eusc-de-east-1": "edee1.eusc-pure.cloud",
}


def _require(
    cid: str | None, secret: str | None, url: str | None, reg: str | None, pass_or_set: Callable[[str], str]
) -> None:
    """Every missing setting named at once, with where it can come from (`pass_or_set(arg)`: as the
    caller's user sets it, e.g. "set genesys-flows:clientId")."""
    missing = []
    if cid is None:
        missing.append(f"the OAuth client id: {pass_or_set('client_id')} or set {ENV_CLIENT_ID}")
    if secret is None:
        missing.append(f"the OAuth client secret: {pass_or_set('client_secret')} or set {ENV_CLIENT_SECRET}")
    if url is None and reg is None:
        missing.append(
            f"where the API is: {pass_or_set('region')} or set {ENV_REGION} (e.g. us-east-1), "
            f"or {pass_or_set('api_url')} or set {ENV_API_URL}"
        )
    if missing:
        raise ConfigurationError("missing setting(s): " + "; ".join(missing))


def _base_url(url: str, named: str) -> str:
    """An explicit API URL, checked, without a trailing slash (`named`: how the user set it)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"invalid API URL {url!r} (from {named} or {ENV_API_URL}): "
            "expected http(s)://host[:port], e.g. http://127.0.0.1:8099"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def _endpoints(url: str | None, reg: str | None, named: Callable[[str], str]) -> tuple[str, str, str | None]:
    """The API and login base URLs and the region: an explicit URL serves both (and overrides the
    region), else the region's domain."""
    if url is not None:
        base = _base_url(url, named("api_url"))
        return base, base, reg.lower() if reg else None
    assert reg is not None
    key = reg.lower()
    domain = REGIONS.get(key)
    if domain is None:
        raise ConfigurationError(
            f"unknown region {reg!r} (from {named('region')} or {ENV_REGION}); valid regions: "
            + ", ".join(REGIONS)
        )
    return f"https://api.{domain}", f"https://login.{domain}", key


@dataclass(frozen=True)
class ConnectionSettings:
    """Resolved connection settings. The secret is kept out of `repr()` and never logged."""

    api_base_url: str
    login_base_url: str
    client_id: str
    client_secret: str = field(repr=False)
    region: str | None = None
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    #: Where the client id and the secret were set, as the user set them (a stack key, an
    #: environment variable or an argument): named by messages about the credentials.
    credentials_from: tuple[str, str] = field(
        default=(ENV_CLIENT_ID, ENV_CLIENT_SECRET), repr=False, compare=False
    )

    @classmethod
    def resolve(
        cls,
        *,
        region: str | None = None,
        api_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        env: Mapping[str, str] | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        names: Mapping[str, str] | None = None,
    ) -> ConnectionSettings:
        """Arguments first, then the environment. An explicit API URL overrides the region.
        `names`: how the caller's user sets each argument (e.g. the stack key
        `genesys-flows:clientId` for `client_id`), for the messages; default `client_id=`."""
        environ: Mapping[str, str] = os.environ if env is None else env

        def named(arg: str) -> str:
            return (names or {}).get(arg) or f"{arg}="

        def pick(value: str | None, var: str) -> str | None:
            if value is not None and str(value).strip():
                return str(value).strip()
            from_env = environ.get(var)
            return from_env.strip() if from_env and from_env.strip() else None

        def origin(value: str | None, arg: str, var: str) -> str:
            return named(arg) if value is not None and str(value).strip() else var

        cid = pick(client_id, ENV_CLIENT_ID)
        secret = pick(client_secret, ENV_CLIENT_SECRET)
        url = pick(api_url, ENV_API_URL)
        reg = pick(region, ENV_REGION)
        _require(
            cid,
            secret,
            url,
            reg,
            lambda arg: f"set {named(arg)}" if names and arg in names else f"pass {named(arg)}",
        )
        assert cid is not None and secret is not None
        api_base, login_base, region_key = _endpoints(url, reg, named)
        return cls(
            api_base_url=api_base,
            login_base_url=login_base,
            client_id=cid,
            client_secret=secret,
            region=region_key,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            credentials_from=(
                origin(client_id, "client_id", ENV_CLIENT_ID),
                origin(client_secret, "client_secret", ENV_CLIENT_SECRET),
            ),
        )
