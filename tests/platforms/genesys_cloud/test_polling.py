"""polling.py: the backoff starts fast and caps; the deadline is honoured on a virtual clock."""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Iterator

import pytest

from provider.platforms.genesys_cloud.polling import Backoff, JobTimer, JobWait, PollTimeout, poll
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


def _polls_for(timer: JobTimer, duration: float) -> tuple[int, float]:
    """Status calls one job of `duration` costs under the timer, and when the job was seen done."""
    clock = VirtualClock()
    start = clock()
    wait = timer.wait()
    calls = itertools.count(1)
    counted = 0

    def fetch() -> str:
        nonlocal counted
        counted = next(calls)
        return "Success" if clock() - start >= duration else "Started"

    poll(
        fetch,
        lambda s: s == "Success",
        backoff=wait,
        timeout_s=600,
        clock=clock,
        sleep=clock.sleep,
        what="job",
    )
    wait.done()
    return counted, clock() - start


@pytest.mark.parametrize(("low", "high"), [(0.0, 0.2), (3.0, 3.0), (2.0, 6.0)])
def test_job_timer_learns_the_duration_so_most_jobs_cost_one_status_call(low: float, high: float) -> None:
    """Seeded durations (fixed or uniform): after a short warm-up the first poll comes when most
    jobs are done, so the status calls per job stay near one, and a job is not waited for much
    beyond its end (at most the spread plus a step)."""
    rng = random.Random(22)
    timer = JobTimer(Backoff(initial_s=0.2, max_s=5.0))
    results = [_polls_for(timer, rng.uniform(low, high)) for _ in range(200)]
    settled = results[20:]
    calls = sum(c for c, _ in settled) / len(settled)
    assert calls <= 1.5, calls
    late = max(seen for _, seen in settled)
    assert late <= high + max(1.0, (high - low)), late
    warm_up = sum(c for c, _ in results[:20])
    assert warm_up <= 20 * 6  # the first jobs poll on the plain backoff: a few calls each


def test_many_jobs_in_flight_on_one_estimate_do_not_compound_its_steps() -> None:
    """1,000 jobs of 2–6 s, 25 in flight, started 0.4 s apart (an event simulation on virtual time):
    jobs started on one estimate finish together, and their findings must not multiply it (it once
    ran away to 20 s this way). Polls per job stay near one, the estimate within the durations."""
    rng = random.Random(22)
    timer = JobTimer(Backoff(initial_s=0.2, max_s=5.0))
    durations = [rng.uniform(2.0, 6.0) for _ in range(1000)]
    events: list[tuple[float, int]] = []
    waits: dict[int, tuple[float, JobWait, Iterator[float]]] = {}
    polls = [0] * len(durations)

    def launch(job: int, now: float) -> None:
        wait = timer.wait()
        delays = wait.delays()
        waits[job] = (now, wait, delays)
        heapq.heappush(events, (now + next(delays), job))

    started = 25
    for job in range(started):
        launch(job, job * 0.4)
    while events:
        now, job = heapq.heappop(events)
        polls[job] += 1
        start, wait, delays = waits[job]
        if now - start < durations[job]:
            heapq.heappush(events, (now + next(delays), job))
            continue
        wait.done()
        if started < len(durations):
            launch(started, now + 0.4)
            started += 1
    assert sum(polls[100:]) / 900 <= 1.35
    assert 4.0 <= timer.first_delay <= 7.0
    assert timer.in_flight == 0
