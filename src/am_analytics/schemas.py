"""The nine canonical tables as pandera models, and the rules their rows obey.

A model describes a table as the library holds it after loading: canonical
column names, dtypes and the row rules. Loaders (:func:`am_analytics.load`,
:func:`am_analytics.from_frames`) turn raw files into this form and send every
row that breaks a rule to ``rejects``; everything downstream trusts it.

Conventions
-----------
* Ids are strings. A column that refers to another table (``sales.client_id``,
  ``sales.manager_id``, ...) is a ``category`` whose categories are the
  referenced table's keys in that table's row order, so ``codes`` index its rows
  and group-bys cost integer work. Ids that are kept although unknown
  (``on_orphans="keep"``) are appended after the known ones.
* Dates are naive ``datetime64[ns]`` in the organisation's local time.
* Money is ``float64`` in one reporting currency; ``amount`` may be negative
  (refunds, credit notes).
* Each field's ``metadata["kind"]`` says how loaders read raw cells:
  ``id``, ``ref``, ``text``, ``enum``, ``date``, ``money``, ``number``,
  ``probability``, ``integer``, ``bool`` or ``period``.

Rules that depend on the run (the latest plausible date, the rating scale, the
training categories) come from :class:`ValidationRules` and are added by
:func:`table_schema`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from .errors import ConfigError

__all__ = [
    "COMPETENCIES",
    "FEEDBACK_KINDS",
    "MANAGER_STATUSES",
    "OPPORTUNITY_STATUSES",
    "OWNER_KINDS",
    "RATER_ROLES",
    "REQUIRED_TABLES",
    "SEVERITIES",
    "TABLES",
    "TRAINING_CATEGORIES",
    "ClientsSchema",
    "FeedbackSchema",
    "GoalsSchema",
    "ManagersSchema",
    "OpportunitiesSchema",
    "RatingsSchema",
    "SalesSchema",
    "SurveysSchema",
    "TrainingSchema",
    "ValidationRules",
    "table_model",
    "table_schema",
]

FEEDBACK_KINDS: Final = ("complaint", "suggestion", "praise")
RATER_ROLES: Final = ("supervisor", "peer", "self", "client")
TRAINING_CATEGORIES: Final = (
    "sales_skills",
    "product_knowledge",
    "market_analysis",
    "customer_service",
    "communication",
    "leadership",
    "compliance",
)
OPPORTUNITY_STATUSES: Final = ("open", "won", "lost")
SEVERITIES: Final = ("low", "medium", "high")
OWNER_KINDS: Final = ("manager", "team")
MANAGER_STATUSES: Final = ("active", "on_leave", "left")
#: The competencies rated by default: those the default scorecard and career ladder name.
COMPETENCIES: Final = (
    "communication",
    "problem_solving",
    "teamwork",
    "product_knowledge",
    "client_focus",
)
#: The largest plausible absolute amount of one order or opportunity, by default.
MAX_AMOUNT: Final = 1e12


def _key(**extra: Any) -> Any:
    """A key or id column: a non-empty string."""
    return pa.Field(str_length={"min_value": 1}, metadata={"kind": "id", **extra})


def _ref(table: str) -> Any:
    """A column holding ids of another table (a categorical over that table's keys)."""
    return pa.Field(metadata={"kind": "ref", "references": table})


def _text(*, default: str | None = None) -> Any:
    return pa.Field(nullable=True, metadata={"kind": "text", "default": default})


def _enum(values: tuple[str, ...], *, required: bool = False, default: str | None = None) -> Any:
    return pa.Field(
        isin=list(values), nullable=not required, metadata={"kind": "enum", "default": default}
    )


def _date(*, required: bool = False, open_ended: bool = False) -> Any:
    # open_ended: an end date, where "9999-12-31" means no end (read as missing)
    return pa.Field(nullable=not required, metadata={"kind": "date", "open_ended": open_ended})


def _finite(series: pd.Series) -> pd.Series:
    return pd.Series(np.isfinite(series.to_numpy(dtype="float64", na_value=np.nan)), series.index)


class ManagersSchema(pa.DataFrameModel):
    """Account managers (客户经理): one row per manager."""

    manager_id: Series[str] = _key()
    name: Series[str] = pa.Field(str_length={"min_value": 1}, metadata={"kind": "text"})
    team: Series[str] | None = _text()
    region: Series[str] | None = _text()
    level: Series[str] | None = _text()
    hire_date: Series[pd.Timestamp] | None = _date()
    status: Series[str] | None = _enum(MANAGER_STATUSES, default="active")

    class Config:
        unique = ["manager_id"]


class ClientsSchema(pa.DataFrameModel):
    """Clients (客户): one row per client, each owned by a manager."""

    client_id: Series[str] = _key()
    manager_id: Series[pd.CategoricalDtype] = _ref("managers")
    name: Series[str] | None = _text()
    industry: Series[str] | None = _text()
    region: Series[str] | None = _text()
    created_date: Series[pd.Timestamp] | None = _date()
    crm_tier: Series[str] | None = _text()

    class Config:
        unique = ["client_id"]


class SalesSchema(pa.DataFrameModel):
    """Sales orders (订单): one row per order; refunds are negative amounts.

    ``manager_id`` is the credited manager, which may differ from the client's owner.
    """

    order_id: Series[str] = _key()
    client_id: Series[pd.CategoricalDtype] = _ref("clients")
    manager_id: Series[pd.CategoricalDtype] = _ref("managers")
    order_date: Series[pd.Timestamp] = _date(required=True)
    amount: Series[float] = pa.Field(metadata={"kind": "money"})
    product: Series[str] | None = _text()
    channel: Series[str] | None = _text()

    @pa.check("amount", name="finite", error="amount must be a finite number")
    def _amount_finite(cls, amount: pd.Series) -> pd.Series:
        return _finite(amount)

    class Config:
        unique = ["order_id"]


class SurveysSchema(pa.DataFrameModel):
    """Satisfaction survey responses: CSAT on 1..5 and/or NPS on 0..10 (integers)."""

    response_id: Series[str] = _key()
    client_id: Series[pd.CategoricalDtype] = _ref("clients")
    manager_id: Series[pd.CategoricalDtype] = _ref("managers")
    survey_date: Series[pd.Timestamp] = _date(required=True)
    csat: Series[float] | None = pa.Field(
        nullable=True, in_range={"min_value": 1, "max_value": 5}, metadata={"kind": "number"}
    )
    nps: Series[float] | None = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 10}, metadata={"kind": "number"}
    )
    comment: Series[str] | None = _text()

    @pa.check("nps", name="integer", error="nps must be a whole number from 0 to 10")
    def _nps_integer(cls, nps: pd.Series) -> pd.Series:
        return nps.isna() | (nps == nps.round())

    @pa.dataframe_check(name="csat_or_nps", error="a response needs a csat or an nps score")
    def _has_a_score(cls, frame: pd.DataFrame) -> pd.Series:
        present = pd.Series(False, index=frame.index)
        for column in ("csat", "nps"):
            if column in frame:
                present |= frame[column].notna()
        return present

    class Config:
        unique = ["response_id"]


class FeedbackSchema(pa.DataFrameModel):
    """Complaints, suggestions and praise, with when they were opened and resolved."""

    feedback_id: Series[str] = _key()
    client_id: Series[pd.CategoricalDtype] = _ref("clients")
    manager_id: Series[pd.CategoricalDtype] = _ref("managers")
    kind: Series[str] = _enum(FEEDBACK_KINDS, required=True)
    opened_at: Series[pd.Timestamp] = _date(required=True)
    resolved_at: Series[pd.Timestamp] | None = _date(open_ended=True)
    severity: Series[str] | None = _enum(SEVERITIES)
    summary: Series[str] | None = _text()

    @pa.dataframe_check(name="resolved_after_opened", error="resolved_at is before opened_at")
    def _resolved_after_opened(cls, frame: pd.DataFrame) -> pd.Series:
        if "resolved_at" not in frame:
            return pd.Series(True, index=frame.index)
        return frame["resolved_at"].isna() | (frame["resolved_at"] >= frame["opened_at"])

    class Config:
        unique = ["feedback_id"]


class RatingsSchema(pa.DataFrameModel):
    """Qualitative ratings of a manager's competencies by a rater, per period."""

    manager_id: Series[pd.CategoricalDtype] = _ref("managers")
    period: Series[str] = pa.Field(metadata={"kind": "period"})
    rater_id: Series[str] = _key()
    rater_role: Series[str] = _enum(RATER_ROLES, required=True)
    competency: Series[str] = pa.Field(metadata={"kind": "enum"})
    score: Series[float] = pa.Field(metadata={"kind": "number"})

    class Config:
        unique = ["manager_id", "period", "rater_id", "competency"]


class GoalsSchema(pa.DataFrameModel):
    """Targets per owner (manager or team), metric and period, with their revisions.

    A goal keeps one row per revision (``revision`` 1, 2, ...), so the key is
    ``(goal_id, revision)``: a changed target adds a row, never overwrites one.
    """

    goal_id: Series[str] = _key()
    owner_id: Series[str] = _key()
    metric: Series[str] = pa.Field(str_length={"min_value": 1}, metadata={"kind": "text"})
    target: Series[float] = pa.Field(metadata={"kind": "number"})
    period_start: Series[pd.Timestamp] = _date(required=True)
    period_end: Series[pd.Timestamp] = _date(required=True)
    owner_kind: Series[str] | None = _enum(OWNER_KINDS, required=True, default="manager")
    set_on: Series[pd.Timestamp] | None = _date()
    revision: Series[int] | None = pa.Field(ge=1, metadata={"kind": "integer", "default": 1})
    reason: Series[str] | None = _text()

    @pa.check("target", name="finite", error="target must be a finite number")
    def _target_finite(cls, target: pd.Series) -> pd.Series:
        return _finite(target)

    @pa.dataframe_check(name="period_end_after_start", error="period_end is before period_start")
    def _end_after_start(cls, frame: pd.DataFrame) -> pd.Series:
        return frame["period_end"] >= frame["period_start"]

    class Config:
        unique = ["goal_id", "revision"]


class TrainingSchema(pa.DataFrameModel):
    """Training records: a manager on a course of a category, when, how long, how well."""

    record_id: Series[str] = _key()
    manager_id: Series[pd.CategoricalDtype] = _ref("managers")
    course_id: Series[str] = _key()
    category: Series[str] = pa.Field(metadata={"kind": "enum"})
    start_date: Series[pd.Timestamp] = _date(required=True)
    end_date: Series[pd.Timestamp] | None = _date(open_ended=True)
    hours: Series[float] | None = pa.Field(nullable=True, ge=0, metadata={"kind": "number"})
    completed: Series[pd.BooleanDtype] | None = pa.Field(nullable=True, metadata={"kind": "bool"})
    assessment_score: Series[float] | None = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 100}, metadata={"kind": "number"}
    )

    @pa.dataframe_check(name="end_after_start", error="end_date is before start_date")
    def _end_after_start(cls, frame: pd.DataFrame) -> pd.Series:
        if "end_date" not in frame:
            return pd.Series(True, index=frame.index)
        return frame["end_date"].isna() | (frame["end_date"] >= frame["start_date"])

    class Config:
        unique = ["record_id"]


class OpportunitiesSchema(pa.DataFrameModel):
    """The pipeline (商机): open, won and lost opportunities."""

    opportunity_id: Series[str] = _key()
    client_id: Series[pd.CategoricalDtype] = _ref("clients")
    manager_id: Series[pd.CategoricalDtype] = _ref("managers")
    amount: Series[float] = pa.Field(ge=0, metadata={"kind": "money"})
    status: Series[str] = _enum(OPPORTUNITY_STATUSES, required=True)
    stage: Series[str] | None = _text()
    probability: Series[float] | None = pa.Field(
        nullable=True, in_range={"min_value": 0, "max_value": 1}, metadata={"kind": "probability"}
    )
    expected_close: Series[pd.Timestamp] | None = _date(open_ended=True)
    created_date: Series[pd.Timestamp] | None = _date()

    @pa.check("amount", name="finite", error="amount must be a finite number")
    def _amount_finite(cls, amount: pd.Series) -> pd.Series:
        return _finite(amount)

    class Config:
        unique = ["opportunity_id"]


_MODELS: Final[dict[str, type[pa.DataFrameModel]]] = {
    "managers": ManagersSchema,
    "clients": ClientsSchema,
    "sales": SalesSchema,
    "surveys": SurveysSchema,
    "feedback": FeedbackSchema,
    "ratings": RatingsSchema,
    "goals": GoalsSchema,
    "training": TrainingSchema,
    "opportunities": OpportunitiesSchema,
}

#: The canonical tables, in the order they are validated (a table comes after
#: the tables it refers to).
TABLES: Final = tuple(_MODELS)
#: The tables every dataset must have.
REQUIRED_TABLES: Final = ("managers", "clients", "sales")


@dataclass(frozen=True, slots=True)
class ValidationRules:
    """The rules of the canonical tables that an organisation may set.

    Parameters
    ----------
    min_date
        Dates before this are rejected as implausible (a typo, a 1900 default).
    max_years_after_as_of
        Dates more than this many years after ``as_of`` are rejected. Without an
        ``as_of`` there is no upper bound.
    score_scale
        The inclusive range of rating scores.
    training_categories
        The allowed training categories.
    competencies
        The competencies ratings may name (``ratings.competency``); a rating of
        any other is rejected with this list. The default holds those of the
        default scorecard and career ladder: add yours when your scorecard or
        ladder rates others. Goals may name ``rating_<competency>`` for these.
    max_amount
        The largest plausible absolute amount of one order or opportunity
        (``sales.amount``, ``opportunities.amount``), in the reporting
        currency. Larger amounts are rejected as a slip (a wrong unit, a
        misplaced decimal point, an overflowing export) before they swamp every
        sum. The default, 10¹² (a trillion), is above the largest single order
        of a large bank's client; raise it if yours are larger.
    timezone
        The organisation's time zone. Datetimes written with an offset
        (``2026-07-01T10:00:00+00:00``) are converted to it; without it they
        keep the wall-clock time they were written with.
    dayfirst
        How to read dates written with the year last (``01/07/2026``):
        ``True`` day first, ``False`` month first, ``None`` infer per column
        and reject the rows that stay ambiguous.

    Examples
    --------
    >>> ValidationRules(score_scale=(1, 10)).score_scale
    (1, 10)
    >>> ValidationRules(max_amount=5e12).max_amount
    5000000000000.0
    >>> ValidationRules(score_scale=(5, 1))
    Traceback (most recent call last):
    ...
    am_analytics.errors.ConfigError: score_scale must be (low, high) with low < high, got (5, 1)
    """

    min_date: str = "1990-01-01"
    max_years_after_as_of: int = 1
    score_scale: tuple[float, float] = (1, 5)
    training_categories: tuple[str, ...] = TRAINING_CATEGORIES
    competencies: tuple[str, ...] = COMPETENCIES
    max_amount: float = MAX_AMOUNT
    timezone: str | None = None
    dayfirst: bool | None = None

    def __post_init__(self) -> None:
        low, high = self.score_scale
        if not low < high:
            raise ConfigError(
                f"score_scale must be (low, high) with low < high, got {self.score_scale}"
            )
        try:
            pd.Timestamp(self.min_date)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"min_date {self.min_date!r} is not a date: {exc}") from None
        if self.max_years_after_as_of < 0:
            raise ConfigError("max_years_after_as_of must be >= 0")
        if not self.training_categories:
            raise ConfigError("training_categories must not be empty")
        if not self.competencies:
            raise ConfigError("competencies must not be empty")
        if not (np.isfinite(self.max_amount) and self.max_amount > 0):
            raise ConfigError(
                f"max_amount must be a finite number above 0 (such as 1e12), "
                f"got {self.max_amount!r}"
            )
        if self.timezone is not None:
            try:
                pd.Timestamp("2026-01-01", tz=self.timezone)
            except Exception:
                raise ConfigError(
                    f"timezone {self.timezone!r} is not a known time zone "
                    "(use an IANA name such as 'Asia/Shanghai')"
                ) from None

    def date_bounds(self, as_of: pd.Timestamp | None) -> tuple[pd.Timestamp, pd.Timestamp | None]:
        """The earliest and latest plausible dates (latest is None without ``as_of``)."""
        low = pd.Timestamp(self.min_date)
        high = None if as_of is None else as_of + pd.DateOffset(years=self.max_years_after_as_of)
        return low, high


def table_model(table: str) -> type[pa.DataFrameModel]:
    """The pandera model of a canonical table.

    Examples
    --------
    >>> table_model("sales").__name__
    'SalesSchema'
    """
    try:
        return _MODELS[table]
    except KeyError:
        raise ConfigError(
            f"unknown table {table!r}; the canonical tables are {', '.join(TABLES)}"
        ) from None


def table_schema(
    table: str,
    *,
    rules: ValidationRules | None = None,
    as_of: pd.Timestamp | None = None,
    check_keys: bool = True,
) -> pa.DataFrameSchema:
    """The full schema of a table for one run: the model plus the run's rules.

    Adds the plausible date range to every date column, the plausible amount
    bound to every money column, the rating scale to ``ratings.score``, the
    allowed competencies to ``ratings.competency`` and the allowed training
    categories to ``training.category``.

    Parameters
    ----------
    table
        A canonical table name.
    rules
        The organisation's rules; the defaults when omitted.
    as_of
        The date the data describes; bounds how far in the future dates may be.
    check_keys
        Keep the model's key uniqueness check. Loaders turn it off because they
        enforce keys themselves (keeping the first of exact duplicates and
        rejecting conflicting ones).

    Examples
    --------
    >>> import pandas as pd
    >>> schema = table_schema("ratings", rules=ValidationRules(score_scale=(1, 10)))
    >>> schema.columns["score"].checks[0]
    <Check in_range: in_range(1, 10)>
    """
    rules = rules or ValidationRules()
    schema = table_model(table).to_schema()
    low, high = rules.date_bounds(as_of)
    updates: dict[str, dict[str, Any]] = {}
    for name, column in schema.columns.items():
        kind = (column.metadata or {}).get("kind")
        if kind == "date":
            bounds = pa.Check.in_range(low, high) if high is not None else pa.Check.ge(low)
            updates[name] = {"checks": [*column.checks, bounds]}
        if kind == "money":
            updates[name] = {"checks": [*column.checks, _plausible_amount(name, rules.max_amount)]}
    if table == "ratings":
        updates["score"] = {"checks": [pa.Check.in_range(*rules.score_scale)]}
        updates["competency"] = {"checks": [pa.Check.isin(list(rules.competencies))]}
    if table == "training":
        updates["category"] = {"checks": [pa.Check.isin(list(rules.training_categories))]}
    schema = schema.update_columns(updates)
    if not check_keys:
        schema.unique = None
    return schema


def _plausible_amount(column: str, bound: float) -> pa.Check:
    """``|amount| <= bound``; infinities are left to the finite check (one failure per cell)."""

    def plausible(amount: pd.Series) -> pd.Series:
        values = amount.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(~np.isfinite(values) | (np.abs(values) <= bound), amount.index)

    return pa.Check(
        plausible,
        name="max_amount",
        error=f"{column} must be within ±{bound:g} (ValidationRules.max_amount)",
        statistics={"max_value": bound},
    )


def key_columns(table: str) -> list[str]:
    """The columns that identify a row of ``table``.

    Examples
    --------
    >>> key_columns("ratings")
    ['manager_id', 'period', 'rater_id', 'competency']
    """
    unique = table_model(table).to_schema().unique
    return list(unique or [])


def column_kinds(table: str) -> dict[str, str]:
    """Each canonical column of ``table`` and how its raw cells are read.

    Examples
    --------
    >>> column_kinds("sales")["amount"], column_kinds("sales")["client_id"]
    ('money', 'ref')
    """
    return {
        name: column.metadata["kind"]
        for name, column in table_model(table).to_schema().columns.items()
    }


def required_columns(table: str) -> list[str]:
    """The columns a source for ``table`` must have.

    Examples
    --------
    >>> required_columns("clients")
    ['client_id', 'manager_id']
    """
    return [
        name for name, column in table_model(table).to_schema().columns.items() if column.required
    ]


def references(table: str) -> dict[str, str]:
    """The columns of ``table`` that hold ids of another table: ``{column: table}``.

    Examples
    --------
    >>> references("sales")
    {'client_id': 'clients', 'manager_id': 'managers'}
    """
    return {
        name: column.metadata["references"]
        for name, column in table_model(table).to_schema().columns.items()
        if column.metadata.get("kind") == "ref"
    }


def column_default(table: str, column: str) -> Any:
    """The value an absent column or an empty cell takes (None: stays missing).

    Examples
    --------
    >>> column_default("goals", "owner_kind"), column_default("sales", "product")
    ('manager', None)
    """
    metadata = table_model(table).to_schema().columns[column].metadata or {}
    return metadata.get("default")
