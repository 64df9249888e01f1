"""Inference: turn a teacher's evidence about one competency into an honest estimate.

An estimation *method* is a frozen dataclass holding its parameters; every method reads the
evidence in `Evidence.sort_key()` order (tie-broken by `replay_key` so that no two different
items compare equal), so the result never depends on the order the caller passed it in.
Every method is *linear in the evidence values*: its raw value is
``Σ cᵢ·xᵢ`` with coefficients ``cᵢ ≥ 0`` summing to 1 (`coefficients`), which is what lets
`competency_models.explain` show each item's share and lets this module report an effective
sample size for every method alike. The formulas, a worked example of each and the proofs of
the properties the tests check are in ``docs/inference.md``.

Two rules apply on top of every method:

* **Participation cap.** Let ``raw`` be the method over all evidence, ``perf`` the method over
  the performance evidence only (every kind but participation) and
  ``cap = scale.ceiling_below(PARTICIPATION_MAX_RANK + 1)``. The estimate is
  ``min(raw, cap)`` without performance evidence and ``min(raw, max(perf, cap))`` with it:
  participation can lift an estimate up to the cap, never past it, and never past what the
  performance evidence alone supports.
* **Uncertainty.** A Wilson score interval around the value with ``n = effective sample size``,
  the number of reference observations (effective weight 1) that would pin the value down as
  well, ``n_eff = 1 / Σ (cᵢ² / wᵢ)``. One observation is never shown as certainty.

The module is pure: the incremental accumulators below are private mutable state that never
escapes a call.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Protocol

from competency_models.evidence import (
    DEFAULT_RELIABILITY,
    PARTICIPATION_MAX_RANK,
    CompetencyRef,
    Evidence,
    EvidenceKind,
)
from competency_models.scales import DEFAULT_SCALE, Level, ProficiencyScale


class InferenceError(ValueError):
    """A method configuration or inference request that cannot be honoured."""


# --------------------------------------------------------------------------------------------
# Method configurations
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mean:
    """Weighted mean of all evidence: ``Σ wᵢxᵢ / Σ wᵢ``. Independent of time order."""

    def describe(self) -> str:
        """A stable, unambiguous name with parameters, e.g. for a settings page or a log."""
        return "mean"


@dataclass(frozen=True, slots=True)
class Latest:
    """The value of the newest evidence (last in sort-key order); older evidence counts 0."""

    def describe(self) -> str:
        """A stable, unambiguous name with parameters."""
        return "latest"


@dataclass(frozen=True, slots=True)
class Highest:
    """The highest value; ties share the credit by effective weight. Independent of order."""

    def describe(self) -> str:
        """A stable, unambiguous name with parameters."""
        return "highest"


@dataclass(frozen=True, slots=True)
class ExponentialDecay:
    """Exponential decay: each new item pulls the running estimate towards its value.

    With ``r = rate`` and an item of effective weight ``w``, the item's step is
    ``rᵢ = 1 − (1 − r)^w`` and ``estimate ← (1 − rᵢ)·estimate + rᵢ·x``; the first item sets
    the estimate. An item of weight 1 thus gets weight ``r`` and the previous estimate
    ``1 − r``: the recursive one of the two formulas Canvas has called "decaying average"
    (docs/inference.md). Two items of weight ½ move the estimate exactly as one of weight 1
    does, which is why weights enter as an exponent.

    Attributes:
        rate: ``r`` in (0, 1]; 1 makes the method `Latest`.
    """

    rate: float

    def __post_init__(self) -> None:
        if not 0.0 < self.rate <= 1.0:
            raise InferenceError(f"exponential_decay rate {self.rate!r} must be in (0, 1]")

    def describe(self) -> str:
        """A stable, unambiguous name with parameters."""
        return f"exponential_decay(rate={self.rate!r})"


@dataclass(frozen=True, slots=True)
class WeightedRecentAverage:
    """Weighted mean of recent evidence: a window of the newest items, a half-life, or both.

    Item ``i`` gets weight ``wᵢ · 2^(−(t_newest − tᵢ)/half_life)`` (1 without a half-life);
    with a window only the newest ``window`` items count. Age is measured from the newest
    evidence, not from a clock, so an estimate does not drift while no evidence arrives.

    Attributes:
        half_life: the age at which an item counts half, or None for no time decay.
        window: how many of the newest items count, or None for all.
    """

    half_life: timedelta | None = None
    window: int | None = None

    def __post_init__(self) -> None:
        if self.half_life is None and self.window is None:
            raise InferenceError("weighted_recent_average needs a half_life, a window or both")
        if self.half_life is not None and self.half_life <= timedelta(0):
            raise InferenceError(f"half_life {self.half_life!r} must be positive")
        if self.window is not None and self.window < 1:
            raise InferenceError(f"window {self.window!r} must be at least 1")

    def describe(self) -> str:
        """A stable, unambiguous name with parameters."""
        parts = []
        if self.half_life is not None:
            parts.append(f"half_life_days={self.half_life.total_seconds() / 86400!r}")
        if self.window is not None:
            parts.append(f"window={self.window!r}")
        return f"weighted_recent_average({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class NTimesMastery:
    """Mastery shown at least ``n`` times.

    Let M be the items with value ≥ threshold. If ``|M| ≥ n`` the estimate is the weighted
    mean of M (≥ threshold). Otherwise it is the weighted mean of all items, capped just below
    the threshold: mastery is not claimed until it has been shown ``n`` times.

    Attributes:
        n: how many items must reach the threshold, ≥ 1.
        threshold: the mastery value in (0, 1].
    """

    n: int
    threshold: float

    def __post_init__(self) -> None:
        if self.n < 1:
            raise InferenceError(f"n_times_mastery n {self.n!r} must be at least 1")
        if not 0.0 < self.threshold <= 1.0:
            raise InferenceError(f"n_times_mastery threshold {self.threshold!r} not in (0, 1]")

    def describe(self) -> str:
        """A stable, unambiguous name with parameters."""
        return f"n_times_mastery(n={self.n!r}, threshold={self.threshold!r})"


def _days(key: str, days: float) -> timedelta:
    try:
        return timedelta(days=days)
    except OverflowError:
        raise InferenceError(f"{key} {days!r} is too large") from None


Method = Mean | Latest | Highest | ExponentialDecay | WeightedRecentAverage | NTimesMastery
"""Any estimation method configuration."""

TIME_ORDER_INDEPENDENT: tuple[type[Method], ...] = (Mean, Highest, NTimesMastery)
"""Methods whose value depends only on the multiset of (value, weight) pairs, not on time."""


def method_from_config(config: Mapping[str, object]) -> Method:
    """Build a method from a plain mapping, as stored per framework or programme.

    ``{"method": "exponential_decay", "rate": 0.65}``,
    ``{"method": "weighted_recent_average", "half_life_days": 30, "window": 5}``,
    ``{"method": "n_times_mastery", "n": 3, "threshold": 0.6}``, ``{"method": "mean"}``,
    ``{"method": "latest"}``, ``{"method": "highest"}``.

    Raises:
        InferenceError: for a configuration that is not a mapping, an unknown method name or
            unusable parameters (including NaN, infinities and half-lives too long to hold).
    """
    if not isinstance(config, Mapping):
        raise InferenceError(
            f'a method configuration is a mapping such as {{"method": "mean"}}, got {config!r}'
        )
    name = config.get("method")
    params = {key: value for key, value in config.items() if key != "method"}

    def number(key: str) -> float:
        value = params.pop(key, None)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InferenceError(f"{name}: parameter {key!r} must be a number, got {value!r}")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise InferenceError(f"{name}: parameter {key!r} must be finite, got {value!r}")
        return number

    def integer(key: str) -> int:
        value = params.pop(key, None)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InferenceError(f"{name}: parameter {key!r} must be an integer, got {value!r}")
        return value

    method: Method
    if name == "mean":
        method = Mean()
    elif name == "latest":
        method = Latest()
    elif name == "highest":
        method = Highest()
    elif name == "exponential_decay":
        method = ExponentialDecay(rate=number("rate"))
    elif name == "weighted_recent_average":
        half_life = (
            _days("half_life_days", number("half_life_days"))
            if "half_life_days" in params
            else None
        )
        window = integer("window") if "window" in params else None
        method = WeightedRecentAverage(half_life=half_life, window=window)
    elif name == "n_times_mastery":
        method = NTimesMastery(n=integer("n"), threshold=number("threshold"))
    else:
        raise InferenceError(f"unknown estimation method {name!r}")
    if params:
        raise InferenceError(f"{name}: unknown parameters {sorted(params)}")
    return method


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interval:
    """An uncertainty interval around an estimate.

    Attributes:
        low: lower bound in [0, 1].
        high: upper bound in [0, 1].
        confidence: nominal coverage, e.g. 0.95.
    """

    low: float
    high: float
    confidence: float

    @property
    def width(self) -> float:
        """``high − low``."""
        return self.high - self.low


@dataclass(frozen=True, slots=True)
class Estimate:
    """What the evidence says about one teacher's competency.

    Attributes:
        value: the estimate in [0, 1], after the participation cap.
        level: the scale level of ``value``.
        evidence_count: how many pieces of evidence were read.
        effective_sample_size: ``1 / Σ cᵢ²/wᵢ``, in reference observations of weight 1, over
            all evidence — or over the performance evidence alone when the participation cap
            set the value to what that evidence supports.
        interval: Wilson score interval around ``value`` with ``n = effective_sample_size``.
        raw_value: the method's value before the participation cap.
        participation_capped: whether the participation cap lowered ``raw_value``.
        latest_evidence_at: the newest evidence's ``observed_at``.
    """

    value: float
    level: Level
    evidence_count: int
    effective_sample_size: float
    interval: Interval
    raw_value: float
    participation_capped: bool
    latest_evidence_at: datetime


# --------------------------------------------------------------------------------------------
# Statistics helpers (standard library only)
# --------------------------------------------------------------------------------------------

_ACKLAM_A = (
    -3.969683028665376e01,
    2.209460984245205e02,
    -2.759285104469687e02,
    1.383577518672690e02,
    -3.066479806614716e01,
    2.506628277459239e00,
)
_ACKLAM_B = (
    -5.447609879822406e01,
    1.615858368580409e02,
    -1.556989798598866e02,
    6.680131188771972e01,
    -1.328068155288572e01,
)
_ACKLAM_C = (
    -7.784894002430293e-03,
    -3.223964580411365e-01,
    -2.400758277161838e00,
    -2.549732539343734e00,
    4.374664141464968e00,
    2.938163982698783e00,
)
_ACKLAM_D = (
    7.784695709041462e-03,
    3.224671290700398e-01,
    2.445134137142996e00,
    3.754408661907416e00,
)


def normal_cdf(x: float) -> float:
    """Standard normal cumulative distribution function."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@lru_cache(maxsize=64)
def normal_quantile(p: float) -> float:
    """Standard normal quantile (inverse CDF), accurate to about 1e-15 relative.

    Acklam's rational approximation (relative error < 1.2e-9) refined by two Halley steps on
    ``math.erfc``.

    Raises:
        InferenceError: unless 0 < p < 1.
    """
    if not 0.0 < p < 1.0:
        raise InferenceError(f"normal quantile needs 0 < p < 1, got {p!r}")
    a, b, c, d = _ACKLAM_A, _ACKLAM_B, _ACKLAM_C, _ACKLAM_D
    p_low = 0.02425
    if p < p_low:
        q = math.sqrt(-2.0 * math.log(p))
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    elif p <= 1.0 - p_low:
        q = p - 0.5
        r = q * q
        x = (
            (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
            * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
        )
    else:
        q = math.sqrt(-2.0 * math.log1p(-p))
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / (
            (((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0
        )
    for _ in range(2):
        error = normal_cdf(x) - p
        u = error * math.sqrt(2.0 * math.pi) * math.exp(x * x / 2.0)
        x -= u / (1.0 + x * u / 2.0)
    return x


def wilson_interval(value: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval for a proportion ``value`` observed over ``n`` (may be fractional).

    It always contains ``value``, stays inside [0, 1], has positive width for finite ``n`` and
    narrows as ``n`` grows; as ``n → 0`` it widens to [0, 1].
    """
    if n <= 0.0:
        return 0.0, 1.0
    z2n = z * z / n
    denominator = 1.0 + z2n
    centre = (value + z2n / 2.0) / denominator
    half = z / denominator * math.sqrt(max(value * (1.0 - value), 0.0) / n + z2n / (4.0 * n))
    low = max(0.0, centre - half)
    high = min(1.0, centre + half)
    # Guard the containment guarantee against the last bit of rounding.
    return min(low, value), max(high, value)


# --------------------------------------------------------------------------------------------
# Coefficient form: Σ cᵢ·xᵢ (used by explain and by the tests as the reference)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Coefficients:
    """A method's raw value as a linear combination of the (sorted) evidence values.

    Attributes:
        coefficients: ``cᵢ ≥ 0`` per item in sort-key order, summing to 1.
        linear_value: ``Σ cᵢ·xᵢ``.
        value: the method's raw value; differs from ``linear_value`` only where the method
            itself caps (`NTimesMastery` before mastery is shown n times).
        effective_sample_size: ``1 / Σ_{cᵢ>0} cᵢ²/wᵢ``.
    """

    coefficients: tuple[float, ...]
    linear_value: float
    value: float
    effective_sample_size: float


def coefficients(
    method: Method, items: Sequence[Evidence], weights: Sequence[float]
) -> Coefficients:
    """Compute the method over ``items`` (already in sort-key order) as ``Σ cᵢ·xᵢ``.

    Args:
        method: the estimation method.
        items: evidence sorted by `replay_key`, at least one item.
        weights: each item's effective weight, same order.

    Raises:
        InferenceError: if ``items`` is empty.
    """
    if not items:
        raise InferenceError("cannot estimate from no evidence")
    count = len(items)
    values = [item.value for item in items]
    coeffs = [0.0] * count
    if isinstance(method, Mean):
        total = math.fsum(weights)
        coeffs = [weight / total for weight in weights]
    elif isinstance(method, Latest):
        coeffs[-1] = 1.0
    elif isinstance(method, Highest):
        top = max(values)
        total = math.fsum(w for w, x in zip(weights, values, strict=True) if x == top)
        coeffs = [w / total if x == top else 0.0 for w, x in zip(weights, values, strict=True)]
    elif isinstance(method, ExponentialDecay):
        keep = 1.0 - method.rate
        running = 1.0  # Π_{j>i} (1 − rⱼ), built from the newest item backwards.
        for i in range(count - 1, -1, -1):
            step = 1.0 if i == 0 else 1.0 - keep ** weights[i]
            coeffs[i] = step * running
            running *= 1.0 - step
    elif isinstance(method, WeightedRecentAverage):
        first = 0 if method.window is None else max(0, count - method.window)
        newest = items[-1].observed_at
        scaled = [0.0] * count
        for i in range(first, count):
            decay = 1.0
            if method.half_life is not None:
                decay = 2.0 ** (-((newest - items[i].observed_at) / method.half_life))
            scaled[i] = weights[i] * decay
        total = math.fsum(scaled)  # > 0: the newest item's decay is 2⁰ = 1
        coeffs = [s / total for s in scaled]
    elif isinstance(method, NTimesMastery):
        mastered = [x >= method.threshold for x in values]
        if sum(mastered) >= method.n:
            total = math.fsum(w for w, m in zip(weights, mastered, strict=True) if m)
            coeffs = [w / total if m else 0.0 for w, m in zip(weights, mastered, strict=True)]
        else:
            total = math.fsum(weights)
            coeffs = [weight / total for weight in weights]
    else:  # pragma: no cover - exhaustive over Method
        raise InferenceError(f"unknown method {method!r}")
    linear = math.fsum(c * x for c, x in zip(coeffs, values, strict=True))
    linear = min(1.0, max(0.0, linear))
    value = linear
    if isinstance(method, NTimesMastery) and sum(x >= method.threshold for x in values) < method.n:
        value = min(linear, math.nextafter(method.threshold, 0.0))
    precision = math.fsum(c * c / w for c, w in zip(coeffs, weights, strict=True) if c > 0.0)
    return Coefficients(tuple(coeffs), linear, value, 1.0 / precision)


# --------------------------------------------------------------------------------------------
# Incremental form: O(1) per item (O(window) for windows); used for estimates and trajectories
# --------------------------------------------------------------------------------------------


class _Accumulator(Protocol):
    def add(self, value: float, weight: float, at: float) -> None: ...

    def value(self) -> float: ...

    def effective_sample_size(self) -> float: ...

    def copy(self) -> _Accumulator: ...


class _MeanAcc:
    __slots__ = ("total_value", "total_weight")

    def __init__(self) -> None:
        self.total_weight = 0.0
        self.total_value = 0.0

    def add(self, value: float, weight: float, at: float) -> None:
        self.total_weight += weight
        self.total_value += weight * value

    def value(self) -> float:
        return min(1.0, max(0.0, self.total_value / self.total_weight))

    def effective_sample_size(self) -> float:
        return self.total_weight

    def copy(self) -> _MeanAcc:
        other = _MeanAcc()
        other.total_weight, other.total_value = self.total_weight, self.total_value
        return other


class _LatestAcc:
    __slots__ = ("last_value", "last_weight")

    def __init__(self) -> None:
        self.last_value = 0.0
        self.last_weight = 0.0

    def add(self, value: float, weight: float, at: float) -> None:
        self.last_value, self.last_weight = value, weight

    def value(self) -> float:
        return self.last_value

    def effective_sample_size(self) -> float:
        return self.last_weight

    def copy(self) -> _LatestAcc:
        other = _LatestAcc()
        other.last_value, other.last_weight = self.last_value, self.last_weight
        return other


class _HighestAcc:
    __slots__ = ("top", "top_weight")

    def __init__(self) -> None:
        self.top = -1.0
        self.top_weight = 0.0

    def add(self, value: float, weight: float, at: float) -> None:
        if value > self.top:
            self.top, self.top_weight = value, weight
        elif value == self.top:
            self.top_weight += weight

    def value(self) -> float:
        return self.top

    def effective_sample_size(self) -> float:
        return self.top_weight

    def copy(self) -> _HighestAcc:
        other = _HighestAcc()
        other.top, other.top_weight = self.top, self.top_weight
        return other


class _DecayAcc:
    __slots__ = ("estimate", "keep", "precision", "started")

    def __init__(self, rate: float) -> None:
        self.keep = 1.0 - rate
        self.estimate = 0.0
        self.precision = 0.0  # Σ cᵢ²/wᵢ
        self.started = False

    def add(self, value: float, weight: float, at: float) -> None:
        if not self.started:
            self.started = True
            self.estimate = value
            self.precision = 1.0 / weight
            return
        step = 1.0 - self.keep**weight
        rest = 1.0 - step
        self.estimate = rest * self.estimate + step * value
        self.precision = rest * rest * self.precision + step * step / weight

    def value(self) -> float:
        return min(1.0, max(0.0, self.estimate))

    def effective_sample_size(self) -> float:
        return 1.0 / self.precision

    def copy(self) -> _DecayAcc:
        other = _DecayAcc(1.0 - self.keep)
        other.estimate, other.precision = self.estimate, self.precision
        other.started = self.started
        return other


class _HalfLifeAcc:
    """Σ w·d·x, Σ w·d and Σ w·d² with d relative to the newest item, rescaled as time moves."""

    __slots__ = ("half_life", "newest", "sum_squares", "sum_value", "sum_weight")

    def __init__(self, half_life_seconds: float) -> None:
        self.half_life = half_life_seconds
        self.newest = -math.inf
        self.sum_weight = 0.0
        self.sum_value = 0.0
        self.sum_squares = 0.0

    def add(self, value: float, weight: float, at: float) -> None:
        if at > self.newest:
            if self.newest != -math.inf:
                factor = 2.0 ** (-(at - self.newest) / self.half_life)
                self.sum_weight *= factor
                self.sum_value *= factor
                self.sum_squares *= factor * factor
            self.newest = at
        self.sum_weight += weight
        self.sum_value += weight * value
        self.sum_squares += weight

    def value(self) -> float:
        return min(1.0, max(0.0, self.sum_value / self.sum_weight))

    def effective_sample_size(self) -> float:
        return self.sum_weight * self.sum_weight / self.sum_squares

    def copy(self) -> _HalfLifeAcc:
        other = _HalfLifeAcc(self.half_life)
        other.newest, other.sum_weight = self.newest, self.sum_weight
        other.sum_value, other.sum_squares = self.sum_value, self.sum_squares
        return other


class _WindowAcc:
    """The newest ``window`` items, recomputed on the first read after each add."""

    __slots__ = ("cached", "half_life", "items")

    def __init__(self, window: int, half_life_seconds: float | None) -> None:
        self.items: deque[tuple[float, float, float]] = deque(maxlen=window)
        self.half_life = half_life_seconds
        self.cached: tuple[float, float] | None = None

    def _stats(self) -> tuple[float, float]:
        """``(value, effective sample size)`` over the window."""
        if self.cached is not None:
            return self.cached
        newest = self.items[-1][2]
        half_life = self.half_life
        total = weighted = squares = 0.0
        for x, w, t in self.items:
            s = w if half_life is None else w * 2.0 ** (-(newest - t) / half_life)
            total += s
            weighted += s * x
            squares += s * s / w
        # total > 0: the newest item's decay is 2⁰ = 1.
        stats = (min(1.0, max(0.0, weighted / total)), total * total / squares)
        self.cached = stats
        return stats

    def add(self, value: float, weight: float, at: float) -> None:
        self.items.append((value, weight, at))
        self.cached = None

    def value(self) -> float:
        return self._stats()[0]

    def effective_sample_size(self) -> float:
        return self._stats()[1]

    def copy(self) -> _WindowAcc:
        other = _WindowAcc(self.items.maxlen or 1, self.half_life)
        other.items.extend(self.items)
        return other


class _MasteryAcc:
    __slots__ = (
        "cap",
        "mastered",
        "n",
        "sum_value",
        "sum_weight",
        "threshold",
        "top_value",
        "top_weight",
    )

    def __init__(self, n: int, threshold: float) -> None:
        self.n = n
        self.threshold = threshold
        self.cap = math.nextafter(threshold, 0.0)
        self.mastered = 0
        self.sum_weight = 0.0
        self.sum_value = 0.0
        self.top_weight = 0.0
        self.top_value = 0.0

    def add(self, value: float, weight: float, at: float) -> None:
        self.sum_weight += weight
        self.sum_value += weight * value
        if value >= self.threshold:
            self.mastered += 1
            self.top_weight += weight
            self.top_value += weight * value

    def value(self) -> float:
        if self.mastered >= self.n:
            return min(1.0, max(0.0, self.top_value / self.top_weight))
        return min(self.cap, max(0.0, self.sum_value / self.sum_weight))

    def effective_sample_size(self) -> float:
        return self.top_weight if self.mastered >= self.n else self.sum_weight

    def copy(self) -> _MasteryAcc:
        other = _MasteryAcc(self.n, self.threshold)
        other.mastered, other.sum_weight, other.sum_value = (
            self.mastered,
            self.sum_weight,
            self.sum_value,
        )
        other.top_weight, other.top_value = self.top_weight, self.top_value
        return other


def _accumulator(method: Method) -> _Accumulator:
    if isinstance(method, Mean):
        return _MeanAcc()
    if isinstance(method, Latest):
        return _LatestAcc()
    if isinstance(method, Highest):
        return _HighestAcc()
    if isinstance(method, ExponentialDecay):
        return _DecayAcc(method.rate)
    if isinstance(method, WeightedRecentAverage):
        half_life = None if method.half_life is None else method.half_life.total_seconds()
        if method.window is not None:
            return _WindowAcc(method.window, half_life)
        assert half_life is not None  # guaranteed by WeightedRecentAverage.__post_init__
        return _HalfLifeAcc(half_life)
    if isinstance(method, NTimesMastery):
        return _MasteryAcc(method.n, method.threshold)
    raise InferenceError(f"unknown method {method!r}")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def participation_cap(scale: ProficiencyScale) -> float:
    """The highest value participation can lift an estimate to on ``scale``."""
    return scale.ceiling_below(PARTICIPATION_MAX_RANK + 1)


def apply_participation_cap(raw: float, performance: float | None, cap: float) -> float:
    """``min(raw, cap)`` without performance evidence, else ``min(raw, max(performance, cap))``.

    Args:
        raw: the method's value over all evidence.
        performance: the method's value over the performance evidence only, or None if none.
        cap: `participation_cap` of the scale.
    """
    bound = cap if performance is None else max(performance, cap)
    return raw if raw <= bound else bound


def replay_key(
    item: Evidence,
) -> tuple[datetime, str, str, str, int, str, float, float]:
    """`Evidence.sort_key` extended so that no two different items compare equal.

    ``sort_key`` leaves the rule set version, kind, value and weight out; two items that differ
    only there (the same statement mapped by two versions of a rule set, say) would otherwise
    keep the caller's order, and order-sensitive methods would depend on it.
    """
    p = item.provenance
    return (
        item.observed_at,
        p.statement_id,
        p.ruleset_id or "",
        p.rule_id or "",
        p.ruleset_version or 0,
        item.kind.value,
        item.value,
        item.weight,
    )


_TIME_AND_STATEMENT = attrgetter("observed_at", "provenance.statement_id")


def _sort_in_replay_order(items: list[Evidence]) -> None:
    """Sort ``items`` in place by `replay_key`, cheaply in the usual case.

    Sorting by the C-level (time, statement) key first gives the `replay_key` order whenever
    those pairs are distinct, which is the norm; only streams with a tie pay for the full key.
    """
    if len(items) < 2:
        return
    items.sort(key=_TIME_AND_STATEMENT)
    if len(set(map(_TIME_AND_STATEMENT, items))) != len(items):
        items.sort(key=replay_key)


def sorted_evidence(evidence: Iterable[Evidence]) -> list[Evidence]:
    """The evidence in `replay_key` order (`Evidence.sort_key` first), as every method reads it."""
    items = list(evidence)
    _sort_in_replay_order(items)
    return items


def _check_single_stream(items: Sequence[Evidence]) -> None:
    first = items[0]
    person, competency = first.person_id, first.competency
    for item in items:
        if item.person_id != person or (
            item.competency is not competency and item.competency != competency
        ):
            raise InferenceError(
                "evidence for one estimate must share one teacher and one competency; got "
                f"{first.person_id!r}/{first.competency} and {item.person_id!r}/{item.competency}"
            )


_ScaleContext = tuple[float, tuple[float, ...], tuple[Level, ...]]
_SCALE_CONTEXTS: dict[int, tuple[ProficiencyScale, _ScaleContext]] = {}


def _scale_context(scale: ProficiencyScale) -> _ScaleContext:
    """Per-scale constants hoisted out of the per-stream loop: cap, upper cut points, levels.

    Memoised by identity (hashing a scale walks all its levels, which costs more than a short
    stream's whole estimate); the entry keeps the scale alive so its id cannot be reused.
    """
    entry = _SCALE_CONTEXTS.get(id(scale))
    if entry is not None and entry[0] is scale:
        return entry[1]
    context = (
        participation_cap(scale),
        tuple(level.min_estimate for level in scale.levels[1:]),
        scale.levels,
    )
    if len(_SCALE_CONTEXTS) > 64:
        _SCALE_CONTEXTS.clear()
    _SCALE_CONTEXTS[id(scale)] = (scale, context)
    return context


def _run(
    items: Sequence[Evidence],
    method: Method,
    scale: ProficiencyScale,
    reliability: Mapping[EvidenceKind, float],
    confidence: float,
    every_point: bool,
) -> list[Estimate]:
    """Feed ``items`` (sorted, non-empty, one stream) through the method.

    Returns one estimate per item when ``every_point``, else just the final one — the
    accumulators are fed per item either way, but estimates are only built when asked for.
    """
    if not 0.0 < confidence < 1.0:
        raise InferenceError(f"confidence {confidence!r} must be in (0, 1)")
    _check_single_stream(items)
    z = normal_quantile(0.5 + confidence / 2.0)
    z2 = z * z
    sqrt = math.sqrt
    cap, cuts, levels = _scale_context(scale)
    everything = _accumulator(method)
    performance: _Accumulator | None = None
    saw_participation = False
    participation = EvidenceKind.PARTICIPATION
    last_index = len(items) - 1
    results: list[Estimate] = []
    for index, item in enumerate(items):
        weight = item.weight * reliability[item.kind]
        at = item.observed_at.timestamp()
        if item.kind is participation:
            if not saw_participation:
                saw_participation = True
                # Until now all evidence was performance evidence: the states coincide.
                performance = everything.copy() if index else None
            everything.add(item.value, weight, at)
        else:
            everything.add(item.value, weight, at)
            if saw_participation:
                if performance is None:
                    performance = _accumulator(method)
                performance.add(item.value, weight, at)
        if not every_point and index != last_index:
            continue
        raw = everything.value()
        value = raw
        n_eff = everything.effective_sample_size()
        if saw_participation:
            perf_value = None if performance is None else performance.value()
            value = apply_participation_cap(raw, perf_value, cap)
            if performance is not None and value < raw and value == perf_value:
                # The value is what the performance evidence alone says: so is its support.
                n_eff = performance.effective_sample_size()
        # wilson_interval(value, n_eff, z), inlined: this line runs once per trajectory point.
        if n_eff > 0.0:
            z2n = z2 / n_eff
            denominator = 1.0 + z2n
            centre = (value + z2n / 2.0) / denominator
            half = (
                z
                / denominator
                * sqrt(max(value * (1.0 - value), 0.0) / n_eff + z2n / (4.0 * n_eff))
            )
            low = min(max(0.0, centre - half), value)
            high = max(min(1.0, centre + half), value)
        else:
            low, high = 0.0, 1.0
        results.append(
            Estimate(
                value=value,
                level=levels[bisect_right(cuts, value)],
                evidence_count=index + 1,
                effective_sample_size=n_eff,
                interval=Interval(low, high, confidence),
                raw_value=raw,
                participation_capped=value < raw,
                latest_evidence_at=item.observed_at,
            )
        )
    return results


def replay(
    evidence: Iterable[Evidence],
    method: Method,
    scale: ProficiencyScale = DEFAULT_SCALE,
    *,
    reliability: Mapping[EvidenceKind, float] = DEFAULT_RELIABILITY,
    confidence: float = 0.95,
    presorted: bool = False,
) -> list[tuple[Evidence, Estimate]]:
    """``(evidence, estimate after it)`` for each item in sort-key order.

    This is the engine behind `competency_models.trajectory`.

    Args:
        evidence: one teacher's evidence about one competency.
        method: the estimation method.
        scale: the proficiency scale for levels and the participation cap.
        reliability: reliability weight per evidence kind.
        confidence: nominal coverage of the interval, in (0, 1).
        presorted: the caller guarantees sort-key order (skips the sort).

    Raises:
        InferenceError: for mixed teachers/competencies or a bad confidence.
    """
    items = list(evidence) if presorted else sorted_evidence(evidence)
    if not items:
        return []
    estimates = _run(items, method, scale, reliability, confidence, every_point=True)
    return list(zip(items, estimates, strict=True))


def estimate(
    evidence: Iterable[Evidence],
    method: Method,
    scale: ProficiencyScale = DEFAULT_SCALE,
    *,
    reliability: Mapping[EvidenceKind, float] = DEFAULT_RELIABILITY,
    confidence: float = 0.95,
    presorted: bool = False,
) -> Estimate | None:
    """Estimate one teacher's competency from their evidence about it; None without evidence.

    A pure function of its arguments: the evidence is read in sort-key order, so the caller's
    order never matters.

    Args:
        evidence: one teacher's evidence about one competency.
        method: the estimation method.
        scale: the proficiency scale for levels and the participation cap.
        reliability: reliability weight per evidence kind.
        confidence: nominal coverage of the interval, in (0, 1).
        presorted: the caller guarantees sort-key order (skips the sort).

    Raises:
        InferenceError: for mixed teachers/competencies or a bad confidence.
    """
    items = list(evidence) if presorted else sorted_evidence(evidence)
    if not items:
        return None
    return _run(items, method, scale, reliability, confidence, every_point=False)[0]


StreamKey = tuple[str, CompetencyRef]
"""``(person_id, competency)``: one evidence stream."""


def group_evidence(evidence: Iterable[Evidence]) -> dict[StreamKey, list[Evidence]]:
    """Group evidence by teacher and competency, each group in sort-key order.

    The mapping's keys are in sorted order too, so iterating it is deterministic.
    """
    # Keyed by plain strings: hashing a CompetencyRef runs Python code, a str tuple does not.
    groups: dict[tuple[str, str, str], list[Evidence]] = {}
    for item in evidence:
        competency = item.competency
        key = (item.person_id, competency.framework_id, competency.code)
        group = groups.get(key)
        if group is None:
            groups[key] = [item]
        else:
            group.append(item)
    result: dict[StreamKey, list[Evidence]] = {}
    for key in sorted(groups):
        group = groups[key]
        _sort_in_replay_order(group)
        result[(key[0], group[0].competency)] = group
    return result


def estimate_all(
    evidence: Iterable[Evidence],
    method: Method,
    scale: ProficiencyScale = DEFAULT_SCALE,
    *,
    reliability: Mapping[EvidenceKind, float] = DEFAULT_RELIABILITY,
    confidence: float = 0.95,
) -> dict[StreamKey, Estimate]:
    """Estimate every ``(teacher, competency)`` stream in ``evidence``."""
    results: dict[StreamKey, Estimate] = {}
    for key, items in group_evidence(evidence).items():
        results[key] = _run(items, method, scale, reliability, confidence, every_point=False)[0]
    return results
