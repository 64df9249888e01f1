"""Small pure parts of the export: backoff, ordering for voiding, filters, the client's links."""

from __future__ import annotations

import pytest

from lti_tool.export.backoff import Backoff
from lti_tool.export.client import LrsClient, TransportError
from lti_tool.export.delivery import Item, order_for_voiding
from lti_tool.export.filters import FilterError, parse_filters


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [(1, 1.0, 2.0), (2, 2.0, 4.0), (3, 4.0, 8.0), (10, 300.0, 600.0), (500, 300.0, 600.0)],
)
def test_backoff_doubles_up_to_the_cap_with_equal_jitter(
    failures: int, low: float, high: float
) -> None:
    backoff = Backoff(base=2.0, cap=600.0)

    assert backoff.delay(failures, rand=lambda: 0.0) == low
    assert backoff.delay(failures, rand=lambda: 1.0) == high
    assert low <= backoff.delay(failures) <= high


def _item(seq: int, statement_id: str, voids: str | None = None) -> Item:
    return Item(seq=seq, statement_id=statement_id, voids_id=voids, document="{}")


def test_a_voided_statement_moves_just_before_the_first_statement_voiding_it() -> None:
    items = [_item(1, "a"), _item(2, "v", voids="t"), _item(3, "b"), _item(4, "t")]

    ordered = [item.statement_id for item in order_for_voiding(items)]

    assert ordered == ["a", "t", "v", "b"]


def test_log_order_is_kept_when_the_voided_statement_already_comes_first() -> None:
    items = [_item(1, "t"), _item(2, "a"), _item(3, "v", voids="t")]

    assert [item.statement_id for item in order_for_voiding(items)] == ["t", "a", "v"]


def test_filters_are_normalised_and_unknown_ones_refused() -> None:
    assert parse_filters([]) == ["all"]
    assert parse_filters(["source:b", "trellis", "source:b"]) == ["source:b", "trellis"]
    assert parse_filters(["source:b", "all"]) == ["all"]
    assert parse_filters(["programme:2026-A"]) == ["programme:2026-A"]
    with pytest.raises(FilterError):
        parse_filters(["source:"])
    with pytest.raises(FilterError):
        parse_filters(["programme:"])
    with pytest.raises(FilterError):
        parse_filters(["everything"])


def test_a_more_link_to_another_host_is_not_followed() -> None:
    client = LrsClient("http://127.0.0.1:9/xapi", "u", "p", "1.0.3")

    with pytest.raises(TransportError, match="leaves the LRS's host"):
        client.get_more("http://127.0.0.2:9/xapi/statements?more=x")


def test_an_endpoint_must_be_http() -> None:
    with pytest.raises(ValueError, match="http"):
        LrsClient("ftp://127.0.0.1/xapi", "u", "p", "1.0.3")
