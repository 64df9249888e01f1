"""A worker's stop request: safe from a signal handler, prompt from any thread."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from lti_tool import stopping
from lti_tool.stopping import StopRequest


def test_a_wait_without_a_request_lasts_its_timeout_and_says_no_stop() -> None:
    stop = StopRequest()
    started = time.monotonic()
    assert stop.wait(0.2) is False
    assert time.monotonic() - started >= 0.2
    assert not stop.requested()


def test_a_request_from_another_thread_ends_a_long_wait_soon() -> None:
    stop = StopRequest()
    timer = threading.Timer(0.1, stop.request)
    timer.start()
    started = time.monotonic()
    assert stop.wait(30) is True
    assert time.monotonic() - started < 2
    timer.join()


def test_a_signal_ends_a_long_wait_soon_and_the_old_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    stop = StopRequest()
    with stop.on_signals():
        threading.Timer(0.1, os.kill, (os.getpid(), signal.SIGTERM)).start()
        started = time.monotonic()
        assert stop.wait(30) is True
        assert time.monotonic() - started < 2
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_request_made_in_the_middle_of_a_wait_on_the_same_thread_is_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What a signal handler does: it runs on the waiting thread, inside the wait. A
    ``threading.Event`` can deadlock here (its ``set`` wants the lock its ``wait`` holds)."""
    stop = StopRequest()
    real_sleep = time.sleep

    def sleep_then_interrupted(seconds: float) -> None:
        stop.request()
        real_sleep(seconds)

    monkeypatch.setattr(stopping.time, "sleep", sleep_then_interrupted)
    started = time.monotonic()
    assert stop.wait(30) is True
    assert time.monotonic() - started < 2


def test_a_stop_asked_for_before_the_wait_returns_at_once() -> None:
    stop = StopRequest()
    stop.request()
    started = time.monotonic()
    assert stop.wait(30) is True
    assert time.monotonic() - started < 0.5
