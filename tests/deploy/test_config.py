"""The one stack-config model: every wrong key named with the stack, defaults per platform."""

from __future__ import annotations

import pytest

from provider import platforms
from provider.deploy import config
from provider.deploy.config import StackConfigError

BASE = {"apiUrl": "http://127.0.0.1:8099", "clientId": "dev-rw", "clientSecret": "s3cret"}


def problems(values: dict[str, object]) -> list[str]:
    with pytest.raises(StackConfigError) as error:
        config.parse("dev", values)
    assert "stack 'dev'" in str(error.value)
    return error.value.problems


def test_defaults_per_platform():
    assert config.parse("dev", BASE).conflict_policy == "merge"
    assert config.parse("dev", BASE).platform == "architecture-api"
    gc = config.parse("dev", {**BASE, "platform": "genesys-cloud"})
    assert gc.conflict_policy == "fail" and gc.force_unlock is False


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"region": "mars-1"}, "genesys-flows:region"),
        ({"apiUrl": "127.0.0.1:8099"}, "genesys-flows:apiUrl"),
        ({"conflictPolicy": "yolo"}, "genesys-flows:conflictPolicy"),
        ({"platform": "genesys-cloud", "conflictPolicy": "merge"}, "genesys-flows:conflictPolicy"),
        ({"platform": "nope"}, "genesys-flows:platform"),
        ({"forceUnlock": "true"}, "genesys-flows:forceUnlock"),  # architecture-api has no locks
        ({"platform": "genesys-cloud", "forceUnlock": "maybe"}, "genesys-flows:forceUnlock"),
        ({"substitutions": "[1, 2]"}, "genesys-flows:substitutions"),
    ],
)
def test_each_wrong_value_names_its_key(values, key):
    found = problems({**BASE, **values})
    assert len(found) == 1 and found[0].startswith(key), found


def test_every_problem_at_once():
    assert len(problems({"region": "mars-1", "conflictPolicy": "yolo", "substitutions": 3})) == 3


def test_missing_connection_names_keys_and_variables():
    model = config.parse("dev", {})
    missing = model.missing_connection(env={})
    assert len(missing) == 3
    assert "genesys-flows:apiUrl" in missing[0] and "GENESYSCLOUD_API_URL" in missing[0]
    assert model.missing_connection(env={"GENESYSCLOUD_REGION": "eu-west-1", **ENV_CREDS}) == []


ENV_CREDS = {"GENESYSCLOUD_OAUTHCLIENT_ID": "c", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "x"}


def test_the_secret_is_never_printed():
    model = config.parse("dev", BASE)
    assert "s3cret" not in repr(model) and "s3cret" not in str(model.model_dump())
    assert model.connection().client_secret == "s3cret"


def test_connection_values_of_an_architecture_api_stack_are_todays():
    assert config.parse("dev", BASE).connection_values() == {**BASE, "conflictPolicy": "merge"}


def test_the_factory_builds_the_platform_the_stack_names():
    platform = platforms.get_platform(config.parse("dev", BASE))
    assert platform.name == "architecture-api"
    assert isinstance(platform, platforms.base.Platform)
    real = platforms.get_platform(
        config.parse("dev", {**BASE, "platform": "genesys-cloud", "forceUnlock": True})
    )
    assert real.name == "genesys-cloud"
    assert isinstance(real, platforms.base.Platform)
    assert real.force_unlock is True  # type: ignore[attr-defined]
