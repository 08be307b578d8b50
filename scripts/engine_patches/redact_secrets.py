"""Engine patch `redact_secrets` (Pulumi CLI v3.260.0; the same code is on pulumi/pulumi master as of
2026-08): `pkg/resource/plugin/rpc.go` logs every property it marshals or unmarshals at `-v=9`. A
secret is redacted at its own key (`clientSecret={[secret]}`), but marshalling it for a receiver that
keeps secrets rebuilds it as the plain object `{sig, value: <plaintext>}` and marshals that object,
logging `value=<plaintext>`; unmarshalling such an object logs its fields before it sees the
signature. `Provider.Configure` always marshals with secrets kept (whatever the provider declares),
and the engine hands a dynamic provider the whole stack config: so `pulumi up -v=9` printed
`genesys-flows:clientSecret` in plain text on every run, on both platforms.

The patch sets the file's own `skipLogging` flag (which exists to silence exactly these logs) for the
inside of a secret or a secret output, and honours it in the unmarshal log. Guarded: it is applied
only when every original snippet is found exactly once; otherwise it prints why and changes nothing
(the build then goes on unpatched, and `tests/resilience/test_engine_logs.py` says so).

    python3 redact_secrets.py <original rpc.go> <patched rpc.go>   exit 0 patched, 3 not applicable
"""

from __future__ import annotations

import sys
from pathlib import Path

MARKER = "// genesys-flows engine patch redact_secrets"

EDITS: list[tuple[str, str]] = [
    # marshal: everything inside a secret is marshalled without logging
    (
        "\t} else if v.IsSecret() {\n\t\tif !opts.KeepSecrets {\n",
        f"\t}} else if v.IsSecret() {{\n\t\topts.skipLogging = true {MARKER}\n\t\tif !opts.KeepSecrets {{\n",
    ),
    # marshal: a secret output value carries its plaintext in `value`
    (
        '\t\tif v.OutputValue().Secret {\n\t\t\tobj["secret"] = resource.NewProperty(v.OutputValue().Secret)\n\t\t}\n',
        '\t\tif v.OutputValue().Secret {\n\t\t\tobj["secret"] = resource.NewProperty(v.OutputValue().Secret)\n'
        f"\t\t\topts.skipLogging = true {MARKER}\n\t\t}}\n",
    ),
    # unmarshal: the log honours skipLogging
    (
        '\t\t\tlogging.V(9).Infof("Unmarshaling property for RPC[%s]: %s=%v", opts.Label, key, v)\n',
        "\t\t\tif !opts.skipLogging {\n"
        '\t\t\t\tlogging.V(9).Infof("Unmarshaling property for RPC[%s]: %s=%v", opts.Label, key, v)\n'
        f"\t\t\t}} {MARKER}\n",
    ),
    # unmarshal: a struct that is a secret (or a secret output) is unmarshalled without logging
    (
        "\tcase *structpb.Value_StructValue:\n\t\t// Start by unmarshaling.\n",
        "\tcase *structpb.Value_StructValue:\n"
        f"\t\tif fields := v.GetStructValue().GetFields(); fields != nil {{ {MARKER}\n"
        "\t\t\tsig := fields[string(resource.SigKey)].GetStringValue()\n"
        '\t\t\tif sig == resource.SecretSig || (sig == resource.OutputValueSig && fields["secret"].GetBoolValue()) {\n'
        "\t\t\t\topts.skipLogging = true\n"
        "\t\t\t}\n"
        "\t\t}\n"
        "\t\t// Start by unmarshaling.\n",
    ),
]


def patch(text: str) -> tuple[str | None, str]:
    if MARKER in text:
        return None, "already patched"
    for old, _new in EDITS:
        if text.count(old) != 1:
            return None, f"the code changed: {old.strip().splitlines()[0]!r} found {text.count(old)} times"
    for old, new in EDITS:
        text = text.replace(old, new)
    return text, "patched"


def main(argv: list[str]) -> int:
    source, target = Path(argv[1]), Path(argv[2])
    patched, why = patch(source.read_text())
    print(f"redact_secrets: {why}", file=sys.stderr)
    if patched is None:
        return 3
    target.write_text(patched)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
