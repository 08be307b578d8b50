"""The one stack-config model: every wrong key named with the stack, defaults per platform."""

from __future__ import annotations

import pytest

from provider import platforms
from provider.deploy import config
from provider.deploy.config import StackConfigError

# The tutorial's Architecture API, named explicitly (genesys-cloud is the default: see below).
BASE = {
    "platform": "architecture-api",
    "apiUrl": "http://127.0.0.1:8099",
    "clientId": "dev-rw",
    "clientSecret": "s3cret",
}
GC = {k: v for k, v in BASE.items() if k != "platform"}


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


def test_genesys_cloud_is_the_default_platform():
    """A stack that names no platform is on the real flows API: a region, a URL, an emulator's."""
    assert config.parse("dev", GC).platform == "genesys-cloud"
    region = {"region": "eu-west-1", "clientId": "c", "clientSecret": "x"}
    model = config.parse("eu", region)
    assert model.platform == "genesys-cloud" and model.conflict_policy == "fail"
    assert model.connection(env={}).api_base_url == "https://api.mypurecloud.ie"


@pytest.mark.parametrize(
    "values",
    [
        {"region": "eu-west-1"},  # a region serves no Architecture API
        {"apiUrl": "https://api.mypurecloud.ie"},  # neither does a real org's URL
        {"apiUrl": "https://flows.example.com"},  # an unknown URL, not vouched for
    ],
)
def test_the_architecture_api_only_for_an_emulator_or_a_vouched_url(values):
    found = problems({"platform": "architecture-api", "clientId": "c", "clientSecret": "x", **values})
    assert len(found) == 1 and found[0].startswith("genesys-flows:platform"), found
    assert "tutorial's Architecture API" in found[0]


def test_a_vouched_url_may_serve_the_architecture_api():
    values = {**BASE, "apiUrl": "https://flows.example.com", "trustApiUrl": "true"}
    assert config.parse("dev", values).platform == "architecture-api"


def test_missing_credentials_are_named_as_stack_keys():
    model = config.parse("dev", {"region": "eu-west-1"})
    with pytest.raises(StackConfigError) as error:
        model.connection(env={})
    text = str(error.value)
    assert "genesys-flows:clientId" in text and "GENESYSCLOUD_OAUTHCLIENT_ID" in text
    assert "client_id=" not in text and "client_secret=" not in text


def test_credentials_are_named_where_they_were_set():
    from_stack = config.parse("dev", BASE).connection(env={})
    assert from_stack.credentials_from == ("genesys-flows:clientId", "genesys-flows:clientSecret")
    env = {"GENESYSCLOUD_OAUTHCLIENT_ID": "c", "GENESYSCLOUD_OAUTHCLIENT_SECRET": "x"}
    from_env = config.parse("dev", {"region": "eu-west-1"}).connection(env=env)
    assert from_env.credentials_from == ("GENESYSCLOUD_OAUTHCLIENT_ID", "GENESYSCLOUD_OAUTHCLIENT_SECRET")


def test_the_default_emulator_address_is_this_checkouts_emulator(tmp_path):
    from provider.deploy import stack_org

    env = {stack_org.ENV_EMULATOR_URL: "http://127.0.0.1:41234"}
    assert config.parse("dev", BASE).connection(env=env).api_base_url == "http://127.0.0.1:41234"
    other = {**BASE, "apiUrl": "http://127.0.0.1:9000"}
    assert config.parse("dev", other).connection(env=env).api_base_url == "http://127.0.0.1:9000"
    (tmp_path / ".emulator").mkdir()
    (tmp_path / ".emulator" / "port").write_text("45678\n")
    url = stack_org.effective_api_url("http://127.0.0.1:8099/", project_dir=tmp_path, env={})
    assert url == "http://127.0.0.1:45678"
    assert stack_org.effective_api_url("http://127.0.0.1:8099", project_dir=tmp_path / "none", env={}) == (
        "http://127.0.0.1:8099"
    )


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


def test_stack_outputs_have_one_shape_on_both_platforms():
    from provider.deploy.stack_outputs import version_pointers

    assert version_pointers(3) == {"current": "3", "published": None, "checkedIn": None}
    gc = version_pointers("published=1.0;checkedIn=2.0")
    assert gc == {"current": "2.0", "published": "1.0", "checkedIn": "2.0"}
    assert set(version_pointers("published=1.0;checkedIn=")) == set(gc)


def test_up_refreshes_by_default_only_where_the_platform_keeps_the_conflict_base(tmp_path, capsys):
    # genesys-cloud (the default platform, also for a stack without a file): refreshed; the
    # tutorial's API: not (its refresh would make a hand edit the base of `merge`).
    from provider.paths import PROJECT_DIR

    stacks = PROJECT_DIR / "stacks"
    assert config.refresh_by_default_file(stacks / "Pulumi.gc-dev.yaml") is True
    assert config.refresh_by_default_file(stacks / "Pulumi.dev.yaml") is False
    assert config.refresh_by_default_file(tmp_path / "Pulumi.none.yaml") is True
    assert config.main(["refresh", str(stacks / "Pulumi.prod.yaml")]) == 0
    assert capsys.readouterr().out == "false\n"
    # The file is read by the one model: a wrong value is named, not answered.
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config:\n  genesys-flows:platform: nope\n", encoding="utf-8")
    assert config.main(["refresh", str(bad)]) == 2
    assert "stack 'bad'" in capsys.readouterr().err
    with pytest.raises(StackConfigError, match="genesys-flows:platform is 'nope'"):
        config.refresh_by_default_file(bad)
