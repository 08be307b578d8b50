"""Where the API is and who we are: region or explicit URL, OAuth client id and secret.

Arguments win over environment variables (named as Genesys' own CX-as-Code tooling names them). A
missing or unknown value raises `ConfigurationError` naming the argument and the variable to set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
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


def _require(cid: str | None, secret: str | None, url: str | None, reg: str | None) -> None:
    """Every missing setting named at once, with where it can come from."""
    missing = []
    if cid is None:
        missing.append(f"the OAuth client id: pass client_id= or set {ENV_CLIENT_ID}")
    if secret is None:
        missing.append(f"the OAuth client secret: pass client_secret= or set {ENV_CLIENT_SECRET}")
    if url is None and reg is None:
        missing.append(
            f"where the API is: pass region= or set {ENV_REGION} (e.g. us-east-1), "
            f"or pass api_url= or set {ENV_API_URL}"
        )
    if missing:
        raise ConfigurationError("missing setting(s): " + "; ".join(missing))


def _base_url(url: str) -> str:
    """An explicit API URL, checked, without a trailing slash."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(
            f"invalid API URL {url!r} (from api_url= or {ENV_API_URL}): "
            "expected http(s)://host[:port], e.g. http://127.0.0.1:8099"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


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
    ) -> ConnectionSettings:
        """Arguments first, then the environment. An explicit API URL overrides the region."""
        environ: Mapping[str, str] = os.environ if env is None else env

        def pick(value: str | None, var: str) -> str | None:
            if value is not None and str(value).strip():
                return str(value).strip()
            from_env = environ.get(var)
            return from_env.strip() if from_env and from_env.strip() else None

        cid = pick(client_id, ENV_CLIENT_ID)
        secret = pick(client_secret, ENV_CLIENT_SECRET)
        url = pick(api_url, ENV_API_URL)
        reg = pick(region, ENV_REGION)

        _require(cid, secret, url, reg)
        assert cid is not None and secret is not None

        if url is not None:
            base = _base_url(url)
            return cls(
                api_base_url=base,
                login_base_url=base,
                client_id=cid,
                client_secret=secret,
                region=reg.lower() if reg else None,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
            )

        assert reg is not None
        key = reg.lower()
        domain = REGIONS.get(key)
        if domain is None:
            raise ConfigurationError(
                f"unknown region {reg!r} (from region= or {ENV_REGION}); valid regions: " + ", ".join(REGIONS)
            )
        return cls(
            api_base_url=f"https://api.{domain}",
            login_base_url=f"https://login.{domain}",
            client_id=cid,
            client_secret=secret,
            region=key,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )
