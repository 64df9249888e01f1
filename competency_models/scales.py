"""Proficiency scales: named levels with cut points on a 0–1 competency estimate.

Every estimate the engine produces is a number in [0, 1]. A scale turns that number into a level a
trainer can read ("3 熟练 Proficient"). A level is reached when the estimate is at or above its
lower cut point; the first level's cut point is always 0, so every estimate has a level.

Neither Chinese framework (JY/T 0646—2022, subject teaching literacy) defines proficiency levels,
so Trellis ships a default four-step scale; DigCompEdu brings its own six (A1–C2).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass


class ScaleError(ValueError):
    """A scale definition that cannot be used (bad cut points, ranks or codes)."""


@dataclass(frozen=True, slots=True)
class Level:
    """One step of a proficiency scale.

    Attributes:
        rank: 1-based position on the scale; higher is more proficient.
        code: short code shown beside the label ("1", "A1").
        label_zh: Chinese label shown first.
        label_en: English label.
        min_estimate: inclusive lower cut point on the 0–1 estimate.
    """

    rank: int
    code: str
    label_zh: str
    label_en: str
    min_estimate: float


@dataclass(frozen=True, slots=True)
class ProficiencyScale:
    """An ordered set of levels covering the whole 0–1 estimate range.

    Attributes:
        id: stable identifier ("trellis-default-4", "digcompedu").
        levels: levels ordered by rank, cut points strictly increasing from 0.0.
    """

    id: str
    levels: tuple[Level, ...]

    def __post_init__(self) -> None:
        if not self.levels:
            raise ScaleError(f"scale {self.id!r}: needs at least one level")
        if self.levels[0].min_estimate != 0.0:
            raise ScaleError(f"scale {self.id!r}: the first level's cut point must be 0.0")
        codes: set[str] = set()
        for position, level in enumerate(self.levels, start=1):
            if level.rank != position:
                raise ScaleError(
                    f"scale {self.id!r}: level {level.code!r} has rank {level.rank}, "
                    f"expected {position}"
                )
            if level.code in codes:
                raise ScaleError(f"scale {self.id!r}: duplicate level code {level.code!r}")
            codes.add(level.code)
            if not 0.0 <= level.min_estimate <= 1.0:
                raise ScaleError(
                    f"scale {self.id!r}: cut point of {level.code!r} is outside [0, 1]"
                )
        cuts = [level.min_estimate for level in self.levels]
        if any(later <= earlier for earlier, later in itertools.pairwise(cuts)):
            raise ScaleError(f"scale {self.id!r}: cut points must strictly increase")

    def level_for(self, estimate: float) -> Level:
        """Return the highest level whose cut point the estimate reaches.

        Args:
            estimate: a competency estimate in [0, 1].

        Raises:
            ScaleError: if the estimate lies outside [0, 1].
        """
        if not 0.0 <= estimate <= 1.0:
            raise ScaleError(f"estimate {estimate!r} is outside [0, 1]")
        reached = self.levels[0]
        for level in self.levels[1:]:
            if estimate >= level.min_estimate:
                reached = level
            else:
                break
        return reached

    def level_by_rank(self, rank: int) -> Level:
        """Return the level with the given 1-based rank.

        Raises:
            ScaleError: if no level has that rank.
        """
        if not 1 <= rank <= len(self.levels):
            raise ScaleError(f"scale {self.id!r} has no level of rank {rank}")
        return self.levels[rank - 1]

    def ceiling_below(self, rank: int) -> float:
        """Return the largest estimate that still sits below the level of ``rank``.

        Used to cap estimates (participation alone never passes the second step): an estimate
        capped at ``ceiling_below(3)`` reads as level 2 at most.
        """
        if rank <= 1:
            return 0.0
        if rank > len(self.levels):
            return 1.0
        # The largest float strictly below the cut point keeps level_for() at rank - 1.
        return math.nextafter(self.level_by_rank(rank).min_estimate, 0.0)


def scale_from_cut_points(
    scale_id: str, labels: Sequence[tuple[str, str, str]], cut_points: Sequence[float]
) -> ProficiencyScale:
    """Build a scale from ``(code, label_zh, label_en)`` triples and their cut points.

    Raises:
        ScaleError: if the two sequences differ in length or the cut points are unusable.
    """
    if len(labels) != len(cut_points):
        raise ScaleError(
            f"scale {scale_id!r}: {len(labels)} levels but {len(cut_points)} cut points"
        )
    return ProficiencyScale(
        id=scale_id,
        levels=tuple(
            Level(rank=i, code=code, label_zh=zh, label_en=en, min_estimate=float(cut))
            for i, ((code, zh, en), cut) in enumerate(zip(labels, cut_points, strict=True), 1)
        ),
    )


DEFAULT_SCALE = scale_from_cut_points(
    "trellis-default-4",
    [
        ("1", "起步", "Emerging"),
        ("2", "发展", "Developing"),
        ("3", "熟练", "Proficient"),
        ("4", "引领", "Leading"),
    ],
    [0.0, 0.4, 0.6, 0.8],
)
"""Trellis's default scale for frameworks that define no levels of their own."""

DIGCOMPEDU_SCALE = scale_from_cut_points(
    "digcompedu",
    [
        ("A1", "新手", "Newcomer"),
        ("A2", "探索者", "Explorer"),
        ("B1", "整合者", "Integrator"),
        ("B2", "专家", "Expert"),
        ("C1", "引领者", "Leader"),
        ("C2", "开拓者", "Pioneer"),
    ],
    [0.0, 1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6],
)
"""DigCompEdu's six proficiency levels, cut evenly across the estimate range."""
