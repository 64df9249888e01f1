"""A stop request that a signal handler can make safely, for the long-running workers.

A worker asked to stop by SIGTERM or SIGINT should finish the batch in flight, then leave.
The obvious tool, ``threading.Event``, is not safe for that: Python runs a signal handler in the
main thread between two bytecodes, and ``Event.wait`` holds the event's own lock for a few of
them. A handler that calls ``Event.set`` at that moment waits for a lock its own thread holds,
and the worker hangs for good (a CI run saw ``trellis export worker`` ignore SIGTERM for 30 s).

:class:`StopRequest` takes no lock: a request is one attribute write, and waiting sleeps in
short slices that look at it, so a request from a handler or from another thread ends a wait
within :data:`WAKE_EVERY` seconds.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

WAKE_EVERY = 0.05
"""Seconds between two looks at the request while waiting."""


class StopRequest:
    """Set once, by a signal handler or any thread; read by the worker's loop."""

    def __init__(self) -> None:
        self._requested = False

    def request(self) -> None:
        """Ask the worker to stop after what it is doing now."""
        self._requested = True

    def requested(self) -> bool:
        """Whether a stop has been asked for."""
        return self._requested

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, less if a stop is asked for; return whether it was."""
        deadline = time.monotonic() + timeout
        while not self._requested:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            time.sleep(min(WAKE_EVERY, remaining))
        return self._requested

    @contextmanager
    def on_signals(
        self, signals: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGINT)
    ) -> Iterator[None]:
        """Request a stop when one of ``signals`` arrives, until the block ends (main thread).

        The handlers that were there before come back afterwards, so a worker run inside a
        test leaves the test runner's own Ctrl-C handling as it found it.
        """

        def handler(_signum: int, _frame: FrameType | None) -> None:
            self.request()

        previous = {signum: signal.signal(signum, handler) for signum in signals}
        try:
            yield
        finally:
            for signum, old_handler in previous.items():
                signal.signal(signum, old_handler)
