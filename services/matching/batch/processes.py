"""The parent's side of a file run's workers: forking them and relaying their swaps.

With one worker, it runs in this process and nothing is swapped. With more, each
is a forked process (``worker.work``) on a pipe to the parent, which relays, in
two turns, what the workers send each other (``worker`` says what): the shared
keys, which stay pickled here, then the candidates, with the name counts, which it
sums into the frequencies of the whole register.

Guarantees: the results come back in worker order; a worker that raises fails the
run with its traceback, one that dies (killed, out of memory) fails it naming the
worker; no worker outlives the run.
"""

from __future__ import annotations

import multiprocessing
import pickle
import sys
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from services.matching.batch.worker import KEYS, Counts, PartResult, Plan, work
from services.matching.matcher.probabilities import NameFrequencies


def run_workers(plan: Plan, say: Callable[[str], None]) -> list[PartResult]:
    """Every worker's result, in worker order."""
    if plan.workers == 1:
        return [work(plan, 0, None, say)]
    context = multiprocessing.get_context("fork")
    pipes = [context.Pipe() for _ in range(plan.workers)]
    processes = [
        context.Process(target=_child, args=(plan, part, child, say), daemon=True)
        for part, (_, child) in enumerate(pipes)
    ]
    try:
        sys.stdout.flush()  # or the children inherit unwritten output and write it again
        sys.stderr.flush()
        for process in processes:
            process.start()
        for _, child in pipes:
            child.close()
        results = _relay([parent for parent, _ in pipes])
        for process in processes:
            process.join()
        return results
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()


def _child(plan: Plan, part: int, connection: Connection, say: Callable[[str], None]) -> None:
    try:
        connection.send(("done", work(plan, part, connection, say)))
    except BaseException:  # noqa: BLE001 - the parent reports it and fails the run
        connection.send(("failed", traceback.format_exc()))
    finally:
        connection.close()


def _relay(parents: Sequence[Connection]) -> list[PartResult]:
    """The two turns of the swap, then the workers' results. The parent only relays:
    what workers send each other stays pickled here."""
    keys = [_receive_bytes(parent, part) for part, parent in enumerate(parents)]
    for part, parent in enumerate(parents):
        parent.send([blob for other, blob in enumerate(keys) if other != part])
    del keys
    swaps = [_receive(parent, part) for part, parent in enumerate(parents)]
    frequencies = _merge_counts([counts for counts, _ in swaps])
    for part, parent in enumerate(parents):
        parent.send((frequencies, [blobs[part] for _, blobs in swaps if blobs[part]]))
    del swaps
    return [_receive(parent, part)[1] for part, parent in enumerate(parents)]


def _merge_counts(parts: Sequence[Counts]) -> NameFrequencies:
    forenames: Counter[str] = Counter()
    surnames: Counter[str] = Counter()
    for fore, sur, _ in parts:
        forenames.update(fore)
        surnames.update(sur)
    return NameFrequencies(forenames, surnames, sum(total for *_, total in parts))


def _receive(connection: Connection, part: int) -> Any:
    try:
        message = connection.recv()
    except EOFError:
        raise RuntimeError(f"matching worker {part} died (out of memory?)") from None
    if isinstance(message, tuple) and message and message[0] == "failed":
        raise RuntimeError(f"matching worker {part} failed:\n{message[1]}")
    return message


def _receive_bytes(connection: Connection, part: int) -> bytes:
    try:
        data = connection.recv_bytes()
    except EOFError:
        raise RuntimeError(f"matching worker {part} died (out of memory?)") from None
    if not data.startswith(KEYS):
        _, report = pickle.loads(data)
        raise RuntimeError(f"matching worker {part} failed:\n{report}")
    return data
