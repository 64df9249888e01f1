"""Ids the LRS gives statements sent without one: RFC 9562 version-7 UUIDs (Data 2.4.1)."""

from __future__ import annotations

import uuid
from itertools import count

from xapi.statement_ids import time_ordered_id
from xapi.syntax import is_uuid

# 2026-12-07T12:00:00.123Z
NOON_NS = 1_796_644_800_123_000_000


def _at(nanoseconds: int, randomness: bytes = bytes(10)) -> str:
    return time_ordered_id(clock_ns=lambda: nanoseconds, random_bytes=lambda n: randomness[:n])


def test_an_id_is_a_canonical_version_7_uuid() -> None:
    made = time_ordered_id()
    parsed = uuid.UUID(made)
    assert is_uuid(made)
    assert made == str(parsed)  # lowercase, hyphenated
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_the_first_48_bits_are_the_unix_milliseconds() -> None:
    made = uuid.UUID(_at(NOON_NS))
    assert made.int >> 80 == NOON_NS // 1_000_000
    assert made.hex[:12] == f"{NOON_NS // 1_000_000:012x}"


def test_the_other_74_bits_come_from_the_random_source() -> None:
    all_ones = uuid.UUID(_at(NOON_NS, b"\xff" * 10))
    all_zeros = uuid.UUID(_at(NOON_NS, bytes(10)))
    version_and_variant = (0xF << 76) | (0b11 << 62)
    timestamp = ((1 << 48) - 1) << 80
    assert all_ones.int ^ all_zeros.int == (1 << 128) - 1 - version_and_variant - timestamp


def test_ids_made_later_sort_later_as_text() -> None:
    ticks = count(NOON_NS, 1_000_000)
    made = [time_ordered_id(clock_ns=lambda: next(ticks)) for _ in range(50)]
    assert made == sorted(made)


def test_ids_made_in_the_same_millisecond_differ() -> None:
    made = {time_ordered_id(clock_ns=lambda: NOON_NS) for _ in range(1000)}
    assert len(made) == 1000
