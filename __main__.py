"""The Pulumi program: make the stack's organization match the flow definitions in `flows/`.

The logic is `provider.deploy.program` (stack config: `provider.deploy.config`).
"""

from pathlib import Path

from provider.deploy.program import run
from provider.deploy.sdk_patches.sdk_trace import install as one_frame_traces
from provider.deploy.sdk_patches.sdk_wait import install

install()  # the SDK's quadratic wait loop, replaced on the releases known to have it
one_frame_traces()  # ~1.2 KB less per flow in every checkpoint (the state's `stackTrace`)

try:
    _here = Path(__file__).resolve().parent
except NameError:  # pragma: no cover - run without a file
    _here = Path.cwd()
run(_here)
