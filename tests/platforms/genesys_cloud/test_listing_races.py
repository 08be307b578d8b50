"""The run's shared listing under threads (the provider host serves up to 32 calls at once), on the
in-process emulator, ordered by events and the virtual clock (no sleeps): a listing read while one
of our creates was running still shows that create, and a listing that fails is not read again by
every waiting thread (each gets an error of its own)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest

from emulator.testing import InProcessEmulator
from provider.errors import ArchitectError, ConflictError, ForbiddenError, MergeConflictError
from provider.platforms.genesys_cloud import GenesysCloudPlatform
from provider.platforms.genesys_cloud.listing import FlowListing
from provider.platforms.genesys_cloud.wire import Flow
from provider.platforms.http.recorder import ListRecorder
from tests.platforms.genesys_cloud.conftest import VirtualClock, document

Make = Callable[..., tuple[GenesysCloudPlatform, ListRecorder]]
TYPE = "INBOUNDCALL"


def listings(emu: InProcessEmulator) -> int:
    return sum(1 for m, p, _ in emu.log if m == "GET" and p == "/api/v2/flows")


def test_a_listing_read_during_our_create_still_shows_it(
    make_platform: Make, emu: InProcessEmulator, clock: VirtualClock
) -> None:
    """Another thread's re-listing reads its pages before our create's job ran and publishes them
    after the create finished: our flow is in it, and a second create of the name is refused."""
    platform, _ = make_platform()
    listing = platform.listing
    assert listing.named("Main IVR", TYPE) is None  # the run's first listing
    pages_read, create_done = threading.Event(), threading.Event()
    read_pages = listing._list_type

    def paused(type: str) -> Iterator[Flow]:
        flows = list(read_pages(type))  # the pages, read before our create's job
        pages_read.set()
        assert create_done.wait(30)
        yield from flows

    listing._list_type = paused
    relisted: list[Flow | None] = []
    relister = threading.Thread(target=lambda: relisted.append(listing.by_id("none", TYPE)))

    def relist_before_the_job(method: str, path: str) -> None:
        if method == "POST" and path.endswith("/api/v2/flows/jobs") and not relister.is_alive():
            clock.now += listing.max_age_s + 1  # the listing is due again
            relister.start()
            assert pages_read.wait(30)

    emu.adapter.before.append(relist_before_the_job)
    try:
        created = platform.create(document("Main IVR"), {})
    finally:
        create_done.set()
        relister.join(30)
    assert relisted == [None] and listing.listings == 2
    assert listing.knows(created.id, TYPE)
    named = listing.named("Main IVR", TYPE)
    assert named is not None and named.id == created.id
    with pytest.raises(ConflictError, match="already exists"):
        platform.create(document("Main IVR"), {})
    assert listing.listings == 2


def test_a_failed_listing_is_given_to_every_waiting_thread_then_read_again(
    make_platform: Make, emu: InProcessEmulator, clock: VirtualClock
) -> None:
    platform, _ = make_platform()
    emu.admin.set_faults(error_rate=1.0, statuses=[403], methods=["GET"], paths=["/api/v2/flows"])
    threads = 8
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def ask() -> None:
        start.wait(30)
        try:
            platform.listing.named("Main IVR", TYPE)
        except ArchitectError as exc:
            errors.append(exc)

    workers = [threading.Thread(target=ask) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert len(errors) == threads and all(getattr(e, "status", None) == 403 for e in errors)
    assert listings(emu) == 1  # one read; the others got its error
    # Remembered briefly: once that time has passed on the clock, the next question reads again.
    emu.admin.clear_faults()
    clock.now += platform.listing.failure_memory_s + 1
    assert platform.listing.named("Main IVR", TYPE) is None
    assert listings(emu) == 2


@pytest.mark.parametrize(
    "error",
    [
        ForbiddenError("no permission to list flows", status=403, code="missing.permissions"),
        MergeConflictError("merge refused", fields={"name": ("a", "b")}, status=409),  # required kwargs
    ],
)
def test_each_caller_of_a_remembered_failure_gets_its_own_error(error: ArchitectError) -> None:
    clock = VirtualClock()
    reads: list[str] = []

    def failing(type_: str) -> Iterator[Flow]:
        reads.append(type_)
        raise error

    listing = FlowListing(failing, clock)
    caught: list[BaseException] = []
    for _ in range(3):
        with pytest.raises(type(error)) as raised:
            listing.named("Main IVR", TYPE)
        caught.append(raised.value)
    assert reads == [TYPE]  # one read: the later callers were answered from memory
    first, *later = caught
    assert first is error
    assert len({id(e) for e in caught}) == 3  # distinct objects: no shared, growing traceback
    for fresh in later:
        assert type(fresh) is type(error) and str(fresh) == str(error) and fresh.status == error.status
        assert fresh.__cause__ is error and vars(fresh) == vars(error)
