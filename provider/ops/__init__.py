"""What `archctl` runs against stacks (above the Pulumi provider): where flows come from (`sources`),
a stack's settings (`stacks`), the Automation API workspace and engine settings (`workspace`,
`engine`), `archctl import` (`importer`), promotion (`promote`) and `scripts/up`'s demo stack copy."""
