"""Reading dataset folders: encodings, delimiters, workbooks, Parquet and broken files."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from am_analytics import AmAnalyticsError, InputFileError, from_frames, load
from am_analytics.io.files import detect_encoding
from conftest import AS_OF, tiny_tables

CHINESE_SALES_HEADERS = {
    "order_id": "订单编号",
    "client_id": "客户编号",
    "manager_id": "负责人",
    "order_date": "下单日期",
    "amount": "金额（元）",
    "product": "产品名称",
}


def write_csv(
    folder: Path, tables: dict[str, pd.DataFrame], *, encoding: str = "utf-8", sep: str = ","
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, encoding=encoding, sep=sep)
    return folder


def assert_same_tables(left: object, right: object) -> None:
    for name, frame in left.tables():  # type: ignore[attr-defined]
        pd.testing.assert_frame_equal(frame, getattr(right, name), check_like=False)


@pytest.fixture
def expected() -> object:
    return from_frames(as_of=AS_OF, **tiny_tables())


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_encodings_are_detected(tmp_path: Path, expected: object, encoding: str) -> None:
    """UTF-8, UTF-8 with BOM, GBK/GB18030 and UTF-16 files load to the same tables."""
    tables = tiny_tables()
    tables["sales"] = tables["sales"].rename(columns=CHINESE_SALES_HEADERS)
    folder = write_csv(tmp_path, tables, encoding=encoding)
    data = load(folder, as_of=AS_OF)
    assert data.is_clean
    assert_same_tables(data, expected)
    assert (
        data.summary().set_index("table").loc["sales", "encoding"]
        in {
            "utf-8": {"utf-8"},
            "utf-8-sig": {"utf-8-sig"},
            "gb18030": {"gb18030"},
            "gbk": {"gb18030"},
            "utf-16": {"utf-16"},
        }[encoding]
    )


def test_non_ascii_far_into_the_file_decides_the_encoding(tmp_path: Path) -> None:
    """A GBK file whose first megabytes are ASCII is still read as GB18030."""
    path = tmp_path / "x.csv"
    path.write_bytes(b"a,b\n" + b"1,2\n" * 300_000 + "3,上海\n".encode("gbk"))
    assert detect_encoding(path) == "gb18030"


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_delimiters_are_detected(tmp_path: Path, expected: object, sep: str) -> None:
    """Semicolon, tab and pipe separated exports load like comma separated ones."""
    data = load(write_csv(tmp_path, tiny_tables(), sep=sep), as_of=AS_OF)
    assert_same_tables(data, expected)


def test_messy_cells_take_the_forgiving_path(tmp_path: Path) -> None:
    """A GBK export with ¥ amounts and Chinese dates loads with the right values."""
    tables = tiny_tables()
    sales = tables["sales"].rename(columns=CHINESE_SALES_HEADERS)
    sales["金额（元）"] = ["￥1,200.50", "(200.00)", "CNY 3,000", "450元", "99.9"]
    sales["下单日期"] = ["2026年7月1日", "2026/7/15", "2026-8-1", "20260930", "2026.2.28"]
    tables["sales"] = sales
    data = load(write_csv(tmp_path, tables, encoding="gbk"), as_of=AS_OF)
    assert data.is_clean
    assert data.sales.amount.tolist() == [1200.5, -200.0, 3000.0, 450.0, 99.9]
    assert data.sales.order_date.dt.strftime("%m-%d").tolist() == [
        "07-01",
        "07-15",
        "08-01",
        "09-30",
        "02-28",
    ]


def test_reject_rows_are_the_data_rows_of_the_file(tmp_path: Path) -> None:
    """Row 3 in rejects is the third data line of the CSV (line 4 of the file)."""
    tables = tiny_tables()
    tables["sales"].loc[2, "amount"] = "three thousand"
    folder = write_csv(tmp_path, tables)
    data = load(folder, as_of=AS_OF)
    reject = data.rejects.iloc[0]
    assert (reject.source, reject.row, reject.column, reject.value) == (
        "sales.csv",
        3,
        "amount",
        "three thousand",
    )
    line = (folder / "sales.csv").read_text().splitlines()[reject.row]
    assert "three thousand" in line


def test_malformed_rows_are_rejected_with_their_numbers(tmp_path: Path) -> None:
    """A row with an extra field is a reject; the rows after it keep their numbers."""
    folder = write_csv(tmp_path, tiny_tables())
    lines = (folder / "sales.csv").read_text().splitlines()
    lines[2] = lines[2] + ",extra"
    lines[4] = lines[4].replace("450", "oops")
    (folder / "sales.csv").write_text("\n".join(lines) + "\n")
    data = load(folder, as_of=AS_OF)
    assert data.rejects[["row", "check"]].values.tolist() == [[2, "malformed_row"], [4, "parse"]]
    summary = data.summary().set_index("table").loc["sales"]
    assert summary[["rows_read", "rows_kept", "rows_rejected"]].tolist() == [5, 3, 2]


def test_quoted_newlines_in_text(tmp_path: Path) -> None:
    """A comment spanning two lines inside quotes is one cell."""
    tables = tiny_tables()
    tables["surveys"]["comment"] = ["很好\n下次再来", "ok, fine", None]
    data = load(write_csv(tmp_path, tables), as_of=AS_OF)
    assert data.surveys.comment.iloc[0] == "很好\n下次再来"
    assert data.surveys.comment.iloc[1] == "ok, fine"


def test_workbook_with_a_sheet_per_table(tmp_path: Path, expected: object) -> None:
    """One xlsx with Chinese sheet names, real Excel dates and serial numbers."""
    tables = tiny_tables()
    sales = tables["sales"].copy()
    sales["order_date"] = pd.to_datetime(sales["order_date"])  # real date cells
    sales["amount"] = pd.to_numeric(sales["amount"])
    tables["sales"] = sales
    surveys = tables["surveys"].copy()
    surveys["survey_date"] = [46223, 46239, 46296]  # Excel serials of the same days
    tables["surveys"] = surveys
    names = {"managers": "客户经理", "clients": "客户", "sales": "订单", "surveys": "满意度调查"}
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path) as writer:
        for name, frame in tables.items():
            frame.to_excel(writer, sheet_name=names.get(name, name), index=False)
    data = load(path, as_of=AS_OF)
    assert data.is_clean
    assert_same_tables(data, expected)
    assert data.summary().source.tolist()[2] == "export.xlsx[订单]"


def test_single_table_workbooks_and_parquet(tmp_path: Path, expected: object) -> None:
    """sales.xlsx (any sheet name) and managers.parquet sit beside CSV files."""
    tables = tiny_tables()
    write_csv(tmp_path, {k: v for k, v in tables.items() if k not in ("sales", "managers")})
    tables["sales"].to_excel(tmp_path / "sales.xlsx", sheet_name="Sheet1", index=False)
    managers = tables["managers"].assign(hire_date=pd.to_datetime(tables["managers"].hire_date))
    managers.to_parquet(tmp_path / "managers.parquet")
    data = load(tmp_path, as_of=AS_OF)
    assert_same_tables(data, expected)


def test_gzipped_csv(tmp_path: Path, expected: object) -> None:
    """sales.csv.gz is read like sales.csv."""
    folder = write_csv(tmp_path, tiny_tables())
    raw = (folder / "sales.csv").read_bytes()
    (folder / "sales.csv").unlink()
    (folder / "sales.csv.gz").write_bytes(gzip.compress(raw))
    assert_same_tables(load(folder, as_of=AS_OF), expected)


def test_provenance_has_the_file_hash(tmp_path: Path) -> None:
    """summary().sha256 is the SHA-256 of the file's bytes."""
    folder = write_csv(tmp_path, tiny_tables())
    summary = load(folder, as_of=AS_OF).summary().set_index("table")
    digest = hashlib.sha256((folder / "sales.csv").read_bytes()).hexdigest()
    assert summary.loc["sales", "sha256"] == digest


def test_two_files_for_one_table(tmp_path: Path) -> None:
    """sales.csv beside 订单.csv is ambiguous."""
    folder = write_csv(tmp_path, tiny_tables())
    (folder / "订单.csv").write_bytes((folder / "sales.csv").read_bytes())
    with pytest.raises(InputFileError, match="more than one source"):
        load(folder)


def test_other_files_are_ignored(tmp_path: Path, expected: object) -> None:
    """A README and a rejects file in the folder do not disturb loading."""
    folder = write_csv(tmp_path, tiny_tables())
    (folder / "README.txt").write_text("notes")
    (folder / "rejects.csv").write_text("table,row\n")
    assert_same_tables(load(folder, as_of=AS_OF), expected)


def test_missing_folder(tmp_path: Path) -> None:
    """A folder that does not exist is an InputFileError naming it."""
    with pytest.raises(InputFileError, match="does not exist"):
        load(tmp_path / "nowhere")


def test_empty_file(tmp_path: Path) -> None:
    """A zero-byte sales.csv says that it is empty."""
    folder = write_csv(tmp_path, tiny_tables())
    (folder / "sales.csv").write_bytes(b"")
    with pytest.raises(InputFileError, match=r"sales\.csv is empty"):
        load(folder)


def test_header_only_required_and_optional(tmp_path: Path) -> None:
    """Header-only sales cannot be used; header-only feedback is an empty table."""
    tables = tiny_tables()
    folder = write_csv(tmp_path, {**tables, "feedback": tables["feedback"].iloc[:0]})
    assert load(folder, as_of=AS_OF).feedback.empty
    write_csv(folder, {"sales": tables["sales"].iloc[:0]})
    with pytest.raises(InputFileError, match="header but no rows"):
        load(folder)


def test_wrong_delimiter_lists_the_single_header_found(tmp_path: Path) -> None:
    """Colon-separated data is one column; the error shows what was found."""
    folder = write_csv(tmp_path, tiny_tables())
    write_csv(folder, {"sales": tiny_tables()["sales"]}, sep=":")
    with pytest.raises(AmAnalyticsError, match="order_id:client_id"):
        load(folder)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=3000), suffix=st.sampled_from([".csv", ".xlsx", ".parquet"]))
def test_random_bytes_raise_only_our_errors(tmp_path: Path, content: bytes, suffix: str) -> None:
    """Whatever bytes a sales file holds, loading raises an AmAnalyticsError or succeeds."""
    folder = tmp_path / "random"
    write_csv(folder, {k: v for k, v in tiny_tables().items() if k in ("managers", "clients")})
    for old in folder.glob("sales.*"):
        old.unlink()
    (folder / f"sales{suffix}").write_bytes(content)
    with contextlib.suppress(AmAnalyticsError):
        load(folder)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(max_size=400))
def test_random_text_raises_only_our_errors(tmp_path: Path, text: str) -> None:
    """Arbitrary text in a CSV (delimiters, quotes, blank lines) raises nothing but our errors."""
    folder = tmp_path / "text"
    write_csv(folder, {k: v for k, v in tiny_tables().items() if k in ("managers", "clients")})
    (folder / "sales.csv").write_text(
        "order_id,client_id,manager_id,order_date,amount\n" + text,
        encoding="utf-8",
        errors="replace",
    )
    try:
        data = load(folder)
    except AmAnalyticsError:
        return
    summary = data.summary().set_index("table")
    assert (summary.rows_read == summary.rows_kept + summary.rows_rejected).all()


def test_canonical_tables_round_trip_through_parquet(tmp_path: Path, expected: object) -> None:
    """Tables saved from a Dataset (categoricals, datetimes, nullable ints) load back equal."""
    for name, frame in expected.tables():  # type: ignore[attr-defined]
        frame.to_parquet(tmp_path / f"{name}.parquet")
    assert_same_tables(load(tmp_path, as_of=AS_OF), expected)


def test_a_stored_parquet_index_is_a_column(tmp_path: Path, expected: object) -> None:
    """sales saved with order_id as its index still has its order_id."""
    folder = write_csv(tmp_path, {k: v for k, v in tiny_tables().items() if k != "sales"})
    sales = expected.sales.set_index("order_id")  # type: ignore[attr-defined]
    sales.to_parquet(folder / "sales.parquet")
    data = load(folder, as_of=AS_OF)
    assert data.sales.order_id.tolist() == ["S1", "S2", "S3", "S4", "S5"]


def test_blank_lines_are_not_records(tmp_path: Path) -> None:
    """A blank line in a CSV is skipped; rows count records after the header."""
    folder = write_csv(tmp_path, tiny_tables())
    lines = (folder / "sales.csv").read_text().splitlines()
    lines.insert(2, "")
    lines[4] = lines[4].replace("3000", "oops")
    (folder / "sales.csv").write_text("\n".join(lines) + "\n")
    data = load(folder, as_of=AS_OF)
    assert data.rejects[["row", "value"]].values.tolist() == [[3, "oops"]]
    assert data.summary().set_index("table").loc["sales", "rows_read"] == 5


def test_padded_headers_keep_their_types(tmp_path: Path) -> None:
    """' client_id ' in a header is client_id, and its ids keep their leading zeros."""
    tables = tiny_tables()
    tables["clients"]["client_id"] = ["001", "002", "003", "004"]
    tables["sales"]["client_id"] = ["001", "001", "002", "003", "004"]
    tables["sales"] = tables["sales"].rename(
        columns={"client_id": " client_id ", "amount": "Amount "}
    )
    for name in ("surveys", "feedback", "opportunities"):
        del tables[name]
    data = load(write_csv(tmp_path, tables), as_of=AS_OF)
    assert data.is_clean
    assert data.sales.client_id.astype(str).tolist() == ["001", "001", "002", "003", "004"]
