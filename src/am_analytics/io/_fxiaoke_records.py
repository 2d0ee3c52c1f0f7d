"""纷享销客 records into canonical rows: the rules exports and the OpenAPI share.

Whether a record counts is decided by its life status (生命状态): an order that
was voided (作废) or is still under review (审核中) is not a realised sale, and
a voided account is not a client. Such records are set aside with a reason
rather than dropped. Option values (商机 阶段状态, 员工状态) become the canonical
enumerations through tables in the mapping's ``[options]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from ..errors import ConfigError
from ..schemas import MANAGER_STATUSES, OPPORTUNITY_STATUSES
from ._crm import CrmMapping, ObjectMap
from ._crm_sources import set_aside_rows
from .parsing import parse_number

__all__ = [
    "CRM",
    "LIFE_STATUS_LABELS",
    "FxiaokeOptions",
    "api_fields",
    "finish_columns",
    "is_api_name",
    "split_voided",
]

CRM: Final = "fxiaoke"

#: Life status (生命状态) API codes and their labels in exports and the web UI.
LIFE_STATUS_LABELS: Final[dict[str, str]] = {
    "normal": "正常",
    "invalid": "作废",
    "ineffective": "未生效",
    "under_review": "审核中",
    "in_change": "变更中",
}
_LIFE_STATUS_CODES: Final = {label: code for code, label in LIFE_STATUS_LABELS.items()}
_TRUE: Final = frozenset({"true", "1", "是", "yes", "已删除"})


@dataclass(frozen=True, slots=True)
class FxiaokeOptions:
    """The ``[options]`` of a Fxiaoke mapping, checked.

    Attributes
    ----------
    realised_statuses
        Life status codes whose records count (``normal``); labels are accepted.
    life_status_fields, deleted_fields, modified_fields, owner_department_fields
        Source fields (API names and export labels) read for rules.
    opportunity_statuses
        阶段状态 value or 商机阶段 -> ``open``/``won``/``lost``.
    personnel_statuses
        员工状态 value -> ``active``/``on_leave``/``left``.
    """

    realised_statuses: tuple[str, ...] = ("normal",)
    life_status_fields: tuple[str, ...] = ("life_status", "生命状态")
    deleted_fields: tuple[str, ...] = ("is_deleted",)
    modified_fields: tuple[str, ...] = ("last_modified_time",)
    owner_department_fields: tuple[str, ...] = ("owner_department",)
    opportunity_statuses: Mapping[str, str] = field(default_factory=dict)
    personnel_statuses: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = [s for s in self.realised_statuses if _life_code(s) not in LIFE_STATUS_LABELS]
        if unknown:
            known = ", ".join(f"{c} ({label})" for c, label in LIFE_STATUS_LABELS.items())
            raise ConfigError(
                f"realised_statuses: {', '.join(map(repr, unknown))} not Fxiaoke life "
                f"statuses; use some of {known}"
            )
        _check_values("opportunity_statuses", self.opportunity_statuses, OPPORTUNITY_STATUSES)
        _check_values("personnel_statuses", self.personnel_statuses, MANAGER_STATUSES)

    @property
    def realised_codes(self) -> frozenset[str]:
        """The realised statuses as API codes."""
        return frozenset(_life_code(s) for s in self.realised_statuses)

    @classmethod
    def from_mapping(
        cls, mapping: CrmMapping, *, realised_statuses: Iterable[str] | None = None
    ) -> FxiaokeOptions:
        """The options of ``mapping``; ``realised_statuses`` given here wins."""
        given = dict(mapping.options)
        if realised_statuses is not None:
            given["realised_statuses"] = list(realised_statuses)
        unknown = set(given) - set(cls.__dataclass_fields__)
        if unknown:
            raise ConfigError(
                f"unknown Fxiaoke mapping options {', '.join(sorted(unknown))}; "
                f"the options are {', '.join(cls.__dataclass_fields__)}"
            )
        typed: dict[str, Any] = {}
        for name, value in given.items():
            if name.endswith("_statuses") and name != "realised_statuses":
                typed[name] = _text_table(name, value)
            else:
                typed[name] = _names(name, value)
        return cls(**typed)


def _life_code(status: str) -> str:
    """A life status label (作废) or code as its code (invalid)."""
    text = str(status).strip()
    return _LIFE_STATUS_CODES.get(text, text.lower())


def _names(option: str, value: object) -> tuple[str, ...]:
    """A list of strings option as a tuple."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"option {option}: expected a list of strings, got {value!r}")


def _text_table(option: str, value: object) -> dict[str, str]:
    """A ``{value = "canonical"}`` option table, keys compared case-insensitively."""
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ConfigError(
            f'option {option}: expected a table like {{"赢单" = "won"}}, got {value!r}'
        )
    return {str(k).strip().casefold(): v for k, v in value.items()}


def _check_values(option: str, table: Mapping[str, str], allowed: tuple[str, ...]) -> None:
    """A ConfigError for a translation table pointing at values a table does not allow."""
    wrong = sorted({v for v in table.values() if v not in allowed})
    if wrong:
        raise ConfigError(
            f"option {option}: {', '.join(map(repr, wrong))} not allowed; use {', '.join(allowed)}"
        )


def split_voided(
    records: pd.DataFrame,
    *,
    life_header: str | None,
    deleted_header: str | None,
    options: FxiaokeOptions,
) -> tuple[np.ndarray, pd.DataFrame]:
    """Which records count, and the set-aside rows of those that do not.

    ``records`` is indexed by 1-based source row; the headers name its life
    status and deleted flag (either may be absent). A record without a life
    status counts.
    """
    none = np.zeros(len(records), dtype=bool)
    deleted = records[deleted_header] if deleted_header else None
    gone = _is_true(deleted) if deleted is not None else none
    life = records[life_header] if life_header else pd.Series(None, records.index, "object")
    codes = _map_distinct(life, _life_code)
    voided = (codes.notna() & ~codes.isin(options.realised_codes)).to_numpy(dtype=bool) & ~gone
    rows = records.index.to_numpy()
    pieces = [set_aside_rows([], [], "voided", [], [])]
    if deleted is not None and gone.any():
        pieces.append(set_aside_rows(rows[gone], deleted[gone], "deleted", _DELETED, "is_deleted"))
    if voided.any():
        reasons = _map_distinct(codes[voided], lambda c: _voided_reason(c, options)).to_numpy()
        pieces.append(set_aside_rows(rows[voided], life[voided], "voided", reasons, "life_status"))
    aside = pd.concat(pieces, ignore_index=True).sort_values("row", kind="stable")
    return ~(gone | voided), aside.reset_index(drop=True)


_DELETED: Final = (
    "the record was deleted in Fxiaoke (is_deleted true); it is left out, "
    "so a merge with an earlier sync removes it"
)


def _map_distinct(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """``function`` applied to each distinct value once (a status column has a handful)."""
    distinct = values.dropna().unique()
    return values.map(dict(zip(distinct, map(function, distinct), strict=True)))


def _is_true(values: pd.Series) -> np.ndarray:
    """A flag column (true/false, 1/0, 是/否) as booleans; missing is false."""
    text = values.astype("str").str.strip().str.lower()
    return text.isin(_TRUE).to_numpy(dtype=bool) & values.notna().to_numpy(dtype=bool)


def _voided_reason(code: str, options: FxiaokeOptions) -> str:
    """Why a record with this life status is set aside, and how to count it."""
    label = LIFE_STATUS_LABELS.get(code, code)
    counted = ", ".join(f"{c} ({LIFE_STATUS_LABELS.get(c, c)})" for c in options.realised_codes)
    return (
        f"life status {label} ({code}): only records whose 生命状态 is {counted} are counted; "
        f"to count this one too, pass realised_statuses including {code!r} "
        "(or set realised_statuses in the mapping's [options])"
    )


def finish_columns(frame: pd.DataFrame, table: str, options: FxiaokeOptions) -> pd.DataFrame:
    """Fxiaoke values as canonical ones: statuses translated, percentages as fractions."""
    out = frame.copy()
    if table == "opportunities":
        if "status" in out:
            out["status"] = _translate(out["status"], options.opportunity_statuses)
        elif "stage" in out:
            # 商机 without 阶段状态: a final stage (赢单/输单) decides, any other stage is open
            out["status"] = _translate(out["stage"], options.opportunity_statuses, default="open")
        if "probability" in out:
            out["probability"] = _percent_as_fraction(out["probability"])
    if table == "managers" and "status" in out:
        out["status"] = _translate(out["status"], options.personnel_statuses)
    return out


def _translate(values: pd.Series, table: Mapping[str, str], *, default: str | None = None) -> Any:
    """Values looked up in an option table; unknown ones kept (validation names them)."""
    keys = values.astype("str").str.strip().str.casefold()
    found = keys.map(table)
    fallback = values if default is None else pd.Series(default, index=values.index)
    return found.where(found.notna(), fallback.where(values.notna()))


def _percent_as_fraction(values: pd.Series) -> pd.Series:
    """赢率 in percent (``60``, ``"60%"``) as text of a fraction; unreadable cells kept."""
    parsed = parse_number(values, label="probability")
    number = parsed.values.astype("float64")
    has_sign = values.astype("str").str.contains("%", regex=False).fillna(False)
    fraction = number.where(has_sign.to_numpy(dtype=bool), number / 100).round(10)
    if not len(parsed.failures):  # typed: validation need not read them again
        return fraction
    return fraction.astype("object").where(fraction.notna(), values)


def api_fields(objmap: ObjectMap, options: FxiaokeOptions) -> list[str]:
    """The API field names to ask for: the mapping's, and those read for rules."""
    candidates = [f for fields in objmap.columns.values() for f in fields]
    rules = (
        *options.life_status_fields,
        *options.deleted_fields,
        *options.modified_fields,
        *options.owner_department_fields,
    )
    names = [f for f in ("_id", *candidates, *rules) if is_api_name(f)]
    labels = [f"{f}__r" for f in names if f in ("owner", *_display_fields(objmap))]
    return list(dict.fromkeys([*names, *labels]))


def _display_fields(objmap: ObjectMap) -> list[str]:
    """API fields of text columns, whose ``__r`` display value is preferred."""
    text = ("team", "region", "industry", "crm_tier", "level", "stage")
    return [f for c in text for f in objmap.columns.get(c, ()) if is_api_name(f)]


def is_api_name(name: str) -> bool:
    """Whether a source field is an API name (``order_amount``), not an export label."""
    return name.isascii() and name.replace("_", "a").isalnum()
