"""Roll-up from leaf estimates to parent competencies and to the framework."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from competency_models.builtin import load_builtin
from competency_models.rollup import (
    AllChildrenAtLeast,
    MeanOfChildren,
    MissingChildren,
    PointsAtLeast,
    RollupError,
    roll_up,
)
from competency_models.scales import DEFAULT_SCALE

# Framework: 1 ─ 1.1, 1.2, 1.3 ; 2 ─ 2.1 ─ 2.1.1, 2.1.2
TREE: dict[str, str | None] = {
    "1": None,
    "1.1": "1",
    "1.2": "1",
    "1.3": "1",
    "2": None,
    "2.1": "2",
    "2.1.1": "2.1",
    "2.1.2": "2.1",
}
ESTIMATES = {"1.1": 0.9, "1.2": 0.5, "1.3": 0.7, "2.1.1": 0.3, "2.1.2": 0.65}


def test_mean_of_children_rolls_up_level_by_level() -> None:
    """1 = (0.9 + 0.5 + 0.7)/3 = 0.7; 2.1 = (0.3 + 0.65)/2 = 0.475 = 2; framework = 0.5875."""
    result = roll_up(TREE, ESTIMATES, MeanOfChildren())
    assert result.nodes["1"].value == pytest.approx(0.7)
    level = result.nodes["1"].level
    assert level is not None and level.rank == 3
    assert result.nodes["2.1"].value == pytest.approx(0.475)
    assert result.nodes["2"].value == pytest.approx(0.475)
    assert result.framework.value == pytest.approx((0.7 + 0.475) / 2)
    assert result.framework.children == ("1", "2")
    assert result.nodes["1"].children == ("1.1", "1.2", "1.3")


def test_weighted_mean_of_children() -> None:
    """Weights 2:1:1 → (2·0.9 + 0.5 + 0.7)/4 = 3.0/4 = 0.75."""
    result = roll_up(TREE, ESTIMATES, MeanOfChildren(weights={"1.1": 2.0}))
    assert result.nodes["1"].value == pytest.approx(0.75)


def test_missing_children_are_skipped_by_default_and_counted() -> None:
    """Without 1.2: 1 = (0.9 + 0.7)/2 = 0.8 over 2 of 3 children; ZERO gives (0.9+0+0.7)/3."""
    estimates = {k: v for k, v in ESTIMATES.items() if k != "1.2"}
    skipped = roll_up(TREE, estimates, MeanOfChildren())
    assert skipped.nodes["1"].value == pytest.approx(0.8)
    assert skipped.nodes["1"].assessed_children == 2
    assert not skipped.nodes["1"].complete
    zero = roll_up(TREE, estimates, MeanOfChildren(), missing=MissingChildren.ZERO)
    assert zero.nodes["1"].value == pytest.approx(1.6 / 3)


def test_unassessed_subtree_has_no_value() -> None:
    """A parent with no assessed child has no value and no level, not zero."""
    result = roll_up(TREE, {"1.1": 0.9}, MeanOfChildren())
    assert result.nodes["2"].value is None
    assert result.nodes["2"].level is None
    assert result.framework.value == pytest.approx(0.9)


def test_all_children_at_least_takes_the_weakest_child() -> None:
    """1: min(0.9, 0.5, 0.7) = 0.5 → level 2; met for rank 2, not for rank 3."""
    at_two = roll_up(TREE, ESTIMATES, AllChildrenAtLeast(2))
    assert at_two.nodes["1"].value == 0.5
    assert at_two.nodes["1"].met is True
    assert roll_up(TREE, ESTIMATES, AllChildrenAtLeast(3)).nodes["1"].met is False


def test_all_children_at_least_is_never_met_with_a_child_missing() -> None:
    """Even under SKIP, an unassessed child blocks 'all children'."""
    estimates = {k: v for k, v in ESTIMATES.items() if k != "1.2"}
    result = roll_up(TREE, estimates, AllChildrenAtLeast(2))
    assert result.nodes["1"].value == 0.7
    assert result.nodes["1"].met is False


def test_points_sum_children_level_ranks() -> None:
    """1: ranks 4 (0.9) + 2 (0.5) + 3 (0.7) = 9 points of 12 → met at 9, value 0.75."""
    result = roll_up(TREE, ESTIMATES, PointsAtLeast(9))
    node = result.nodes["1"]
    assert (node.points, node.met, node.value) == (9, True, 0.75)
    assert roll_up(TREE, ESTIMATES, PointsAtLeast(10)).nodes["1"].met is False


def test_per_node_rule_overrides() -> None:
    """The framework can use a different rule from the competencies."""
    result = roll_up(TREE, ESTIMATES, MeanOfChildren(), rules={"": AllChildrenAtLeast(2)})
    assert result.framework.met is True  # 1 = 0.7 (3), 2 = 0.475 (2)
    assert result.framework.value == pytest.approx(0.475)


def test_leaves_report_their_own_estimate() -> None:
    result = roll_up(TREE, ESTIMATES, MeanOfChildren(), scale=DEFAULT_SCALE)
    leaf = result.nodes["2.1.2"]
    assert leaf.level is not None
    assert (leaf.value, leaf.level.code, leaf.children) == (0.65, "3", ())


@pytest.mark.parametrize(
    ("tree", "estimates"),
    [
        ({"a": "b", "b": "a"}, {}),  # cycle
        (TREE, {"1": 0.5}),  # inner node
        (TREE, {"9.9": 0.5}),  # unknown code
        (TREE, {"1.1": 1.5}),  # outside [0, 1]
        ({"": None}, {}),  # reserved code
    ],
)
def test_unusable_trees_and_estimates_are_rejected(
    tree: dict[str, str | None], estimates: dict[str, float]
) -> None:
    with pytest.raises(RollupError):
        roll_up(tree, estimates, MeanOfChildren())


def test_non_positive_weights_are_rejected() -> None:
    with pytest.raises(RollupError):
        MeanOfChildren(weights={"1.1": 0.0})


@given(
    st.dictionaries(st.sampled_from(["1.1", "1.2", "1.3", "2.1.1", "2.1.2"]), st.floats(0.0, 1.0))
)
def test_mean_rollup_stays_between_the_lowest_and_highest_leaf(estimates: dict[str, float]) -> None:
    """A mean of children never leaves the range of the leaves below it."""
    result = roll_up(TREE, estimates, MeanOfChildren())
    value = result.framework.value
    if not estimates:
        assert value is None
        return
    assert value is not None
    assert min(estimates.values()) - 1e-12 <= value <= max(estimates.values()) + 1e-12


def test_rolls_up_the_builtin_jyt0646_framework_from_its_parent_codes() -> None:
    """Framework.parent_codes() is the tree roll-up reads: 33 leaves → 13 → 5 → framework."""
    framework = next(f for f in load_builtin() if "0646" in f.id)
    leaves = [item.code for item in framework.leaves()]
    assert len(leaves) == 33
    estimates = {code: 0.5 if index % 2 else 0.9 for index, code in enumerate(leaves)}
    result = roll_up(framework.parent_codes(), estimates, AllChildrenAtLeast(2))
    assert len(result.framework.children) == 5
    assert result.framework.value == 0.5
    assert result.framework.met is True
    assert all(node.complete for node in result.nodes.values())
