"""Incremental CRM syncs: how far the last sync of each object got."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import ConfigError

__all__ = ["SyncState", "Watermark"]


@dataclass(frozen=True, slots=True)
class Watermark:
    """How far a sync of one object got: the latest modification time seen (UTC) and
    the ids of the records modified at exactly that time."""

    time: pd.Timestamp
    ids: frozenset[str] = frozenset()

    def is_new(self, times: pd.Series, ids: pd.Series) -> np.ndarray:
        """Which records (UTC modification times, ids) the previous sync did not see.

        Vendors filter on "modified at or after", so the records at the boundary
        come back; those whose id was seen at that very time are dropped.
        """
        later = (times > self.time).to_numpy(dtype=bool)
        at_mark = (times == self.time).to_numpy(dtype=bool)
        return later | (at_mark & ~ids.astype("str").isin(self.ids).to_numpy())

    def advance(self, times: pd.Series, ids: pd.Series) -> Watermark:
        """The watermark after also seeing these records."""
        if times.empty or times.isna().all():
            return self
        latest = times.max()
        if latest < self.time:
            return self
        at_latest = frozenset(ids[(times == latest).to_numpy()].astype("str"))
        return Watermark(latest, at_latest | self.ids if latest == self.time else at_latest)


@dataclass(frozen=True, slots=True)
class SyncState:
    """Where the last sync of each object stopped; pass it as ``modified_since``.

    Examples
    --------
    >>> mark = Watermark(pd.Timestamp("2026-07-01 02:00Z"), frozenset({"1"}))
    >>> state = SyncState("zoho", {"Deals": mark})
    >>> SyncState.from_json(state.to_json()) == state
    True
    """

    crm: str
    marks: Mapping[str, Watermark] = field(default_factory=dict)

    def mark(self, name: str, since: pd.Timestamp | None = None) -> Watermark | None:
        """The watermark of one object, or one at ``since`` when the object is new."""
        if name in self.marks:
            return self.marks[name]
        return Watermark(since) if since is not None else None

    def to_json(self) -> str:
        """The state as JSON (times in ISO 8601 UTC)."""
        import json

        marks = {
            name: {"time": mark.time.isoformat(), "ids": sorted(mark.ids)}
            for name, mark in self.marks.items()
        }
        return json.dumps({"crm": self.crm, "marks": marks}, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> SyncState:
        """Read a state written by :meth:`to_json`."""
        import json

        try:
            data = json.loads(text)
            marks = {
                name: Watermark(pd.Timestamp(m["time"]).tz_convert("UTC"), frozenset(m["ids"]))
                for name, m in data["marks"].items()
            }
            return cls(str(data["crm"]), marks)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"not a sync state written by am_analytics: {exc}") from None
