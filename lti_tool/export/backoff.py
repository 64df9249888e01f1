"""Exponential backoff with jitter for a target that keeps failing."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long a failing target waits before its next attempt.

    The delay doubles with each consecutive failure from ``base`` up to ``cap`` seconds, and
    "equal jitter" takes it from between half and all of that, so that several Trellis
    instances (or targets) behind one LRS do not retry in step.
    """

    base: float = 2.0
    cap: float = 600.0

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the ``failures``-th consecutive failure (1 for the first)."""
        exponent = min(max(failures, 1) - 1, 60)
        ceiling = min(self.cap, self.base * 2.0**exponent)
        return ceiling / 2 + rand() * ceiling / 2
