"""Service plans: per client the service level and the next action with a due date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias, get_args

import numpy as np
import pandas as pd

from ..config import read_packaged_toml, read_toml
from ..errors import ConfigError, DataValidationError
from ..periods import DateLike, parse_as_of
from ._portfolio import RFM_SEGMENTS, _positions, _require

ServiceLevel: TypeAlias = Literal["key_account", "standard"]


SERVICE_LEVELS: Final = get_args(ServiceLevel)


@dataclass(frozen=True, slots=True)
class ServiceRule:
    """How the clients of one segment are served.

    Parameters
    ----------
    segment
        One of :data:`RFM_SEGMENTS`.
    level
        ``"key_account"`` (a named manager, personalised service) or
        ``"standard"``.
    action, action_zh
        The next action, in English and in Chinese; ``{days}`` in the text is
        replaced by ``days``.
    days
        The action is due this many days after ``as_of`` (a whole number >= 0).

    Examples
    --------
    >>> ServiceRule("Can't Lose", "key_account", "call within {days} days",
    ...             "{days}天内电话回访", 7).next_action_zh
    '7天内电话回访'
    """

    segment: str
    level: ServiceLevel
    action: str
    action_zh: str
    days: int

    def __post_init__(self) -> None:
        where = f"service rule for {self.segment!r}"
        if self.segment not in RFM_SEGMENTS:
            raise ConfigError(
                f"unknown segment {self.segment!r} in the service policy; "
                f"the segments are {list(RFM_SEGMENTS)}"
            )
        if self.level not in SERVICE_LEVELS:
            raise ConfigError(
                f"{where}: level must be one of {list(SERVICE_LEVELS)}, not {self.level!r}"
            )
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 0:
            raise ConfigError(f"{where}: days must be a whole number >= 0, not {self.days!r}")
        for name in ("action", "action_zh"):
            text = getattr(self, name)
            if not isinstance(text, str) or not text.strip():
                raise ConfigError(f"{where}: {name} must be a non-empty text, not {text!r}")

    @property
    def next_action(self) -> str:
        """The English action with the days filled in."""
        return self.action.replace("{days}", str(self.days))

    @property
    def next_action_zh(self) -> str:
        """The Chinese action with the days filled in."""
        return self.action_zh.replace("{days}", str(self.days))


@dataclass(frozen=True, slots=True)
class ServicePolicy:
    """Service level, next action and its delay for each segment.

    Parameters
    ----------
    rules
        One :class:`ServiceRule` per segment served.
    key_account_tiers
        ABC tiers whose clients are key accounts whatever their segment
        (default ``("A",)``).

    Notes
    -----
    Priorities follow from the policy alone, so a client's priority does not
    depend on who else is planned: every (days, level) pair the policy can
    give is ranked by days, key accounts before standard ones on the same
    day, and numbered from 1 (most urgent).

    Examples
    --------
    >>> policy = default_service_policy()
    >>> policy.rule("Can't Lose").next_action
    'call within 7 days; visit in person to win them back'
    >>> policy.key_account_tiers
    ('A',)
    """

    rules: tuple[ServiceRule, ...]
    key_account_tiers: tuple[str, ...] = ("A",)

    def __post_init__(self) -> None:
        rules = tuple(self.rules)
        if not rules or not all(isinstance(r, ServiceRule) for r in rules):
            raise ConfigError("a service policy needs one or more ServiceRule objects")
        segments = [r.segment for r in rules]
        repeated = sorted({s for s in segments if segments.count(s) > 1})
        if repeated:
            raise ConfigError(f"the service policy gives {repeated} more than one rule; keep one")
        tiers: Any = self.key_account_tiers  # a list or text when read from TOML
        if isinstance(tiers, str) or not all(isinstance(t, str) for t in tiers):
            raise ConfigError(
                f"key_account_tiers must be a list of tier names like ['A'], not {tiers!r}"
            )
        object.__setattr__(self, "rules", rules)
        object.__setattr__(self, "key_account_tiers", tuple(tiers))

    @property
    def segments(self) -> tuple[str, ...]:
        """The segments the policy serves, in its order."""
        return tuple(r.segment for r in self.rules)

    def rule(self, segment: str) -> ServiceRule:
        """The rule of one segment; ConfigError if the policy has none."""
        for rule in self.rules:
            if rule.segment == segment:
                return rule
        raise ConfigError(f"the service policy has no rule for {segment!r}; it has {self.segments}")

    def table(self) -> pd.DataFrame:
        """The rules as a frame indexed by segment: level, next_action(_zh), days, priority."""
        frame = pd.DataFrame(
            {
                "service_level": [r.level for r in self.rules],
                "next_action": [r.next_action for r in self.rules],
                "next_action_zh": [r.next_action_zh for r in self.rules],
                "days": np.array([r.days for r in self.rules], dtype="int64"),
            },
            index=pd.Index(self.segments, dtype="str", name="segment"),
        )
        key = frame["service_level"].eq("key_account").to_numpy()
        frame["priority"] = self.priority(frame["days"].to_numpy(), key)
        return frame

    def priority(self, days: np.ndarray, key_account: np.ndarray) -> np.ndarray:
        """The priority (1 = most urgent) of actions due in ``days``, key accounts or not."""
        # urgency as one sortable number: the day, then key accounts (0) before others (1)
        rule_days = np.array([r.days for r in self.rules], dtype="int64")
        rule_key = np.array([r.level == "key_account" for r in self.rules])
        possible = [rule_days * 2 + np.where(rule_key, 0, 1)]
        if self.key_account_tiers:
            possible.append(rule_days * 2)  # any segment may hold a top-tier key account
        ranks = np.unique(np.concatenate(possible))
        urgency = np.asarray(days, dtype="int64") * 2 + np.where(key_account, 0, 1)
        return (np.searchsorted(ranks, urgency) + 1).astype("int64")

    def to_dict(self) -> dict[str, Any]:
        """The policy as plain data (the shape of its TOML file)."""
        return {
            "key_account_tiers": list(self.key_account_tiers),
            "segments": {
                r.segment: {
                    "level": r.level,
                    "days": r.days,
                    "action": r.action,
                    "action_zh": r.action_zh,
                }
                for r in self.rules
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the policy") -> ServicePolicy:
        """Build a policy from plain data (see :func:`load_service_policy` for the shape)."""
        unknown = set(data) - {"key_account_tiers", "segments"}
        if unknown:
            raise ConfigError(
                f"{source}: unknown key(s) {sorted(unknown)}; expected key_account_tiers "
                'and one [segments."<name>"] table per segment'
            )
        segments = data.get("segments")
        if not isinstance(segments, Mapping) or not segments:
            raise ConfigError(f'{source}: needs [segments."<name>"] tables, one per segment')
        try:
            rules = tuple(_rule(name, entry) for name, entry in segments.items())
            return cls(rules, key_account_tiers=data.get("key_account_tiers", ("A",)))
        except ConfigError as error:
            raise ConfigError(f"{source}: {error}") from None


_RULE_KEYS: Final = ("level", "days", "action", "action_zh")


def _rule(segment: str, entry: Any) -> ServiceRule:
    """One segment's table of a policy file as a rule."""
    if not isinstance(entry, Mapping):
        raise ConfigError(f"segment {segment!r} must be a table with keys {list(_RULE_KEYS)}")
    missing = [k for k in _RULE_KEYS if k not in entry]
    extra = sorted(set(entry) - set(_RULE_KEYS))
    if missing or extra:
        raise ConfigError(
            f"segment {segment!r} needs exactly the keys {list(_RULE_KEYS)}; "
            f"missing {missing}, unknown {extra}"
        )
    return ServiceRule(segment=segment, **entry)


def load_service_policy(path: str | Path) -> ServicePolicy:
    """Read a service policy from a TOML file.

    The file has an optional ``key_account_tiers`` list (default ``["A"]``)
    and one ``[segments."<name>"]`` table per segment with ``level``
    (``key_account`` or ``standard``), ``days`` (>= 0), ``action`` and
    ``action_zh`` (``{days}`` in them is replaced by the days). The packaged
    ``default_service_policy.toml`` is a commented example.

    Raises
    ------
    ConfigError
        If the file cannot be read or breaks a rule; the message names the file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> text = '''
    ... key_account_tiers = ["A", "B"]
    ... [segments."Can't Lose"]
    ... level = "key_account"
    ... days = 3
    ... action = "call within {days} days"
    ... action_zh = "{days}天内电话回访"
    ... '''
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "policy.toml"
    >>> _ = path.write_text(text, encoding="utf-8")
    >>> load_service_policy(path).rule("Can't Lose").next_action
    'call within 3 days'
    """
    path = Path(path)
    data = read_toml(path, what="service policy")
    return ServicePolicy.from_dict(data, source=str(path))


def default_service_policy() -> ServicePolicy:
    """The policy used when none is given (``segments/default_service_policy.toml``).

    Champions and Loyal clients, and the At Risk and Can't Lose ones who used
    to buy well, are key accounts; the others get standard service. The most
    urgent actions are the calls to At Risk and Can't Lose clients, due in 7
    days; Lost clients only join the next win-back campaign. ABC tier A
    clients are key accounts whatever their segment.

    Examples
    --------
    >>> default_service_policy().segments == RFM_SEGMENTS
    True
    """
    return ServicePolicy.from_dict(
        read_packaged_toml(__package__, "default_service_policy.toml"),
        source="default_service_policy.toml",
    )


def service_plan(
    segments: pd.DataFrame, *, as_of: DateLike, policy: ServicePolicy | None = None
) -> pd.DataFrame:
    """Each client's service level, next action and when it is due.

    Parameters
    ----------
    segments
        One row per client, indexed by ``client_id``, with ``segment`` and,
        optionally, ``tier`` (ABC).
    as_of
        The day the plan starts: actions are due ``days`` after it.
    policy
        The :class:`ServicePolicy`; default :func:`default_service_policy`.

    Returns
    -------
    pandas.DataFrame
        Same index and order as ``segments``; sort by ``priority`` and
        ``due_date`` for a call list.

    Raises
    ------
    DataValidationError
        If ``segment`` is missing, empty for some client, or names a segment
        the policy does not serve.
    ConfigError
        If ``as_of`` is not a date.

    Notes
    -----
    Columns:

    - ``service_level`` (categorical: key_account, standard): the segment's
      level, or ``key_account`` for clients in ``policy.key_account_tiers``;
    - ``next_action``, ``next_action_zh`` (categorical of the policy's texts,
      cheap for millions of clients): the segment's action;
    - ``due_date`` (datetime64[ns]): ``as_of`` + the segment's days;
    - ``priority`` (int64): 1 is most urgent; see :class:`ServicePolicy`.

    Examples
    --------
    >>> frame = pd.DataFrame(
    ...     {"segment": ["Can't Lose", "Lost", "Lost"], "tier": ["A", "A", "C"]},
    ...     index=pd.Index(["c1", "c2", "c3"], name="client_id"),
    ... )
    >>> plan = service_plan(frame, as_of="2026-11-15")
    >>> plan[["service_level", "due_date", "priority"]]
              service_level   due_date  priority
    client_id
    c1          key_account 2026-11-22         1
    c2          key_account 2027-02-13        10
    c3             standard 2027-02-13        11
    >>> plan.loc["c1", "next_action_zh"]
    '7天内电话回访，必要时上门挽回'
    """
    _require(segments, ["segment"], "segments", index="client_id")
    policy = policy if policy is not None else default_service_policy()
    start = parse_as_of(as_of)
    rules = policy.table()
    positions = _served(segments["segment"], rules.index)
    key = rules["service_level"].eq("key_account").to_numpy()[positions]
    if "tier" in segments:
        key = key | segments["tier"].isin(policy.key_account_tiers).to_numpy()
    days = rules["days"].to_numpy(dtype="int64")[positions]
    return pd.DataFrame(
        {
            "service_level": pd.Categorical.from_codes(
                np.where(key, 0, 1).astype(np.int64), categories=pd.Index(SERVICE_LEVELS)
            ),
            "next_action": _texts(rules["next_action"], positions),
            "next_action_zh": _texts(rules["next_action_zh"], positions),
            "due_date": (start + pd.to_timedelta(days, unit="D")).astype("datetime64[ns]"),
            "priority": policy.priority(days, key),
        },
        index=segments.index,
    )


def _served(labels: pd.Series, served: pd.Index) -> np.ndarray:
    """Each client's rule (its position in ``served``), every client checked to have one."""
    positions = _positions(labels, served)
    if (positions >= 0).all():
        return positions
    unlabelled = labels.index[labels.isna().to_numpy()]
    if len(unlabelled):
        raise DataValidationError(
            f"{len(unlabelled)} client(s) have no segment (e.g. {unlabelled[:5].tolist()}); "
            "plan only segmented clients, e.g. frame[frame['segment'].notna()]"
        )
    unserved = sorted(map(str, labels[positions < 0].unique()))
    raise DataValidationError(
        f"the service policy has no rule for segment(s) {unserved}; it serves "
        f'{list(served)}; add a [segments."<name>"] table for each'
    )


def _texts(texts: pd.Series, positions: np.ndarray) -> pd.Categorical:
    """The policy's texts for each client, as a categorical of the distinct texts."""
    codes, distinct = pd.factorize(texts)
    return pd.Categorical.from_codes(codes[positions], categories=distinct)
