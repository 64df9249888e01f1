"""Roll-up: from estimates of leaf competencies to their parents and to the whole framework.

The tree is a plain mapping ``child code → parent code`` (None, or no entry, for a top-level
item), so roll-up does not depend on how frameworks are stored. Leaves carry estimates (values
in [0, 1]); every inner node is computed from its children, bottom-up, with a configurable rule:

* `MeanOfChildren` — ``Σ vₖ·aₖ / Σ aₖ`` over the children ``k`` (``aₖ`` optional weights, 1
  by default).
* `AllChildrenAtLeast` — value ``min vₖ`` (so the level is the lowest child level); ``met``
  when every child is assessed and at rank ≥ ``rank``.
* `PointsAtLeast` — points ``Σ rank(vₖ)`` (a child without an estimate scores 0); ``met`` when
  points ≥ ``threshold``; value ``points / (children × top rank)`` for the parent's parents.

Children without an estimate are either skipped (`MissingChildren.SKIP`, the default: the
parent describes what has been assessed, and ``assessed_children`` says how much that is) or
counted as 0 (`MissingChildren.ZERO`). A threshold is never ``met`` while a child is missing
(`AllChildrenAtLeast`) or when points are short (`PointsAtLeast`), whatever the policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from competency_models.scales import DEFAULT_SCALE, Level, ProficiencyScale


class RollupError(ValueError):
    """A tree or a set of estimates that cannot be rolled up."""


FRAMEWORK_CODE = ""
"""The code of the synthetic node that stands for the whole framework."""


class MissingChildren(StrEnum):
    """What a child without an estimate counts as."""

    SKIP = "skip"
    """Left out: the parent is computed from the assessed children (None if there are none)."""
    ZERO = "zero"
    """Counted as value 0.0."""


@dataclass(frozen=True, slots=True)
class MeanOfChildren:
    """The (weighted) mean of the children's values.

    Attributes:
        weights: weight per child code (missing codes weigh 1); all weights must be > 0.
    """

    weights: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for code, weight in self.weights.items():
            if not weight > 0.0:
                raise RollupError(f"weight of {code!r} must be positive, got {weight!r}")


@dataclass(frozen=True, slots=True)
class AllChildrenAtLeast:
    """The weakest child decides: value = min of children; met when all are at rank ≥ ``rank``.

    Attributes:
        rank: the level rank every child must reach for ``met``.
    """

    rank: int


@dataclass(frozen=True, slots=True)
class PointsAtLeast:
    """Points: the sum of the children's level ranks; met at ``threshold`` points or more.

    Attributes:
        threshold: the points needed for ``met``.
    """

    threshold: int


RollupRule = MeanOfChildren | AllChildrenAtLeast | PointsAtLeast
"""Any roll-up rule."""


@dataclass(frozen=True, slots=True)
class NodeRollup:
    """The rolled-up state of one node (a leaf, an inner competency or the framework).

    Attributes:
        code: the competency code (`FRAMEWORK_CODE` for the framework).
        value: the value in [0, 1], or None when nothing below it is assessed.
        level: the level of ``value`` on the scale, or None.
        met: for threshold rules, whether the threshold is met; None for leaves and means.
        points: for `PointsAtLeast`, the points; otherwise None.
        children: the child codes, sorted.
        assessed_children: how many children have a value.
    """

    code: str
    value: float | None
    level: Level | None
    met: bool | None
    points: int | None
    children: tuple[str, ...]
    assessed_children: int

    @property
    def complete(self) -> bool:
        """Whether every child has a value (always True for a leaf)."""
        return self.assessed_children == len(self.children)


@dataclass(frozen=True, slots=True)
class Rollup:
    """Every node of the tree after roll-up.

    Attributes:
        nodes: per code (leaves and inner nodes).
        framework: the framework node, rolled up from the top-level items.
    """

    nodes: Mapping[str, NodeRollup]
    framework: NodeRollup


def _children_of(parents: Mapping[str, str | None]) -> dict[str, list[str]]:
    children: dict[str, list[str]] = {FRAMEWORK_CODE: []}
    codes = set(parents) | {parent for parent in parents.values() if parent is not None}
    if FRAMEWORK_CODE in codes:
        raise RollupError("the empty code is reserved for the framework node")
    for code in sorted(codes):
        children.setdefault(code, [])
        parent = parents.get(code)
        children.setdefault(FRAMEWORK_CODE if parent is None else parent, []).append(code)
    return children


def _bottom_up(children: Mapping[str, list[str]]) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(children):
        if state.get(start):
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            code, index = stack.pop()
            kids = children[code]
            if index < len(kids):
                stack.append((code, index + 1))
                kid = kids[index]
                if state.get(kid) == 1:
                    raise RollupError(f"the competency tree has a cycle through {kid!r}")
                if not state.get(kid):
                    state[kid] = 1
                    stack.append((kid, 0))
            else:
                state[code] = 2
                order.append(code)
    return order


def _combine(
    rule: RollupRule,
    code: str,
    kids: list[str],
    values: Mapping[str, float | None],
    scale: ProficiencyScale,
    missing: MissingChildren,
) -> NodeRollup:
    present = [(kid, values[kid]) for kid in kids]
    assessed = sum(value is not None for _, value in present)
    usable: list[tuple[str, float]] = [
        (kid, value if value is not None else 0.0)
        for kid, value in present
        if value is not None or missing is MissingChildren.ZERO
    ]
    value: float | None = None
    met: bool | None = None
    points: int | None = None
    if isinstance(rule, MeanOfChildren):
        if usable:
            weights = [rule.weights.get(kid, 1.0) for kid, _ in usable]
            value = sum(w * v for w, (_, v) in zip(weights, usable, strict=True)) / sum(weights)
            value = min(1.0, max(0.0, value))
    elif isinstance(rule, AllChildrenAtLeast):
        if usable:
            value = min(v for _, v in usable)
        met = (
            bool(kids)
            and assessed == len(kids)
            and value is not None
            and scale.level_for(value).rank >= rule.rank
        )
    else:
        top = len(scale.levels)
        points = sum(scale.level_for(v).rank for _, v in present if v is not None)
        met = points >= rule.threshold
        value = points / (len(kids) * top) if kids and assessed else None
    return NodeRollup(
        code=code,
        value=value,
        level=None if value is None else scale.level_for(value),
        met=met,
        points=points,
        children=tuple(kids),
        assessed_children=assessed,
    )


def roll_up(
    parents: Mapping[str, str | None],
    estimates: Mapping[str, float],
    rule: RollupRule,
    scale: ProficiencyScale = DEFAULT_SCALE,
    *,
    missing: MissingChildren = MissingChildren.SKIP,
    rules: Mapping[str, RollupRule] | None = None,
) -> Rollup:
    """Roll leaf estimates up the tree and to the framework.

    Args:
        parents: child code → parent code (None or absent for a top-level item).
        estimates: leaf code → estimate value in [0, 1]; leaves may be missing.
        rule: the rule for every inner node and the framework.
        scale: the scale that turns values into levels (and points).
        missing: how children without a value count.
        rules: per-code overrides of ``rule`` (use `FRAMEWORK_CODE` for the framework).

    Raises:
        RollupError: for a cycle, an estimate for an inner or unknown code, or a value
            outside [0, 1].
    """
    children = _children_of(parents)
    overrides = rules or {}
    for code, value in estimates.items():
        if code not in children:
            raise RollupError(f"estimate for {code!r}, which is not in the tree")
        if children[code]:
            raise RollupError(f"estimate for inner node {code!r}; inner nodes are rolled up")
        if not 0.0 <= value <= 1.0:
            raise RollupError(f"estimate {value!r} for {code!r} is outside [0, 1]")
    values: dict[str, float | None] = {}
    nodes: dict[str, NodeRollup] = {}
    for code in _bottom_up(children):
        kids = children[code]
        if kids or code == FRAMEWORK_CODE:
            node = _combine(overrides.get(code, rule), code, kids, values, scale, missing)
        else:
            leaf_value = estimates.get(code)
            node = NodeRollup(
                code=code,
                value=leaf_value,
                level=None if leaf_value is None else scale.level_for(leaf_value),
                met=None,
                points=None,
                children=(),
                assessed_children=0,
            )
        values[code] = node.value
        nodes[code] = node
    framework = nodes.pop(FRAMEWORK_CODE)
    return Rollup(nodes={code: nodes[code] for code in sorted(nodes)}, framework=framework)
