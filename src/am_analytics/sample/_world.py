"""The simulated span and the state the simulation stages pass on to each other."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..errors import ConfigError

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Int32Array = npt.NDArray[np.int32]
Int8Array = npt.NDArray[np.int8]
#: Any integer array (positions, codes) a helper only reads.
Codes = npt.NDArray[np.integer[Any]]

#: Days the generated span must at least cover.
MIN_SPAN_DAYS: Final = 180
_MIN_DATE: Final = pd.Timestamp("1990-01-01")
_NEVER: Final = 10**7  # a day index meaning "not in this simulation"


# ---------------------------------------------------------------------------
# The simulated world
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Span:
    """The simulated period: days are counted from ``start`` (day 0) to ``end``."""

    start: pd.Timestamp
    end: pd.Timestamp
    n_days: int
    quarters: pd.PeriodIndex
    quarter_first: IntArray  # day of each quarter's first day (may be < 0)
    quarter_last: IntArray  # day of each quarter's last day (may be >= n_days)

    @property
    def last_day(self) -> int:
        """The day index of ``end``."""
        return self.n_days - 1

    @property
    def first_day(self) -> int:
        """The day index of the earliest plausible date (1990-01-01)."""
        return (_MIN_DATE - self.start).days


@dataclass(frozen=True, slots=True)
class _Managers:
    """Latent and observed per-manager arrays."""

    ids: Any  # pyarrow string array
    name: Any  # pyarrow string array
    team: IntArray
    team_names: tuple[str, ...]
    team_regions: tuple[str, ...]
    hire_day: IntArray
    inactive_day: IntArray  # first day without activity; _NEVER if none
    status: IntArray
    level: IntArray
    skill: FloatArray
    service: FloatArray
    successor: IntArray
    competence: FloatArray  # (manager, competency)
    peer_leniency: FloatArray
    self_leniency: FloatArray
    supervisor_leniency: FloatArray  # per team

    @property
    def n(self) -> int:
        """The number of managers."""
        return int(self.team.size)

    @property
    def region(self) -> npt.NDArray[np.object_]:
        """Each manager's region."""
        return np.asarray(self.team_regions, dtype=object)[self.team]


@dataclass(frozen=True, slots=True)
class _Training:
    """One row per training record, ordered by start day."""

    manager: IntArray
    course: IntArray
    start_day: IntArray
    end_day: IntArray
    completed: BoolArray
    score: FloatArray


@dataclass(frozen=True, slots=True)
class _Clients:
    """Per-client arrays."""

    ids: Any  # pyarrow string array
    region: IntArray
    industry: IntArray
    owner: IntArray  # the manager the client was assigned to
    current_owner: IntArray  # clients.manager_id: a leaver's clients go to the successor
    created_day: IntArray
    first_day: IntArray  # first day the client may order (inclusive)
    stop_day: IntArray  # day the client stops ordering (exclusive)
    rate: FloatArray  # orders per year at average intensity
    mean_amount: FloatArray
    tier: IntArray
    name: Any  # pyarrow string array


@dataclass(frozen=True, slots=True)
class _Orders:
    """Sales rows (orders and refunds), in order-id order; narrow ints to save memory."""

    client: Int32Array
    manager: Int32Array
    day: Int32Array
    amount: FloatArray
    product: Int8Array
    channel: Int8Array


# ---------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------


def _check_arguments(
    n_managers: object, n_clients: object, start: object, end: object, seed: object
) -> _Span:
    """Validate the arguments of ``generate`` and describe the span."""
    for name, value, low in (("n_managers", n_managers, 5), ("seed", seed, 0)):
        if not _is_int(value) or value < low:  # type: ignore[operator]
            raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}")
    if not _is_int(n_clients) or n_clients < n_managers:  # type: ignore[operator]
        raise ConfigError(
            f"n_clients must be an integer >= n_managers ({n_managers}), got {n_clients!r}"
        )
    first, last = _parse_date("start", start), _parse_date("end", end)
    if first < _MIN_DATE:
        raise ConfigError(f"start must be on or after {_MIN_DATE.date()}, got {first.date()}")
    if not first < last:
        raise ConfigError(f"start ({first.date()}) must be before end ({last.date()})")
    if (last - first).days < MIN_SPAN_DAYS:
        raise ConfigError(
            f"the span from {first.date()} to {last.date()} is shorter than {MIN_SPAN_DAYS} "
            "days; choose an earlier start or a later end"
        )
    quarters = pd.period_range(first, last, freq="Q")
    return _Span(
        start=first,
        end=last,
        n_days=(last - first).days + 1,
        quarters=quarters,
        quarter_first=np.asarray((quarters.start_time - first).days, dtype=np.int64),
        quarter_last=np.asarray((quarters.end_time.normalize() - first).days, dtype=np.int64),
    )


def _is_int(value: object) -> bool:
    """Whether ``value`` is an integer (and not a bool)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def _parse_date(name: str, value: object) -> pd.Timestamp:
    """Read a date argument as a midnight Timestamp or raise ConfigError."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            f"{name} must be a date like '2024-01-01', got {value!r}: {exc}"
        ) from None
    if pd.isna(stamp):
        raise ConfigError(f"{name} must be a date like '2024-01-01', got {value!r}")
    return pd.Timestamp(stamp.date())
