"""polling.py: the backoff starts fast and caps; the deadline is honoured on a virtual clock."""

from __future__ import annotations

import itertools

import pytest

from provider.platforms.genesys_cloud.polling import Backoff, PollTimeout, poll
from tests.platforms.genesys_cloud.conftest import VirtualClock


def test_backoff_starts_fast_grows_and_caps() -> None:
    delays = list(itertools.islice(Backoff(initial_s=0.2, max_s=5.0, factor=2.0).delays(), 8))
    assert delays == [0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0, 5.0]


def test_poll_sleeps_per_schedule_until_done() -> None:
    clock = VirtualClock()
    answers = iter(["Started", "Started", "Started", "Success"])
    result = poll(
        lambda: next(answers),
        lambda s: s == "Success",
        backoff=Backoff(initial_s=0.25, max_s=1.0, factor=2.0),
        timeout_s=60,
        clock=clock,
        sleep=clock.sleep,
        what="job",
    )
    assert result == "Success"
    assert clock.sleeps == [0.25, 0.5, 1.0, 1.0]


def test_poll_gives_up_at_the_deadline_with_the_last_answer() -> None:
    clock = VirtualClock()
    calls = []

    def fetch() -> str:
        calls.append(clock.now)
        return "Started"

    with pytest.raises(PollTimeout) as info:
        poll(
            fetch,
            lambda s: False,
            backoff=Backoff(initial_s=1.0, max_s=4.0, factor=2.0),
            timeout_s=10,
            clock=clock,
            sleep=clock.sleep,
            what="job 7",
        )
    assert info.value.last == "Started"
    assert "job 7: not finished after 10 s" in str(info.value)
    # 1 + 2 + 4 = 7, then the last sleep is cut to the deadline (3 s) so the final check is at it.
    assert clock.sleeps == [1.0, 2.0, 4.0, 3.0]
    assert calls[-1] - 1000.0 == pytest.approx(10.0)


def test_poll_can_check_before_the_first_sleep() -> None:
    clock = VirtualClock()
    assert (
        poll(
            lambda: 1,
            lambda v: v == 1,
            backoff=Backoff(),
            timeout_s=5,
            clock=clock,
            sleep=clock.sleep,
            what="x",
            first_delay=False,
        )
        == 1
    )
    assert clock.sleeps == []
