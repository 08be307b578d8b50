"""CX-as-Code's genesyscloud_flow resources as definitions (provider/platforms/genesys_cloud/terraform.py):
the translation, on public configurations (tests/data/cxascode, sources in its README) and on small
made-up ones for the rules the public ones do not show."""

from __future__ import annotations

from pathlib import Path

import pytest

from provider.platforms.genesys_cloud import terraform
from provider.platforms.genesys_cloud.terraform import TerraformError

DATA = Path(__file__).resolve().parents[2] / "data" / "cxascode"


def _by_key(migration: terraform.Migration) -> dict[str, terraform.MigratedFlow]:
    return {f.key: f for f in migration.flows}


def test_provider_examples_locals_literals_and_expressions() -> None:
    m = terraform.read(DATA / "provider-examples")
    flows = _by_key(m)
    assert sorted(flows) == [
        "inbound-call-flow",
        "inbound-message-flow",
        "inqueue-flow",
        "outbound-call-flow",
        "workflow-flow",
    ]
    # filepath = "${local.working_dir.flow}/…": the local resolved, relative to the configuration.
    assert flows["inqueue-flow"].archy_path.name == "inqueuecall_default_example.yaml"
    assert flows["inqueue-flow"].archy_text.startswith("inqueueCall:")
    assert flows["inbound-call-flow"].substitutions == {
        "flow_name": "An example flow",
        "default_language": "en-us",
        "greeting": "Hello World",
        "menu_disconnect_name": "Disconnect",
    }
    # A data source's and other resources' attributes: stack placeholders named after the key.
    assert flows["outbound-call-flow"].substitutions == {"flow_name": "An example outbound flow"}
    holders = {n: (p.source, p.value, sorted(p.flows)) for n, p in m.placeholders.items()}
    assert holders["home_division_name"] == (
        "data.genesyscloud_auth_division_home.home.name",
        None,
        ["inbound-message-flow", "outbound-call-flow"],
    )
    assert holders["contact_list_name"][0] == "genesyscloud_outbound_contact_list.contact_list.name"
    # The Archy file uses {{description}}, which the resource does not set: reported.
    assert holders["description"][2] == ["inbound-call-flow"]
    assert any("{{description}}" in u and "inbound_call_flow" in u for u in m.untranslated)
    assert m.notes == []  # no file_content_hash there


def test_blueprint_module_booleans_and_variables_without_default() -> None:
    m = terraform.read(DATA / "webmessaging-chatbot")
    flows = _by_key(m)
    chat = flows["deploy-archy-flow-chat"]
    assert chat.resource == "genesyscloud_flow.deploy_archy_flow_chat" and chat.tf_file == "flow.tf"
    # `force_unlock = true` in the map: rendered as YAML writes it, not Python's `True`.
    assert chat.substitutions["force_unlock"] == "true"
    assert chat.substitutions["integration_category"] == "{{integration_category}}"
    p = m.placeholders["integration_category"]
    assert (p.source, p.value, p.flows) == ("var.integration_category", None, ["deploy-archy-flow-chat"])
    assert any("file_content_hash" in n for n in m.notes)
    assert m.untranslated == []


def test_blueprint_tfvars_values_and_a_terraform_template_file() -> None:
    m = terraform.read(DATA / "sms-followup")
    (flow,) = m.flows
    assert flow.archy_path.name == "callback_sms_eventrigger_flow.yaml.tftpl"
    assert flow.substitutions["callback_division"] == "{{callback_division}}"
    values = {n: (p.value, p.value_from) for n, p in m.placeholders.items()}
    assert values == {
        "callback_originating_sms_phonenumber": ("+19206775555", "dev.auto.tfvars"),
        "callback_phonenumber": ("+18005551213", "dev.auto.tfvars"),
        "callback_division": ("Home", "dev.auto.tfvars"),
    }
    assert m.untranslated == []
    assert m.notes == ["depends_on of 1 resource(s) dropped: the order comes from the flows' content"]


ARCHY = 'inboundCall:\n  name: "{{flow_name}}"\n  defaultLanguage: en-us\n'


def _config(tmp_path: Path, tf: str, **archy: str) -> Path:
    (tmp_path / "main.tf").write_text(tf)
    for name, text in archy.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_templates_other_flows_names_and_variable_defaults(tmp_path: Path) -> None:
    tf = """
variable "env" { default = "dev" }
variable "file" { default = "main.yaml" }
resource "genesyscloud_flow" "module" {
  filepath = "${path.module}/module.yaml"
  substitutions = { flow_name = "Shared ${var.env}" }
}
resource "genesyscloud_flow" "main" {
  filepath = "${path.module}/${var.file}"
  substitutions = {
    flow_name   = "Main"
    module_name = genesyscloud_flow.module.name
    retries     = 3
  }
}
"""
    module = 'commonModule:\n  name: "{{flow_name}}"\n'
    main = ARCHY + "  # uses {{module_name}} {{retries}}\n"
    m = terraform.read(_config(tmp_path, tf, **{"module.yaml": module, "main.yaml": main}))
    flows = _by_key(m)
    assert flows["module"].substitutions == {"flow_name": "Shared {{env}}"}
    assert flows["main"].substitutions == {
        "flow_name": "Main",
        "module_name": "Shared {{env}}",  # the other flow's name, as its own substitutions make it
        "retries": "3",
    }
    assert m.placeholders["env"].value == "dev" and m.placeholders["env"].value_from == "default in main.tf"
    assert m.untranslated == []


def test_what_cannot_be_translated_is_reported_by_file_resource_and_attribute(tmp_path: Path) -> None:
    tf = """
resource "genesyscloud_flow" "many" {
  for_each = fileset(path.module, "flows/*.yaml")
  filepath = each.value
}
resource "genesyscloud_flow" "remote" {
  filepath = "s3://bucket/flow.yaml"
}
resource "genesyscloud_flow" "unset" {
  filepath = "${path.module}/${var.nowhere}"
}
resource "genesyscloud_flow" "odd" {
  filepath = "ok.yaml"
  mystery  = 1
}
"""
    m = terraform.read(_config(tmp_path, tf, **{"ok.yaml": ARCHY}))
    assert [f.key for f in m.flows] == ["odd"]
    text = "\n".join(m.untranslated)
    assert "main.tf: genesyscloud_flow.many: for_each: one resource per item" in text
    assert "genesyscloud_flow.remote: filepath: s3://bucket/flow.yaml: only local files" in text
    assert "genesyscloud_flow.unset: filepath: var.nowhere has no value" in text
    assert "genesyscloud_flow.odd: mystery: not translated" in text
    assert "{{flow_name}}" in text  # odd's Archy file uses a placeholder it does not set


def test_unreadable_configuration_is_one_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match=r"holds no \.tf file"):
        terraform.read(tmp_path)
    (tmp_path / "broken.tf").write_text('resource "genesyscloud_flow" "x" {\n  filepath = \n')
    with pytest.raises(TerraformError, match=r"broken\.tf: not valid HCL"):
        terraform.read(tmp_path)


def test_a_sensitive_variables_value_is_never_taken(tmp_path: Path) -> None:
    tf = """
variable "token" {
  sensitive = true
  default   = "s3cr3t"
}
resource "genesyscloud_flow" "f" {
  filepath      = "f.yaml"
  substitutions = { flow_name = "F", token = var.token }
}
"""
    (tmp_path / "terraform.tfvars").write_text('token = "from-tfvars"\n')
    m = terraform.read(_config(tmp_path, tf, **{"f.yaml": ARCHY + "  # {{token}}\n"}))
    holder = m.placeholders["token"]
    assert holder.value is None and holder.value_from is None


def test_a_huge_tf_file_is_refused_before_parsing(tmp_path: Path) -> None:
    (tmp_path / "big.tf").write_text("# " + "x" * (2 * 1024 * 1024) + "\n")
    with pytest.raises(TerraformError, match=r"big\.tf: the file is larger"):
        terraform.read(tmp_path)
