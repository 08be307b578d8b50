"""Patches to the Pulumi SDK, its dynamic-provider host and its local backend. Each is guarded: it
installs only on the releases it was read on (or only while the patched code looks as expected),
and each module's docstring gives the measurement.

- `sdk_wait` (installed by `__main__.py`): `pulumi.runtime.stack.wait_for_rpcs` loops over
  `asyncio.wait(..., FIRST_COMPLETED)` on every pending output, O(N²) CPU for N flows. Replaced by a
  linear wait on SDK releases `KNOWN_QUADRATIC` (3.260.0, 3.272.0) while the original still names
  the loop it replaces.
- `sdk_trace` (installed by `__main__.py`): each registration sends the whole Python stack
  (`pulumi.runtime.resource._get_stack_trace`, ~15 frames, ~1.2 KB per flow in every checkpoint);
  kept to the first frame. Any SDK that has the function; `GENESYS_FLOWS_FULL_TRACES=1` opts out.
- `sdk_pickle` (installed by `Flow`): `pulumi.dynamic.dynamic.serialize_provider` leaves
  `pickle._Pickler` patched, so the k-th resource pickles through k nested wrappers (O(N²),
  `RecursionError` near flow 962). Put back after each call on SDK releases `KNOWN_LEAKING`
  (3.260.0, 3.272.0) while the function still touches `_batch_setitems`.
- `host_errors` (provider process): the dynamic-provider host (`python -m pulumi.dynamic`) reports a
  failed call as `traceback.format_exc()`, the traceback before our message; the host's `traceback`
  is proxied to put the message first. Only when `__main__` is `pulumi.dynamic.__main__` and still
  uses the stdlib `traceback`.
- `host_workers` (provider process): the dynamic-provider host serves four gRPC calls at a time
  (3.260.0, 3.272.0), so four flows were in flight whatever `--parallel` said; raised to 32 in the
  host. With 2–6 s Archy jobs, `pulumi up` of 100 flows in 10 layers: 152.7 → 76.7 s.
- `watchdog` (provider process): after a kill -9 of the CLI nobody stops the dynamic provider (any
  release: the engine owns its lifetime); it exits once its parent chain is re-parented, after the
  provider's last words.
- `host_cancel` (provider process): the engine waits for a provider's answer to `Cancel` before it
  signals the process (v3.260.0), and the host answers it with nothing (3.260.0, 3.272.0), so the
  metrics files were written at exit only: lost when the exit outlasted the engine's 5 s before
  SIGKILL, or the watchdog ended the process. The host's registered Cancel handler now runs the
  provider's hooks (the metrics flush) first; the engine's wait for the answer covers them.
- engine (Go, not Python): `scripts/engine_patches/redact_secrets.py`, applied by
  `scripts/install-pulumi` when it builds the CLI: the engine (v3.260.0, and master as of 2026-08)
  logs at `-v=9` the plaintext inside every secret it marshals for a receiver that keeps secrets,
  and `Configure` of a dynamic provider always gets the whole stack config with secrets kept, so the
  client secret was in `pulumi up -v=9` logs. Not the dynamic host's `acceptSecrets: False`: that only
  governs the calls after `Configure`. Guarded by exact snippets of `pkg/resource/plugin/rpc.go`.
- `backend_repair` (`scripts/up`, before `pulumi up`): what an interrupted engine leaves in the local
  file backend (Pulumi CLI 3.x): a stale lock of a dead process, an empty `.json.attrs`, a truncated
  checkpoint (restored from the backend's own `.bak`).
- `sdk_bail` (the program): a failed pre-check or stack config ended with "an unhandled error
  occurred: Program exited with non-zero exit code: 1" after our message; the program exits with the
  language host's "message already shown" status instead (see the module for the releases read).
- `host_errors` also drops the traceback of an expected provider error (`GENESYS_FLOWS_DEBUG=1`
  keeps it).
"""
