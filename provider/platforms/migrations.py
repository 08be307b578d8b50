"""Migrations from other tools, by source, and the platform each one's flows are for: the rest of the
project reaches them here, never a platform package by name.

- `terraform`: CX-as-Code's `genesyscloud_flow` resources (`archctl migrate terraform`), Archy flows
  for the genesys-cloud platform.
"""

from __future__ import annotations

from provider.platforms.genesys_cloud import terraform
from provider.platforms.genesys_cloud.kind import KIND as _TERRAFORM_KIND

#: The platform (`genesys-flows:platform`) a migrated Terraform configuration's flows are for.
TERRAFORM_PLATFORM = _TERRAFORM_KIND.name
TerraformError = terraform.TerraformError

__all__ = ["TERRAFORM_PLATFORM", "TerraformError", "terraform"]
