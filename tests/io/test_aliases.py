"""Header aliases: known mappings, no ambiguity, and the documented table."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from am_analytics.io.aliases import header_aliases, map_headers, normalize_header, table_for_name
from am_analytics.schemas import TABLES

DOCS = Path(__file__).parents[2] / "docs"


@pytest.mark.parametrize(
    ("table", "header", "column"),
    [
        ("clients", "客户编号", "client_id"),
        ("clients", "客户名称", "name"),
        ("clients", "负责人", "manager_id"),
        ("clients", "客户级别", "crm_tier"),
        ("managers", "姓名", "name"),
        ("managers", "名称", "name"),
        ("sales", "订单编号", "order_id"),
        ("sales", "销售订单编号", "order_id"),
        ("sales", "金额", "amount"),
        ("sales", "销售订单金额(元)", "amount"),
        ("sales", "金额（元）", "amount"),
        ("sales", "下单日期", "order_date"),
        ("sales", "Order ID", "order_id"),
        ("sales", "ORDER-DATE", "order_date"),
        ("sales", "  Amount ", "amount"),
        ("surveys", "满意度", "csat"),
        ("surveys", "日期", "survey_date"),
        ("feedback", "创建时间", "opened_at"),
        ("goals", "负责人", "owner_id"),
        ("opportunities", "Probability (%)", "probability"),
        ("opportunities", "商机阶段", "stage"),
    ],
)
def test_known_headers(table: str, header: str, column: str) -> None:
    """Common Chinese and English export headers map to their canonical column."""
    mapping, conflicts = map_headers(table, [header])
    assert mapping == {header: column} and not conflicts


def test_no_alias_means_two_columns_of_one_table() -> None:
    """After normalisation, each accepted header names one column per table."""
    aliases = header_aliases()
    aliases["normal"] = aliases.alias.map(normalize_header)
    per_table = aliases.drop_duplicates(["table", "column", "normal"])
    clashes = per_table[per_table.duplicated(["table", "normal"], keep=False)]
    assert clashes.empty, clashes.to_string()


def test_every_canonical_column_accepts_its_own_name() -> None:
    """The canonical name is always the first alias."""
    aliases = header_aliases()
    firsts = aliases.groupby(["table", "column"], sort=False).alias.first()
    assert all(column == alias for (_, column), alias in firsts.items())


def test_two_headers_for_one_column_conflict() -> None:
    """客户编号 beside client_id is reported, not resolved by guessing."""
    _, conflicts = map_headers("sales", ["client_id", "客户编号", "order_id"])
    assert conflicts == ["columns 'client_id', '客户编号' all mean 'client_id'; keep one of them"]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("sales", "sales"),
        ("订单", "sales"),
        ("客户", "clients"),
        ("Client", "clients"),
        ("客户经理", "managers"),
        ("商机", "opportunities"),
        ("rejects", None),
    ],
)
def test_file_and_sheet_names(name: str, table: str | None) -> None:
    """File and sheet names in English or Chinese stand for tables."""
    assert table_for_name(name) == table


def test_every_table_has_aliases() -> None:
    """The alias table covers all nine tables."""
    assert list(header_aliases().table.unique()) == list(TABLES)


@pytest.mark.parametrize("page", ["aliases.md", "tables.md"])
def test_reference_pages_match_the_code(page: str) -> None:
    """docs/aliases.md and docs/tables.md are what docs/make_reference.py renders."""
    spec = importlib.util.spec_from_file_location("make_reference", DOCS / "make_reference.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.PAGES[page]()
    assert (DOCS / page).read_text(encoding="utf-8") == expected, "run docs/make_reference.py"
