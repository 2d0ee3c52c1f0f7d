"""Managers: teams, employment, successors, skill and service quality; the truth frame.

Planted truths 1 (managers) and 2 (successors, see :mod:`am_analytics.sample`).
"""

from __future__ import annotations

import math
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ..schemas import COMPETENCIES, MANAGER_STATUSES
from ._common import (
    _dates,
    _frame,
    _joined,
    _sequential_ids,
    _strings,
    _uniform_days,
)
from ._ratings import (
    COMPETENCY_MODEL,
    COMPETENCY_NOISE,
    COMPETENCY_RANGE,
    RATER_LENIENCY,
    _supervisor_ids,
)
from ._training import COURSES, TRAINING_EFFECTS
from ._world import _NEVER, BoolArray, FloatArray, IntArray, _Managers, _Span, _Training

# ---------------------------------------------------------------------------
# Organisation
# ---------------------------------------------------------------------------

#: Managers per team (the number of teams is ``round(n_managers / TEAM_SIZE)``).
TEAM_SIZE: Final = 8
#: The region of team 0, 1, 2, ... (repeating); names are region + 组, with a
#: Chinese ordinal when a region has several teams.
TEAM_REGION_CYCLE: Final = (
    "华东", "华东", "华北", "华南", "西南", "华中", "华北", "华南", "西北", "东北", "华东", "西南",
)  # fmt: skip
#: Manager levels, junior to senior.
LEVELS: Final = ("客户经理", "高级客户经理", "资深客户经理", "客户总监")
#: Tenure (years, plus skill and noise) at which each next level starts.
LEVEL_TENURE_YEARS: Final = (3.0, 6.0, 10.0)
#: Share of managers hired during the span / who leave / on leave at the end.
NEW_HIRE_SHARE: Final = 0.10
LEAVER_SHARE: Final = 0.05
ON_LEAVE_SHARE: Final = 0.025
#: Correlation of the latent skill and service quality.
SKILL_SERVICE_CORRELATION: Final = 0.3
#: Mean tenure in years, at ``start``, of the managers hired before it.
MEAN_TENURE_YEARS: Final = 4.0
_SURNAMES: Final = tuple(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞"
)
_GIVEN_NAMES: Final = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛",
    "明", "超", "霞", "平", "刚", "婷", "浩", "宇", "鑫", "凯", "琳", "斌", "晶", "颖", "鹏",
    "欣怡", "子涵", "梓萱", "一鸣", "俊杰", "思远", "嘉怡", "晓东", "海燕", "建国", "志强",
    "文博", "雨桐", "佳琪", "浩然", "天宇", "晨曦", "丽华", "国强", "秀英", "桂兰", "明辉",
    "雪梅", "建华", "婉婷", "子轩", "诗雨", "俊辉", "少华", "美玲",
)  # fmt: skip
_CHINESE_DIGITS: Final = "一二三四五六七八九"
_LEFT: Final = MANAGER_STATUSES.index("left")
_ON_LEAVE: Final = MANAGER_STATUSES.index("on_leave")


# ---------------------------------------------------------------------------
# Managers
# ---------------------------------------------------------------------------


def _simulate_managers(span: _Span, n: int, rng: np.random.Generator) -> _Managers:
    """Teams, tenure, status, latent skill and service quality of ``n`` managers."""
    n_teams = max(1, round(n / TEAM_SIZE))
    team = (np.arange(n, dtype=np.int64) * n_teams) // n
    regions = tuple(TEAM_REGION_CYCLE[index % len(TEAM_REGION_CYCLE)] for index in range(n_teams))
    hire_day, inactive_day, status = _employment(span, team, rng)
    skill = rng.standard_normal(n)
    rho = SKILL_SERVICE_CORRELATION
    service = rho * skill + math.sqrt(1 - rho**2) * rng.standard_normal(n)
    tenure = (span.last_day - hire_day) / 365.25 + skill + rng.normal(0.0, 1.5, n)
    names = _joined(
        (_SURNAMES, rng.integers(0, len(_SURNAMES), n)),
        (_GIVEN_NAMES, rng.integers(0, len(_GIVEN_NAMES), n)),
    )
    stable = (hire_day <= 0) & (inactive_day == _NEVER)
    return _Managers(
        ids=_sequential_ids("M", n, 4),
        name=names,
        team=team,
        team_names=_team_names(regions),
        team_regions=regions,
        hire_day=hire_day,
        inactive_day=inactive_day,
        status=status,
        level=np.searchsorted(np.asarray(LEVEL_TENURE_YEARS), tenure, side="right"),
        skill=skill,
        service=service,
        successor=_successors(team, stable, n_teams, rng),
        competence=_true_competence(skill, service, rng),
        peer_leniency=rng.normal(*RATER_LENIENCY["peer"], n),
        self_leniency=rng.normal(*RATER_LENIENCY["self"], n),
        supervisor_leniency=rng.normal(*RATER_LENIENCY["supervisor"], n_teams),
    )


def _team_names(regions: tuple[str, ...]) -> tuple[str, ...]:
    """华北组 for a region's only team, 华东一组, 华东二组, ... when it has several."""
    totals = {region: regions.count(region) for region in set(regions)}
    seen: dict[str, int] = {}
    names = []
    for region in regions:  # one iteration per team
        seen[region] = seen.get(region, 0) + 1
        ordinal = _chinese_ordinal(seen[region]) if totals[region] > 1 else ""
        names.append(f"{region}{ordinal}组")
    return tuple(names)


def _chinese_ordinal(number: int) -> str:
    """一 .. 九十九 for 1 .. 99, Arabic digits beyond."""
    if number >= 100:
        return str(number)
    tens, units = divmod(number, 10)
    unit = _CHINESE_DIGITS[units - 1] if units else ""
    if tens == 0:
        return unit
    return ("" if tens == 1 else _CHINESE_DIGITS[tens - 1]) + "十" + unit


def _employment(
    span: _Span, team: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, IntArray]:
    """Hire day, first inactive day and status; team founders (first members) stay."""
    n = team.size
    founder = np.r_[True, team[1:] != team[:-1]]
    others = rng.permutation(np.flatnonzero(~founder))
    n_new = min(max(1, round(NEW_HIRE_SHARE * n)), others.size)
    n_left = min(max(1, round(LEAVER_SHARE * n)), others.size - n_new)
    n_leave = min(round(ON_LEAVE_SHARE * n), others.size - n_new - n_left)
    new, left = others[:n_new], others[n_new : n_new + n_left]
    on_leave = others[n_new + n_left : n_new + n_left + n_leave]
    # Tenure before the span is exponential; nobody is hired before 1990.
    years = rng.exponential(MEAN_TENURE_YEARS, n) + 0.2
    earliest = span.first_day
    hire_day = np.maximum(-np.ceil(years * 365.25).astype(np.int64), earliest)
    current_first = int(span.quarter_first[-1])
    # New hires join early enough to hold a goal for the current quarter.
    low, high = min(60, span.n_days // 4), min(current_first, span.n_days - 90)
    hire_day[new] = _uniform_days(
        rng, np.full(new.size, low), np.full(new.size, max(high, low + 1))
    )
    inactive = np.full(n, _NEVER, dtype=np.int64)
    low_left = np.maximum(hire_day[left] + 60, int(0.3 * span.n_days))
    inactive[left] = _uniform_days(rng, low_left, np.full(left.size, span.n_days - 30))
    leave_low = min(current_first + 1, span.last_day)
    inactive[on_leave] = _uniform_days(
        rng, np.full(on_leave.size, leave_low), np.full(on_leave.size, span.n_days)
    )
    status = np.full(n, MANAGER_STATUSES.index("active"), dtype=np.int64)
    status[left] = _LEFT
    status[on_leave] = _ON_LEAVE
    return hire_day, inactive, status


def _successors(
    team: IntArray, stable: BoolArray, n_teams: int, rng: np.random.Generator
) -> IntArray:
    """A random team-mate employed over the whole span (self if there is no other)."""
    n = team.size
    stable_index = np.flatnonzero(stable)
    counts = np.bincount(team[stable_index], minlength=n_teams).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    own = np.full(n, -1, dtype=np.int64)
    own[stable_index] = np.arange(stable_index.size) - first[team[stable_index]]
    others = counts[team] - stable
    pick = np.floor(rng.random(n) * np.maximum(others, 1)).astype(np.int64)
    pick = np.where(stable & (pick >= own), pick + 1, pick)  # skip oneself
    pick = np.minimum(pick, counts[team] - 1)
    return np.where(others > 0, stable_index[first[team] + pick], np.arange(n))


def _true_competence(
    skill: FloatArray, service: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """True competency scores (manager x COMPETENCIES) from skill and service quality."""
    model = np.asarray([COMPETENCY_MODEL[name] for name in COMPETENCIES])
    latent = model[:, 0] + np.outer(skill, model[:, 1]) + np.outer(service, model[:, 2])
    latent += rng.normal(0.0, COMPETENCY_NOISE, latent.shape)
    return np.clip(latent, *COMPETENCY_RANGE)


def _managers_frame(span: _Span, managers: _Managers) -> pd.DataFrame:
    """The ``managers`` table."""
    n = managers.n
    index = np.arange(n)
    return _frame(
        {
            "manager_id": _strings(managers.ids, index),
            "name": pd.Series(managers.name, dtype="str"),
            "team": _strings(managers.team_names, managers.team),
            "region": _strings(managers.team_regions, managers.team),
            "level": _strings(LEVELS, managers.level),
            "hire_date": _dates(span, managers.hire_day),
            "status": _strings(MANAGER_STATUSES, managers.status),
        }
    )


def _truth_frame(span: _Span, managers: _Managers, training: _Training) -> pd.DataFrame:
    """The per-manager truth frame (see :func:`am_analytics.sample.truth`)."""
    index = np.arange(managers.n)
    effects = np.asarray([TRAINING_EFFECTS[COURSES[c][1]] for c in range(len(COURSES))])
    done = training.completed & (training.end_day < span.last_day)
    log_lift = np.bincount(
        training.manager[done], np.log1p(effects[training.course[done]]), minlength=managers.n
    )
    columns: dict[str, pd.Series | npt.NDArray[Any]] = {
        "manager_id": _strings(managers.ids, index),
        "team": _strings(managers.team_names, managers.team),
        "supervisor_id": _strings(_supervisor_ids(len(managers.team_names)), managers.team),
        "status": _strings(MANAGER_STATUSES, managers.status),
        "hire_date": _dates(span, managers.hire_day),
        "active_until": _dates(
            span,
            np.minimum(managers.inactive_day, span.n_days),
            missing=managers.inactive_day == _NEVER,
        ),
        "successor_id": _strings(managers.ids, managers.successor),
        "skill": managers.skill,
        "service_quality": managers.service,
    }
    for position, competency in enumerate(COMPETENCIES):
        columns[competency] = managers.competence[:, position]
    columns["supervisor_leniency"] = managers.supervisor_leniency[managers.team]
    columns["peer_leniency"] = managers.peer_leniency
    columns["self_leniency"] = managers.self_leniency
    columns["training_multiplier"] = np.exp(log_lift)
    return _frame(columns)
