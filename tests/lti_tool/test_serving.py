"""A serving process keeps its start-up objects out of the collector's passes and runs fewer."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

from lti_tool.serving import SERVING_GC_THRESHOLD, tune_garbage_collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("restored_collector")
def test_tuning_freezes_what_is_loaded_and_raises_the_thresholds() -> None:
    gc.unfreeze()
    tune_garbage_collector()

    assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == SERVING_GC_THRESHOLD
    assert SERVING_GC_THRESHOLD[0] > 700, "fewer young passes than Python's default"


def test_the_served_entry_point_tunes_the_collector() -> None:
    entry_point = (Path(__file__).parents[2] / "wsgi.py").read_text()

    assert "tune_garbage_collector()" in entry_point
