"""The Pulumi program: make the stack's organization match the flow definitions in `flows/`.

The logic is `provider.deploy.program` (stack config: `provider.deploy.config`).
"""

from pathlib import Path

from provider.deploy.program import run
from provider.deploy.sdk_wait import install

install()  # the SDK's quadratic wait loop, replaced on the releases known to have it

try:
    _here = Path(__file__).resolve().parent
except NameError:  # pragma: no cover - run without a file
    _here = Path.cwd()
run(_here)
