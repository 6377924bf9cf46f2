"""A background loop with ``linger`` waits that long after a kick before its step, so work
that comes just after the first (another cast's event) goes out in the same step: the
outbox relay's ``relay_linger``."""

from __future__ import annotations

import eventlet

from rollcall.runtime import BackgroundLoop


class _Collecting(BackgroundLoop):
    def __init__(self, linger: float) -> None:
        super().__init__()
        self.interval = 60.0
        self.linger = linger
        self.pending: list[int] = []
        self.steps: list[list[int]] = []

    def step(self) -> int:
        taken, self.pending = self.pending, []
        if taken:
            self.steps.append(taken)
        return len(taken)


def _run(loop: _Collecting) -> list[list[int]]:
    loop._running = True
    thread = eventlet.spawn(loop._run)
    eventlet.sleep(0)  # the loop's first step finds nothing; it waits for a kick
    loop.pending.append(1)
    loop.kick()
    eventlet.sleep(0)  # the loop wakes: at once to its step, or into its linger
    loop.pending.append(2)
    loop.kick()
    with eventlet.Timeout(30):
        while sum(map(len, loop.steps)) < 2:
            eventlet.sleep(0.01)
    loop._running = False
    loop.kick()
    thread.wait()
    return loop.steps


def test_work_arriving_during_the_linger_goes_in_one_step():
    assert _run(_Collecting(linger=2.0)) == [[1, 2]]


def test_without_linger_each_kick_is_a_step_at_once():
    assert _run(_Collecting(linger=0.0)) == [[1], [2]]
