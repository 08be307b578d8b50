"""Connection settings (provider/platforms/http/settings.py): regions, environment, messages."""

from __future__ import annotations

import pytest

from provider.errors import (
    ConfigurationError,
)
from provider.platforms.http.settings import (
    ENV_API_URL,
    ENV_CLIENT_ID,
    ENV_CLIENT_SECRET,
    ENV_REGION,
    REGIONS,
    ConnectionSettings,
)


def test_all_regions_of_the_contract():
    assert len(REGIONS) == 18
    assert REGIONS["us-east-1"] == "mypurecloud.com"
    assert REGIONS["eusc-de-east-1"] == "edee1.eusc-pure.cloud"
    assert REGIONS["ap-southeast-2"] == "mypurecloud.com.au"


def test_region_resolves_to_api_and_login_hosts():
    s = ConnectionSettings.resolve(region="eu-central-1", client_id="id", client_secret="secret", env={})
    assert s.api_base_url == "https://api.mypurecloud.de"
    assert s.login_base_url == "https://login.mypurecloud.de"
    assert s.region == "eu-central-1"


def test_environment_variables_and_arguments_win():
    env = {ENV_CLIENT_ID: "env-id", ENV_CLIENT_SECRET: "env-secret", ENV_REGION: "us-west-2"}
    s = ConnectionSettings.resolve(env=env)
    assert (s.client_id, s.client_secret, s.api_base_url) == (
        "env-id",
        "env-secret",
        "https://api.usw2.pure.cloud",
    )
    s = ConnectionSettings.resolve(client_id="arg-id", region="ca-central-1", env=env)
    assert s.client_id == "arg-id" and s.api_base_url == "https://api.cac1.pure.cloud"


def test_api_url_overrides_region_and_serves_login_too():
    env = {
        ENV_CLIENT_ID: "i",
        ENV_CLIENT_SECRET: "s",
        ENV_REGION: "us-east-1",
        ENV_API_URL: "http://127.0.0.1:8099/",
    }
    s = ConnectionSettings.resolve(env=env)
    assert s.api_base_url == s.login_base_url == "http://127.0.0.1:8099"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({ENV_CLIENT_SECRET: "s", ENV_REGION: "us-east-1"}, ENV_CLIENT_ID),
        ({ENV_CLIENT_ID: "i", ENV_REGION: "us-east-1"}, ENV_CLIENT_SECRET),
        ({ENV_CLIENT_ID: "i", ENV_CLIENT_SECRET: "s"}, ENV_REGION),
        ({ENV_CLIENT_ID: "i", ENV_CLIENT_SECRET: "s"}, ENV_API_URL),
        ({ENV_CLIENT_ID: " ", ENV_CLIENT_SECRET: "s", ENV_REGION: "us-east-1"}, ENV_CLIENT_ID),
    ],
)
def test_missing_setting_names_the_variable(env, needle):
    with pytest.raises(ConfigurationError) as info:
        ConnectionSettings.resolve(env=env)
    assert needle in str(info.value)


def test_unknown_region_lists_the_valid_ones():
    with pytest.raises(ConfigurationError) as info:
        ConnectionSettings.resolve(region="mars-north-1", client_id="i", client_secret="s", env={})
    message = str(info.value)
    assert "mars-north-1" in message and ENV_REGION in message
    assert all(region in message for region in REGIONS)


def test_bad_api_url():
    with pytest.raises(ConfigurationError, match=ENV_API_URL):
        ConnectionSettings.resolve(api_url="ftp:/nowhere", client_id="i", client_secret="s", env={})


def test_secret_is_not_in_repr():
    s = ConnectionSettings.resolve(region="us-east-1", client_id="i", client_secret="TOPSECRET", env={})
    assert "TOPSECRET" not in repr(s) and "TOPSECRET" not in str(s)
