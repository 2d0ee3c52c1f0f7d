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


# --- dates outside the range pandas holds ----------------------------------------------

OUT_OF_RANGE = "is out of range: dates run from 1677-09-22 to 2262-04-10; check the year"


def _far_dates_folder(folder: Path, kind: str) -> Path:
    """sales with 9999-12-31 and 3000-01-01 order dates; feedback resolved 9999-12-31."""
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    tables = tiny_tables()
    write_csv(folder, {k: v for k, v in tables.items() if k not in ("sales", "feedback")})
    sales, feedback = tables["sales"], tables["feedback"]
    order = [dt.datetime.fromisoformat(d) for d in sales["order_date"]]
    order[1], order[3] = dt.datetime(9999, 12, 31), dt.datetime(3000, 1, 1)
    resolved = [dt.datetime(2026, 7, 2, 17, 30), dt.datetime(9999, 12, 31)]
    opened = [dt.datetime.fromisoformat(d) for d in feedback["opened_at"]]
    if kind == "csv":
        order_text = sales["order_date"].tolist()
        order_text[1], order_text[3] = "9999-12-31", "30000101"
        write_csv(folder, {"sales": sales.assign(order_date=order_text)})
        resolved_text = ["2026-07-02 17:30", "99991231"]
        write_csv(folder, {"feedback": feedback.assign(resolved_at=resolved_text)})
    elif kind == "xlsx":
        import openpyxl

        for name, frame, dates in (
            ("sales", sales, {"order_date": order}),
            ("feedback", feedback, {"opened_at": opened, "resolved_at": resolved}),
        ):
            book = openpyxl.Workbook()
            sheet = book.active
            sheet.append(list(frame.columns))
            for i, row in enumerate(frame.itertuples(index=False)):
                cells = dict(zip(frame.columns, row, strict=True))
                sheet.append([dates[c][i] if c in dates else cells[c] for c in frame.columns])
            book.save(folder / f"{name}.xlsx")
    else:
        micros = pa.timestamp("us")
        for name, frame, dates in (
            ("sales", sales, {"order_date": order}),
            ("feedback", feedback, {"opened_at": opened, "resolved_at": resolved}),
        ):
            columns = {
                c: pa.array(dates[c], micros) if c in dates else pa.array(frame[c])
                for c in frame.columns
            }
            pq.write_table(pa.table(columns), folder / f"{name}.parquet")
    return folder


@pytest.mark.parametrize("kind", ["csv", "xlsx", "parquet"])
def test_dates_outside_the_range_reject_or_mean_no_end(tmp_path: Path, kind: str) -> None:
    """9999-12-31 / 3000-01-01 order dates reject their rows; a resolved_at of 9999-12-31
    means not resolved: kept as missing, with a note in the summary."""
    data = load(_far_dates_folder(tmp_path, kind), as_of=AS_OF)
    rejects = data.rejects[["table", "row", "column", "check"]].values.tolist()
    assert rejects == [["sales", 2, "order_date", "parse"], ["sales", 4, "order_date", "parse"]]
    assert data.rejects.reason.str.endswith(OUT_OF_RANGE).all()
    assert data.rejects.reason.iloc[0].startswith("order_date '9999-12-31")
    assert data.feedback.resolved_at.isna().tolist() == [False, True]
    summary = data.summary().set_index("table")
    assert (summary.rows_read == summary.rows_kept + summary.rows_rejected).all()
    assert summary.loc["sales", ["rows_read", "rows_kept"]].tolist() == [5, 3]
    assert "resolved_at: 1 date after 2262-04-10" in summary.loc["feedback", "notes"]


def test_validate_with_out_of_range_dates_exits_1_without_a_traceback(tmp_path: Path) -> None:
    """The command line reports the rejects (exit 1), it does not crash."""
    from typer.testing import CliRunner

    from am_analytics.cli import EXIT_REJECTS, app

    folder = _far_dates_folder(tmp_path, "csv")
    result = CliRunner().invoke(app, ["validate", str(folder), "--as-of", "2026-11-15"])
    assert result.exit_code == EXIT_REJECTS, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "2 rows rejected" in result.output
    assert "sales.csv row 2: order_date '9999-12-31' is out" in result.output
    assert "note: feedback: resolved_at: 1 date after 2262-04-10" in result.output


# --- headers, encodings and the words of failures --------------------------------------


def test_a_header_longer_than_the_sniff_is_read_whole(tmp_path: Path) -> None:
    """10,000 columns (a header of ~200 KB): every row is kept, none is 'malformed'."""
    tables = tiny_tables()
    sales = tables["sales"]
    extras = pd.DataFrame({f"extra_column_{i:05d}": ["x"] * len(sales) for i in range(9_994)})
    tables["sales"] = pd.concat([sales, extras], axis=1)
    assert tables["sales"].shape[1] == 10_000
    data = load(write_csv(tmp_path, tables), as_of=AS_OF)
    assert data.is_clean
    assert data.summary().set_index("table").loc["sales", "rows_kept"] == 5


def _utf8_folder_with_a_gbk_line(folder: Path, *, padding: int) -> tuple[Path, int]:
    """clients.csv in UTF-8 with the C3 row saved as GBK; returns (folder, the byte offset
    of its first non-ASCII byte)."""
    tables = tiny_tables()
    write_csv(folder, tables)
    lines = (folder / "clients.csv").read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0] + ",备注"
    body = [line + "," for line in lines[1:]]
    filler = [f"C{i},M1,x,2021-01-05," for i in range(100, 100 + padding)]
    head = "\n".join([lines[0], body[0], body[1], *filler]).encode("utf-8") + b"\n"
    bad = body[2].encode("gbk") + b"\n"
    (folder / "clients.csv").write_bytes(head + bad + body[3].encode("utf-8") + b"\n")
    return folder, len(head) + len("C3,M2,")


@pytest.mark.parametrize("padding", [0, 3_000])
def test_a_gbk_line_in_a_utf8_file_is_named(tmp_path: Path, padding: int) -> None:
    """The error gives the line and byte offset and shows the line as GBK (whether the
    line is in the part the encoding is guessed from, or far after it)."""
    folder, offset = _utf8_folder_with_a_gbk_line(tmp_path, padding=padding)
    line = 4 + padding
    with pytest.raises(InputFileError) as caught:
        load(folder, as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith(
        f"clients.csv is UTF-8 text, but line {line} (byte offset {offset}) is not UTF-8; "
        "as GBK/GB18030 it reads 'C3,M2,苏州恒通物流,2023-03-15,'"
    )
    assert message.endswith("save the whole file again as CSV UTF-8")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"PK\x03\x04 not parquet at all", "it is not a Parquet file, or it is cut short"),
        (None, "it is not a Parquet file, or it is cut short"),
        (b"", "it is empty (0 bytes); export it again"),
    ],
)
def test_parquet_failures_in_words(tmp_path: Path, content: bytes | None, words: str) -> None:
    """A .parquet that is not one, cut short or empty: said plainly, with the file name."""
    folder = write_csv(tmp_path, {k: v for k, v in tiny_tables().items() if k != "sales"})
    if content is None:  # a real Parquet file, cut in half
        tiny_tables()["sales"].to_parquet(folder / "sales.parquet")
        whole = (folder / "sales.parquet").read_bytes()
        content = whole[: len(whole) // 2]
    (folder / "sales.parquet").write_bytes(content)
    with pytest.raises(InputFileError) as caught:
        load(folder, as_of=AS_OF)
    assert str(caught.value).startswith(f"sales.parquet cannot be read as a table: {words}")
    assert "magic bytes" not in str(caught.value)


def test_an_unclosed_quote_past_a_block_is_said_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quote never closed makes a 'row' longer than the reader's block: the message says
    so and what to do, not pyarrow's 'straddling object'."""
    from am_analytics.io import _csv

    monkeypatch.setattr(_csv, "_BLOCK_BYTES", 1024)
    folder = write_csv(tmp_path, tiny_tables())
    lines = (folder / "sales.csv").read_text().splitlines()
    lines[2] = lines[2].replace(",A", ',"A')
    filler = [f"S{i},C1,M1,2026-07-01,1,A" for i in range(10, 200)]
    (folder / "sales.csv").write_text("\n".join([*lines, *filler]) + "\n")
    with pytest.raises(InputFileError) as caught:
        load(folder, as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith("sales.csv cannot be read as utf-8 CSV with delimiter ','")
    assert "a row runs on for more than 1,024 bytes" in message
    assert "is never closed" in message and "straddl" not in message


def test_neutralised_formula_cells_load_as_written(tmp_path: Path) -> None:
    """Text and id cells a writer prefixed with ' (so spreadsheets do not run them) read
    back as the original text; numbers and dates are unaffected."""
    tables = tiny_tables()
    for name in ("surveys", "feedback", "opportunities"):
        del tables[name]
    odd = ['\'=HYPERLINK("http://x","y")', "'-x", "'@x", "''=x", "S5"]
    tables["sales"]["order_id"] = odd
    tables["sales"]["product"] = odd
    data = load(write_csv(tmp_path, tables), as_of=AS_OF)
    assert data.is_clean
    expected = ['=HYPERLINK("http://x","y")', "-x", "@x", "'=x", "S5"]
    assert data.sales.order_id.tolist() == expected
    assert data.sales["product"].tolist() == expected
    assert data.sales.amount.tolist() == [1200.5, -200.0, 3000.0, 450.0, 99.9]


def _sales_with_a_quote_opened(folder: Path, row_2: str, *, closed_at: int | None = None) -> Path:
    """sales.csv with 200 more orders and data row 2 written as ``row_2``; ``closed_at``
    puts a quoted cell in that later data row."""
    write_csv(folder, tiny_tables())
    lines = (folder / "sales.csv").read_text().splitlines()
    lines += [f"S{i},C1,M1,2026-07-01,1,A" for i in range(10, 210)]
    lines[2] = row_2
    if closed_at is not None:
        lines[closed_at] = lines[closed_at].replace(",A", ',"A"')
    (folder / "sales.csv").write_text("\n".join(lines) + "\n")
    return folder


@pytest.mark.parametrize(
    ("row_2", "closed_at", "column", "swallowed"),
    [
        # the last cell: the rest of the file is one kept row
        ('S2,C1,M1,2026-07-15,-200,"Beijing, 5th floor', None, "product", 203),
        # a middle cell: the row is one field short, one malformed row
        ('S2,"Beijing, 5th floor,M1,2026-07-15,-200,A', None, "client_id", 203),
        # a later quote ends the cell; the rows after it load
        ('S2,C1,M1,2026-07-15,-200,"Beijing, 5th floor', 100, "product", 98),
    ],
)
def test_an_unclosed_quote_that_swallows_rows_is_an_error(
    tmp_path: Path, row_2: str, closed_at: int | None, column: str, swallowed: int
) -> None:
    """A quote never closed reads the rows after it into one cell (they would be lost
    without a word): the error names the file, row and column and what to do."""
    folder = _sales_with_a_quote_opened(tmp_path, row_2, closed_at=closed_at)
    with pytest.raises(InputFileError) as caught:
        load(folder, as_of=AS_OF)
    message = str(caught.value)
    assert message.startswith(
        f'sales.csv row 2, column {column!r}: a quote (") opens this cell and is not closed '
        f"at its end, so the next {swallowed} lines of the file read as part of this one cell, "
        "which begins 'Beijing, 5th floor"
    )
    assert message.endswith(
        'Close the quote (write a quote inside a cell as ""), or export the file again'
    )


def test_an_unclosed_quote_in_a_typed_column_is_an_error(tmp_path: Path) -> None:
    """The quote opens in a number column that is read as text only on the second pass,
    and leaves the row one field short: a malformed row that swallowed the file."""
    write_csv(tmp_path, tiny_tables())
    lines = (tmp_path / "sales.csv").read_text().splitlines()
    lines += [f"S{i},C1,M1,2026-07-01,1,A" for i in range(10, 20)]
    lines[3] = lines[3].replace(",3000,", ',"3000,')
    (tmp_path / "sales.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(InputFileError, match=r"^sales\.csv row 3, column 'amount': .* next 12 "):
        load(tmp_path, as_of=AS_OF)


def test_quoted_multi_line_cells_are_not_mistaken_for_an_open_quote(tmp_path: Path) -> None:
    """Addresses and comments over two or three lines, even with a delimiter count on
    each line that would pass for a record, load as cells."""
    tables = tiny_tables()
    address = (
        "Room 501, Building 3, No. 8, Jianguo Road, Chaoyang, Beijing, 100020,\n"
        "c/o Wang Fang, Sales, East, Floor 5, Desk 12, Ext. 301, Mobile,\n"
        "China, Asia, Earth, Sol, Milky Way, Local Group, Virgo"
    )
    tables["surveys"]["comment"] = [address, "很好,\n下次再来", "ok,\nfine,\nthanks"]
    data = load(write_csv(tmp_path, tables), as_of=AS_OF)
    assert data.surveys.comment.tolist() == [address, "很好,\n下次再来", "ok,\nfine,\nthanks"]
    assert data.summary().set_index("table").loc["surveys", "rows_read"] == 3


def test_validate_with_an_unclosed_quote_exits_2_without_a_traceback(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from am_analytics.cli import EXIT_UNUSABLE, app

    folder = _sales_with_a_quote_opened(tmp_path, 'S2,C1,M1,2026-07-15,-200,"Beijing, 5th floor')
    result = CliRunner().invoke(app, ["validate", str(folder), "--as-of", "2026-11-15"])
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    output = " ".join(result.output.split())
    assert "Traceback" not in output
    assert "error: sales.csv row 2, column 'product': a quote (\") opens this cell" in output
    assert "the next 203 lines of the file" in output
    assert "Close the quote" in output
