"""Ids the LRS gives statements that arrive without one (xAPI 1.0.3 Data 2.4.1).

They are time-ordered UUIDs, version 7 of RFC 9562: 48 bits of Unix milliseconds, then 74 random
bits. The spec asks only for a UUID; this kind is one, and it sorts in the order the LRS made
them. That matters to the store's unique index on ids: Moodle's log store sends no ids, and with
random (version 4) ids every statement's index entry lands on a page of its own — at 1M stored
statements some 128 pages of the write-ahead log a batch of 100, the most of any index
(bench/README.md). Ordered ones land on the last few pages.

Only ordered in time to the millisecond, and across processes only as far as their clocks
agree: nothing relies on the order, only the index gains from it.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62
_RANDOM_A_BITS = 12
_RANDOM_B_BITS = 62


def time_ordered_id(
    *,
    clock_ns: Callable[[], int] = time.time_ns,
    random_bytes: Callable[[int], bytes] = os.urandom,
) -> str:
    """A new version-7 UUID in its canonical lowercase form.

    Args:
        clock_ns: nanoseconds since the Unix epoch.
        random_bytes: a source of ``n`` unpredictable bytes.
    """
    milliseconds = (clock_ns() // 1_000_000) & ((1 << 48) - 1)
    randomness = int.from_bytes(random_bytes(10), "big")
    random_a = randomness >> (80 - _RANDOM_A_BITS)
    random_b = randomness & ((1 << _RANDOM_B_BITS) - 1)
    value = (milliseconds << 80) | _VERSION_7 | (random_a << 64) | _VARIANT_RFC | random_b
    return str(uuid.UUID(int=value))
