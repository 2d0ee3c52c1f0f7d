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
from typing import Any, ClassVar, Final

import numpy as np
import pandas as pd
import pandera.pandas as pa

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


def _key(**extra: Any) -> pa.Column:
    """A key or id column: a non-empty string."""
    return pa.Column(str, pa.Check.str_length(min_value=1), metadata={"kind": "id", **extra})


def _ref(table: str) -> pa.Column:
    """A column holding ids of another table (a categorical over that table's keys)."""
    return pa.Column(pd.CategoricalDtype, metadata={"kind": "ref", "references": table})


def _text(*, default: str | None = None) -> pa.Column:
    """An optional free-text column."""
    return pa.Column(
        str, nullable=True, required=False, metadata={"kind": "text", "default": default}
    )


def _enum(
    values: tuple[str, ...], *, required: bool = False, default: str | None = None
) -> pa.Column:
    """A column of one of ``values``; a required one may be absent only if it has a default."""
    return pa.Column(
        str,
        pa.Check.isin(list(values)),
        nullable=not required,
        required=required and default is None,
        metadata={"kind": "enum", "default": default},
    )


def _date(*, required: bool = False, open_ended: bool = False) -> pa.Column:
    """A date column; ``open_ended``: an end date, where "9999-12-31" means no end."""
    return pa.Column(
        "datetime64[ns]",
        nullable=not required,
        required=required,
        metadata={"kind": "date", "open_ended": open_ended},
    )


def _number(kind: str, *checks: pa.Check, optional: bool = False) -> pa.Column:
    """A float column of ``kind`` (money, number, probability); optional ones may be empty."""
    return pa.Column(
        float, list(checks), nullable=optional, required=not optional, metadata={"kind": kind}
    )


def _finite(series: pd.Series) -> pd.Series:
    """Whether each value is a finite number."""
    return pd.Series(np.isfinite(series.to_numpy(dtype="float64", na_value=np.nan)), series.index)


def _finite_check(column: str) -> pa.Check:
    """``column`` holds finite numbers."""
    return pa.Check(_finite, name="finite", error=f"{column} must be a finite number")


def _nps_integer(nps: pd.Series) -> pd.Series:
    """Whether each NPS score is missing or a whole number."""
    return nps.isna() | (nps == nps.round())


def _has_a_score(frame: pd.DataFrame) -> pd.Series:
    """Whether each survey response has a csat or an nps score."""
    present = pd.Series(False, index=frame.index)
    for column in ("csat", "nps"):
        if column in frame:
            present |= frame[column].notna()
    return present


def _resolved_after_opened(frame: pd.DataFrame) -> pd.Series:
    """Whether each feedback item is unresolved or resolved no earlier than it was opened."""
    if "resolved_at" not in frame:
        return pd.Series(True, index=frame.index)
    return frame["resolved_at"].isna() | (frame["resolved_at"] >= frame["opened_at"])


def _period_end_after_start(frame: pd.DataFrame) -> pd.Series:
    """Whether each goal's period ends no earlier than it starts."""
    return frame["period_end"] >= frame["period_start"]


def _training_end_after_start(frame: pd.DataFrame) -> pd.Series:
    """Whether each training record has no end or ends no earlier than it starts."""
    if "end_date" not in frame:
        return pd.Series(True, index=frame.index)
    return frame["end_date"].isna() | (frame["end_date"] >= frame["start_date"])


def _in_range(low: float, high: float) -> pa.Check:
    """An inclusive range check."""
    return pa.Check.in_range(min_value=low, max_value=high)


# The tables' schemas are written with pandera's object API: building a schema from a
# DataFrameModel's annotations makes pandera import every dataframe library it supports
# that is installed (with dask, ``dask.dataframe``: about half a second per process).


class _TableModel(pa.DataFrameModel):
    """A canonical table as a pandera model: its schema is the table's object schema.

    The models keep pandera's class interface (``validate``, ``to_schema``,
    ``DataFrame[SalesSchema]`` annotations) without building from annotations.
    """

    _table: ClassVar[str] = ""

    @classmethod
    def build_schema_(cls, **kwargs: Any) -> pa.DataFrameSchema:
        """The table's schema (shared: :func:`table_schema` returns an own copy)."""
        return _object_schema(cls._table)


class ManagersSchema(_TableModel):
    """Account managers (客户经理): one row per manager."""

    _table = "managers"


class ClientsSchema(_TableModel):
    """Clients (客户): one row per client, each owned by a manager."""

    _table = "clients"


class SalesSchema(_TableModel):
    """Sales orders (订单): one row per order; refunds are negative amounts.

    ``manager_id`` is the credited manager, which may differ from the client's owner.
    """

    _table = "sales"


class SurveysSchema(_TableModel):
    """Satisfaction survey responses: CSAT on 1..5 and/or NPS on 0..10 (integers)."""

    _table = "surveys"


class FeedbackSchema(_TableModel):
    """Complaints, suggestions and praise, with when they were opened and resolved."""

    _table = "feedback"


class RatingsSchema(_TableModel):
    """Qualitative ratings of a manager's competencies by a rater, per period."""

    _table = "ratings"


class GoalsSchema(_TableModel):
    """Targets per owner (manager or team), metric and period, with their revisions.

    A goal keeps one row per revision (``revision`` 1, 2, ...), so the key is
    ``(goal_id, revision)``: a changed target adds a row, never overwrites one.
    """

    _table = "goals"


class TrainingSchema(_TableModel):
    """Training records: a manager on a course of a category, when, how long, how well."""

    _table = "training"


class OpportunitiesSchema(_TableModel):
    """The pipeline (商机): open, won and lost opportunities."""

    _table = "opportunities"


def _table(
    model: type[_TableModel],
    columns: dict[str, pa.Column],
    *,
    unique: list[str],
    checks: list[pa.Check] | None = None,
) -> pa.DataFrameSchema:
    """One canonical table's schema, named and described by its model."""
    return pa.DataFrameSchema(
        columns, checks=checks, unique=unique, name=model.__name__, description=model.__doc__
    )


_SCHEMAS: Final[dict[str, pa.DataFrameSchema]] = {
    "managers": _table(
        ManagersSchema,
        {
            "manager_id": _key(),
            "name": pa.Column(str, pa.Check.str_length(min_value=1), metadata={"kind": "text"}),
            "team": _text(),
            "region": _text(),
            "level": _text(),
            "hire_date": _date(),
            "status": _enum(MANAGER_STATUSES, default="active"),
        },
        unique=["manager_id"],
    ),
    "clients": _table(
        ClientsSchema,
        {
            "client_id": _key(),
            "manager_id": _ref("managers"),
            "name": _text(),
            "industry": _text(),
            "region": _text(),
            "created_date": _date(),
            "crm_tier": _text(),
        },
        unique=["client_id"],
    ),
    "sales": _table(
        SalesSchema,
        {
            "order_id": _key(),
            "client_id": _ref("clients"),
            "manager_id": _ref("managers"),
            "order_date": _date(required=True),
            "amount": _number("money", _finite_check("amount")),
            "product": _text(),
            "channel": _text(),
        },
        unique=["order_id"],
    ),
    "surveys": _table(
        SurveysSchema,
        {
            "response_id": _key(),
            "client_id": _ref("clients"),
            "manager_id": _ref("managers"),
            "survey_date": _date(required=True),
            "csat": _number("number", _in_range(1, 5), optional=True),
            "nps": _number(
                "number",
                _in_range(0, 10),
                pa.Check(
                    _nps_integer, name="integer", error="nps must be a whole number from 0 to 10"
                ),
                optional=True,
            ),
            "comment": _text(),
        },
        unique=["response_id"],
        checks=[
            pa.Check(
                _has_a_score, name="csat_or_nps", error="a response needs a csat or an nps score"
            )
        ],
    ),
    "feedback": _table(
        FeedbackSchema,
        {
            "feedback_id": _key(),
            "client_id": _ref("clients"),
            "manager_id": _ref("managers"),
            "kind": _enum(FEEDBACK_KINDS, required=True),
            "opened_at": _date(required=True),
            "resolved_at": _date(open_ended=True),
            "severity": _enum(SEVERITIES),
            "summary": _text(),
        },
        unique=["feedback_id"],
        checks=[
            pa.Check(
                _resolved_after_opened,
                name="resolved_after_opened",
                error="resolved_at is before opened_at",
            )
        ],
    ),
    "ratings": _table(
        RatingsSchema,
        {
            "manager_id": _ref("managers"),
            "period": pa.Column(str, metadata={"kind": "period"}),
            "rater_id": _key(),
            "rater_role": _enum(RATER_ROLES, required=True),
            "competency": pa.Column(str, metadata={"kind": "enum"}),
            "score": _number("number"),
        },
        unique=["manager_id", "period", "rater_id", "competency"],
    ),
    "goals": _table(
        GoalsSchema,
        {
            "goal_id": _key(),
            "owner_id": _key(),
            "metric": pa.Column(str, pa.Check.str_length(min_value=1), metadata={"kind": "text"}),
            "target": _number("number", _finite_check("target")),
            "period_start": _date(required=True),
            "period_end": _date(required=True),
            "owner_kind": _enum(OWNER_KINDS, required=True, default="manager"),
            "set_on": _date(),
            "revision": pa.Column(
                int, pa.Check.ge(1), required=False, metadata={"kind": "integer", "default": 1}
            ),
            "reason": _text(),
        },
        unique=["goal_id", "revision"],
        checks=[
            pa.Check(
                _period_end_after_start,
                name="period_end_after_start",
                error="period_end is before period_start",
            )
        ],
    ),
    "training": _table(
        TrainingSchema,
        {
            "record_id": _key(),
            "manager_id": _ref("managers"),
            "course_id": _key(),
            "category": pa.Column(str, metadata={"kind": "enum"}),
            "start_date": _date(required=True),
            "end_date": _date(open_ended=True),
            "hours": _number("number", pa.Check.ge(0), optional=True),
            "completed": pa.Column(
                pd.BooleanDtype, nullable=True, required=False, metadata={"kind": "bool"}
            ),
            "assessment_score": _number("number", _in_range(0, 100), optional=True),
        },
        unique=["record_id"],
        checks=[
            pa.Check(
                _training_end_after_start,
                name="end_after_start",
                error="end_date is before start_date",
            )
        ],
    ),
    "opportunities": _table(
        OpportunitiesSchema,
        {
            "opportunity_id": _key(),
            "client_id": _ref("clients"),
            "manager_id": _ref("managers"),
            "amount": _number("money", pa.Check.ge(0), _finite_check("amount")),
            "status": _enum(OPPORTUNITY_STATUSES, required=True),
            "stage": _text(),
            "probability": _number("probability", _in_range(0, 1), optional=True),
            "expected_close": _date(open_ended=True),
            "created_date": _date(),
        },
        unique=["opportunity_id"],
    ),
}


_MODELS: Final[dict[str, type[_TableModel]]] = {
    model._table: model
    for model in (
        ManagersSchema,
        ClientsSchema,
        SalesSchema,
        SurveysSchema,
        FeedbackSchema,
        RatingsSchema,
        GoalsSchema,
        TrainingSchema,
        OpportunitiesSchema,
    )
}

#: The canonical tables, in the order they are validated (a table comes after
#: the tables it refers to).
TABLES: Final = tuple(_SCHEMAS)
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
    _object_schema(table)  # an unknown table is a ConfigError
    return _MODELS[table]


def _object_schema(table: str) -> pa.DataFrameSchema:
    """The schema of a canonical table without the run's rules (shared: do not change it)."""
    try:
        return _SCHEMAS[table]
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
    schema = _object_schema(table)
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
    unique = _object_schema(table).unique
    return list(unique or [])


def column_kinds(table: str) -> dict[str, str]:
    """Each canonical column of ``table`` and how its raw cells are read.

    Examples
    --------
    >>> column_kinds("sales")["amount"], column_kinds("sales")["client_id"]
    ('money', 'ref')
    """
    return {name: column.metadata["kind"] for name, column in _object_schema(table).columns.items()}


def required_columns(table: str) -> list[str]:
    """The columns a source for ``table`` must have.

    Examples
    --------
    >>> required_columns("clients")
    ['client_id', 'manager_id']
    """
    return [name for name, column in _object_schema(table).columns.items() if column.required]


def references(table: str) -> dict[str, str]:
    """The columns of ``table`` that hold ids of another table: ``{column: table}``.

    Examples
    --------
    >>> references("sales")
    {'client_id': 'clients', 'manager_id': 'managers'}
    """
    return {
        name: column.metadata["references"]
        for name, column in _object_schema(table).columns.items()
        if column.metadata.get("kind") == "ref"
    }


def column_default(table: str, column: str) -> Any:
    """The value an absent column or an empty cell takes (None: stays missing).

    Examples
    --------
    >>> column_default("goals", "owner_kind"), column_default("sales", "product")
    ('manager', None)
    """
    metadata = _object_schema(table).columns[column].metadata or {}
    return metadata.get("default")
