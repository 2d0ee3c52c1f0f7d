"""Header and file-name aliases: how source columns and files map to canonical names.

Headers are compared after :func:`normalize_header`: Unicode NFKC (full-width
letters, digits and brackets become ASCII), lower case, a trailing unit in
brackets dropped (``金额(元)``, ``Probability (%)``) and spaces, ``_``, ``-``
and ``.`` removed. So ``Order ID``, ``order_id``, ``ORDER-ID`` and ``OrderId``
are the same header.

Each canonical column of a table accepts its own name and the aliases below;
aliases are per table, because ``名称`` is a client's name in ``clients`` and a
manager's in ``managers``, and ``日期`` is the order date in ``sales`` but the
survey date in ``surveys``. :func:`header_aliases` lists the whole table.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from typing import Final

import pandas as pd

from ..schemas import TABLES, column_kinds

__all__ = [
    "header_aliases",
    "map_headers",
    "normalize_header",
    "table_for_name",
    "value_aliases",
]

# Aliases shared by every table that has the column.
_COMMON: Final[dict[str, tuple[str, ...]]] = {
    "manager_id": (
        "manager id",
        "account manager id",
        "owner id",
        "sales rep id",
        "employee id",
        "staff id",
        "user id",
        "客户经理编号",
        "客户经理id",
        "客户经理工号",
        "经理编号",
        "负责人",
        "负责人编号",
        "负责人id",
        "销售代表",
        "销售编号",
        "员工编号",
        "工号",
        "业务员编号",
    ),
    "client_id": (
        "client id",
        "customer id",
        "account id",
        "customer no",
        "customer number",
        "account number",
        "客户编号",
        "客户id",
        "客户代码",
        "客户号",
        "客户编码",
    ),
    "team": (
        "team",
        "sales team",
        "department",
        "团队",
        "小组",
        "部门",
        "所属部门",
        "负责人主属部门",
    ),
    "region": ("region", "area", "territory", "区域", "地区", "大区", "所属区域"),
    "created_date": (
        "created date",
        "created time",
        "created at",
        "creation date",
        "created",
        "创建日期",
        "创建时间",
        "建档日期",
    ),
    "amount": ("amount", "金额"),
    "status": ("status", "状态"),
    "period": ("period", "期间", "考核期", "考核周期", "季度"),
}

# Aliases that only make sense in one table.
_BY_TABLE: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "managers": {
        "manager_id": ("id", "编号", "员工id", "用户id"),
        "name": (
            "manager name",
            "full name",
            "employee name",
            "姓名",
            "客户经理",
            "客户经理姓名",
            "员工姓名",
            "名称",
        ),
        "level": ("level", "grade", "rank", "title", "级别", "职级", "职位"),
        "hire_date": ("hire date", "hired on", "join date", "入职日期", "入职时间"),
        "status": ("employment status", "在职状态", "员工状态"),
    },
    "clients": {
        "client_id": ("id", "编号"),
        "name": (
            "client name",
            "customer name",
            "account name",
            "company",
            "company name",
            "客户名称",
            "客户名",
            "公司名称",
            "企业名称",
            "名称",
        ),
        "industry": ("industry", "sector", "行业", "所属行业"),
        "crm_tier": (
            "tier",
            "client tier",
            "customer level",
            "customer tier",
            "rating",
            "客户级别",
            "客户等级",
            "客户分级",
        ),
    },
    "sales": {
        "order_id": (
            "order id",
            "order no",
            "order number",
            "sales order id",
            "invoice no",
            "订单编号",
            "订单号",
            "销售订单编号",
            "单号",
        ),
        "order_date": (
            "order date",
            "date",
            "sale date",
            "sales date",
            "closing date",
            "下单日期",
            "订单日期",
            "成交日期",
            "签约日期",
            "日期",
        ),
        "amount": (
            "total",
            "order amount",
            "sales amount",
            "revenue",
            "value",
            "订单金额",
            "销售订单金额",
            "销售额",
            "成交金额",
            "合同金额",
        ),
        "product": ("product", "product name", "产品", "产品名称"),
        "channel": ("channel", "sales channel", "渠道", "销售渠道"),
    },
    "surveys": {
        "response_id": (
            "response id",
            "survey id",
            "问卷编号",
            "调查编号",
            "答卷编号",
            "回访编号",
        ),
        "survey_date": (
            "survey date",
            "response date",
            "date",
            "调查日期",
            "回访日期",
            "填写日期",
            "日期",
        ),
        "csat": (
            "csat",
            "satisfaction",
            "satisfaction score",
            "满意度",
            "满意度评分",
            "满意度得分",
        ),
        "nps": (
            "nps",
            "nps score",
            "likelihood to recommend",
            "recommend score",
            "推荐度",
            "推荐意愿",
            "净推荐值",
            "nps评分",
        ),
        "comment": ("comment", "comments", "remark", "remarks", "评论", "意见", "备注", "评价内容"),
    },
    "feedback": {
        "feedback_id": (
            "feedback id",
            "ticket id",
            "case id",
            "complaint id",
            "反馈编号",
            "工单编号",
            "投诉编号",
        ),
        "kind": ("kind", "type", "feedback type", "类型", "反馈类型"),
        "opened_at": (
            "opened at",
            "opened",
            "created at",
            "reported at",
            "提交时间",
            "受理时间",
            "反馈时间",
            "创建时间",
        ),
        "resolved_at": (
            "resolved at",
            "resolved",
            "closed at",
            "解决时间",
            "关闭时间",
            "办结时间",
            "处理完成时间",
        ),
        "severity": ("severity", "priority", "严重程度", "优先级", "紧急程度"),
        "summary": ("summary", "subject", "description", "摘要", "内容", "主题", "描述"),
    },
    "ratings": {
        "rater_id": (
            "rater id",
            "rater",
            "reviewer id",
            "reviewer",
            "评分人",
            "评价人",
            "评分人编号",
        ),
        "rater_role": ("rater role", "role", "relationship", "评分人角色", "评价关系", "角色"),
        "competency": ("competency", "skill", "dimension", "能力项", "能力", "维度", "考核维度"),
        "score": ("score", "rating", "评分", "分数", "得分"),
    },
    "goals": {
        "goal_id": ("goal id", "target id", "quota id", "目标编号"),
        "owner_id": ("owner id", "owner", "assignee", "目标对象", "对象编号", "负责人"),
        "metric": ("metric", "kpi", "measure", "指标", "考核指标"),
        "target": (
            "target",
            "quota",
            "goal",
            "target value",
            "目标",
            "目标值",
            "目标金额",
            "指标值",
        ),
        "period_start": ("period start", "start", "start date", "开始日期", "起始日期"),
        "period_end": ("period end", "end", "end date", "结束日期", "截止日期"),
        "owner_kind": ("owner kind", "owner type", "对象类型"),
        "set_on": ("set on", "set date", "assigned on", "设定日期", "下达日期"),
        "revision": ("revision", "version", "版本", "修订版本"),
        "reason": ("reason", "note", "原因", "调整原因"),
    },
    "training": {
        "record_id": ("record id", "training id", "记录编号", "培训记录编号"),
        "course_id": ("course id", "course", "course code", "课程编号", "课程代码", "课程"),
        "category": (
            "category",
            "training type",
            "course category",
            "类别",
            "培训类别",
            "课程类别",
        ),
        "start_date": ("start date", "start", "开始日期", "培训开始日期"),
        "end_date": ("end date", "end", "结束日期", "培训结束日期"),
        "hours": ("hours", "duration", "training hours", "学时", "时长", "培训时长"),
        "completed": ("completed", "done", "是否完成", "完成状态", "完成"),
        "assessment_score": (
            "assessment score",
            "assessment",
            "exam score",
            "test score",
            "考核成绩",
            "考试成绩",
            "测评分数",
            "成绩",
        ),
    },
    "opportunities": {
        "opportunity_id": (
            "opportunity id",
            "deal id",
            "商机编号",
            "机会编号",
            "商机id",
        ),
        "amount": ("deal amount", "expected amount", "商机金额", "预计金额"),
        "status": ("deal status", "商机状态"),
        "stage": ("stage", "sales stage", "deal stage", "阶段", "商机阶段", "销售阶段"),
        "probability": ("probability", "win probability", "赢率", "成交概率", "赢单率"),
        "expected_close": (
            "expected close",
            "expected close date",
            "closing date",
            "close date",
            "预计成交日期",
            "预计结单日期",
        ),
    },
}

# Words for the values of enumerations, after lower-casing and with "_" for blanks;
# per column, and per table where a column name means different things.
_VALUE_ALIASES: Final[dict[str, dict[str, str]]] = {
    "kind": {
        "投诉": "complaint", "complaints": "complaint", "建议": "suggestion",
        "suggestions": "suggestion", "表扬": "praise", "赞扬": "praise", "好评": "praise",
        "compliment": "praise",
    },
    "rater_role": {
        "上级": "supervisor", "主管": "supervisor", "直属上级": "supervisor",
        "manager": "supervisor", "同事": "peer", "同级": "peer", "自评": "self", "本人": "self",
        "客户": "client", "customer": "client",
    },
    "severity": {
        "高": "high", "严重": "high", "紧急": "high", "critical": "high", "中": "medium",
        "一般": "medium", "normal": "medium", "低": "low", "轻微": "low", "minor": "low",
    },
    "owner_kind": {"个人": "manager", "人员": "manager", "团队": "team", "部门": "team"},
    "category": {
        "销售技能": "sales_skills", "产品知识": "product_knowledge", "市场分析": "market_analysis",
        "客户服务": "customer_service", "沟通": "communication", "领导力": "leadership",
        "管理": "leadership", "合规": "compliance",
    },
    "managers.status": {"在职": "active", "休假": "on_leave", "离职": "left", "inactive": "left"},
    "opportunities.status": {
        "进行中": "open", "跟进中": "open", "赢单": "won", "成交": "won", "closed_won": "won",
        "输单": "lost", "丢单": "lost", "closed_lost": "lost",
    },
}  # fmt: skip

# File and sheet names that stand for a table, besides the table's own name.
_TABLE_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "managers": ("manager", "account managers", "employees", "users", "客户经理", "经理", "员工"),
    "clients": ("client", "customers", "accounts", "客户", "客户列表"),
    "sales": ("orders", "sales orders", "deals won", "销售", "订单", "销售订单"),
    "surveys": ("survey", "satisfaction", "满意度", "满意度调查", "回访"),
    "feedback": ("complaints", "tickets", "反馈", "投诉", "客户反馈"),
    "ratings": ("rating", "reviews", "evaluations", "评分", "评价", "能力评价"),
    "goals": ("goal", "targets", "quotas", "目标", "业绩目标"),
    "training": ("trainings", "courses", "培训", "培训记录"),
    "opportunities": ("opportunity", "pipeline", "deals", "商机"),
}

_UNIT_SUFFIX: Final = re.compile(r"\s*\([^()]*\)\s*$")
_SEPARATORS: Final = re.compile(r"[\s_\-.]+")


def normalize_header(header: object) -> str:
    """The form in which headers are compared.

    Examples
    --------
    >>> normalize_header(" Order_ID ")
    'orderid'
    >>> normalize_header("销售订单金额（元）")
    '销售订单金额'
    """
    text = unicodedata.normalize("NFKC", str(header)).strip().lower().lstrip("\ufeff")
    text = _UNIT_SUFFIX.sub("", text)
    return _SEPARATORS.sub("", text)


def _aliases(table: str) -> dict[str, tuple[str, ...]]:
    """Every accepted header of each column of ``table``, canonical name first."""
    columns = column_kinds(table)
    specific = _BY_TABLE.get(table, {})
    return {
        column: tuple(dict.fromkeys((column, *specific.get(column, ()), *_COMMON.get(column, ()))))
        for column in columns
    }


def _lookup(table: str) -> dict[str, str]:
    """Normalised header -> canonical column of ``table``."""
    lookup: dict[str, str] = {}
    for column, aliases in _aliases(table).items():
        for alias in aliases:
            lookup.setdefault(normalize_header(alias), column)
    return lookup


def header_aliases() -> pd.DataFrame:
    """The alias table: every header accepted for every canonical column.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``column``, ``alias``, one row per accepted header.

    Examples
    --------
    >>> aliases = header_aliases()
    >>> aliases.query("table == 'sales' and column == 'order_id'").alias.tolist()[:4]
    ['order_id', 'order id', 'order no', 'order number']
    >>> "满意度" in set(aliases.query("column == 'csat'").alias)
    True
    """
    rows = [
        (table, column, alias)
        for table in TABLES
        for column, aliases in _aliases(table).items()
        for alias in aliases
    ]
    return pd.DataFrame(rows, columns=["table", "column", "alias"])


def value_aliases(table: str, column: str) -> dict[str, str]:
    """The words accepted for the values of an enumeration column: ``{word: value}``.

    Examples
    --------
    >>> value_aliases("opportunities", "status")["赢单"]
    'won'
    >>> value_aliases("feedback", "kind")["投诉"]
    'complaint'
    """
    return dict(_VALUE_ALIASES.get(f"{table}.{column}", _VALUE_ALIASES.get(column, {})))


def map_headers(table: str, headers: Iterable[object]) -> tuple[dict[str, str], list[str]]:
    """Map source headers to canonical columns of ``table``.

    Returns
    -------
    mapping
        ``{source header: canonical column}`` for the headers recognised.
    conflicts
        Messages for canonical columns claimed by more than one source header.

    Examples
    --------
    >>> map_headers("sales", ["订单编号", "客户编号", "负责人", "下单日期", "金额（元）", "备注"])
    ({'订单编号': 'order_id', '客户编号': 'client_id', '负责人': 'manager_id', \
'下单日期': 'order_date', '金额（元）': 'amount'}, [])
    """
    lookup = _lookup(table)
    mapping: dict[str, str] = {}
    claimed: dict[str, list[str]] = {}
    for header in headers:
        column = lookup.get(normalize_header(header))
        if column is not None:
            mapping[str(header)] = column
            claimed.setdefault(column, []).append(str(header))
    conflicts = [
        f"columns {', '.join(repr(h) for h in sources)} all mean {column!r}; keep one of them"
        for column, sources in claimed.items()
        if len(sources) > 1
    ]
    return mapping, conflicts


def closest_header(table: str, column: str, headers: Iterable[object]) -> str | None:
    """The found header most like an accepted name of ``column``, if any is close.

    Examples
    --------
    >>> closest_header("sales", "order_date", ["order_dt", "amt"])
    'order_dt'
    """
    accepted = [normalize_header(alias) for alias in _aliases(table)[column]]
    by_normal = {normalize_header(h): str(h) for h in headers}
    best: tuple[float, str] | None = None
    for normal, original in by_normal.items():
        for alias in accepted:
            ratio = difflib.SequenceMatcher(None, normal, alias).ratio()
            if ratio >= 0.6 and (best is None or ratio > best[0]):
                best = (ratio, original)
    return None if best is None else best[1]


def table_for_name(name: str) -> str | None:
    """The canonical table a file or sheet name stands for, if any.

    Examples
    --------
    >>> table_for_name("Sales"), table_for_name("客户"), table_for_name("readme")
    ('sales', 'clients', None)
    """
    normal = normalize_header(name)
    for table in TABLES:
        if normal in {normalize_header(n) for n in (table, *_TABLE_NAMES.get(table, ()))}:
            return table
    return None
