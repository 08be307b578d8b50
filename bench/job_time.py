"""The Archy job duration a genesys-cloud benchmark runs with (`--job-seconds`), applied to the
emulator after each reset and stated in the benchmark's output."""

from __future__ import annotations

import argparse

from emulator.genesys.settings import DEFAULT_ASYNC_DELAY
from emulator.testing import EmulatorProcess

#: Per-job duration when not given: the emulator's async delay (jobs as good as instant).
DEFAULT = f"{DEFAULT_ASYNC_DELAY:g}"


def parse(text: str) -> tuple[float, float]:
    """`3` (fixed) or `2:6` (uniform between 2 and 6 s)."""
    low, _, high = text.partition(":")
    try:
        bounds = (float(low), float(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: use SECONDS or LOW:HIGH, e.g. 3 or 2:6") from None
    if bounds[0] < 0 or bounds[1] < bounds[0]:
        raise argparse.ArgumentTypeError(f"{text!r}: need 0 <= LOW <= HIGH")
    return bounds


def add_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--job-seconds",
        type=parse,
        default=parse(DEFAULT),
        help="each Archy job's duration: SECONDS, or LOW:HIGH for uniform (emulator/README.md)",
    )


def apply(emu: EmulatorProcess, bounds: tuple[float, float], seed: int = 22) -> None:
    """Set the emulator's job duration (call after every `admin.reset()`)."""
    emu.admin.gc_set_job_duration(bounds[0], bounds[1], seed=seed)


def describe(bounds: tuple[float, float]) -> str:
    low, high = bounds
    if high == low:
        return f"{low:g} s per Archy job (fixed)"
    return f"{low:g}–{high:g} s per Archy job (uniform)"
