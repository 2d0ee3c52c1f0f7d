"""The am-analytics command line: output, files written and exit codes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import am_analytics
from am_analytics.cli import EXIT_OK, EXIT_REJECTS, EXIT_UNUSABLE, app
from am_analytics.sample import sample_dir
from conftest import tiny_tables

runner = CliRunner()


def write_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_validate_clean_sample_exits_0() -> None:
    """The committed sample is valid: exit 0 and a table of counts."""
    result = runner.invoke(app, ["validate", str(sample_dir()), "--as-of", "2026-11-15"])
    assert result.exit_code == EXIT_OK, result.output
    assert "20,203" in result.output and "all rows valid" in result.output


def test_validate_with_rejects_exits_1_and_writes_them(tmp_path: Path) -> None:
    """Bad rows: exit 1, the reason on screen, every reject in the --rejects file."""
    tables = tiny_tables()
    tables["sales"].loc[1, "amount"] = "lots"
    tables["sales"].loc[3, "client_id"] = "C404"
    folder = write_tables(tmp_path / "data", tables)
    out = tmp_path / "out" / "rejects.csv"
    result = runner.invoke(
        app, ["validate", str(folder), "--as-of", "2026-11-15", "--rejects", str(out)]
    )
    assert result.exit_code == EXIT_REJECTS, result.output
    assert "2 rows rejected" in result.output
    assert "cannot read 'lots' as a number" in result.output
    written = pd.read_csv(out, encoding="utf-8-sig")
    assert written[["source", "row", "column"]].values.tolist() == [
        ["sales.csv", 2, "amount"],
        ["sales.csv", 4, "client_id"],
    ]


def _sales_counts(output: str) -> list[str]:
    """The read, kept and rejected counts on the sales line of the summary table."""
    line = next(line for line in output.splitlines() if line.startswith("│ sales "))
    return [cell.strip() for cell in line.split("│")[3:6]]


def test_keep_orphans_option(tmp_path: Path) -> None:
    """--keep-orphans keeps rows with unknown ids, so the data is clean.

    Without it the sale of unknown client C404 is the one reference reject;
    with it all 5 sales are kept and the rejects file is empty.
    """
    tables = tiny_tables()
    tables["sales"].loc[3, "client_id"] = "C404"
    folder = write_tables(tmp_path / "data", tables)
    command = ["validate", str(folder), "--as-of", "2026-11-15"]

    rejected = tmp_path / "rejected.csv"
    without = runner.invoke(app, [*command, "--rejects", str(rejected)])
    assert without.exit_code == EXIT_REJECTS, without.output
    assert _sales_counts(without.output) == ["5", "4", "1"]
    written = pd.read_csv(rejected, encoding="utf-8-sig")
    assert written[["source", "row", "column", "check", "value"]].values.tolist() == [
        ["sales.csv", 4, "client_id", "reference", "C404"]
    ]

    kept = tmp_path / "kept.csv"
    result = runner.invoke(app, [*command, "--keep-orphans", "--rejects", str(kept)])
    assert result.exit_code == EXIT_OK, result.output
    assert _sales_counts(result.output) == ["5", "5", "0"]
    assert "all rows valid" in result.output
    assert "0 rejects written" in result.output and "root cause" not in result.output
    written = pd.read_csv(kept, encoding="utf-8-sig")
    assert written.empty
    assert not (written["check"] == "reference").any()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.pop("sales"), "required tables missing: sales"),
        (lambda t: t["clients"].pop("manager_id"), "'manager_id' not found"),
    ],
)
def test_unusable_input_exits_2(tmp_path: Path, change: object, message: str) -> None:
    """A missing table or required column: exit 2 with the reason."""
    tables = tiny_tables()
    change(tables)  # type: ignore[operator]
    result = runner.invoke(app, ["validate", str(write_tables(tmp_path, tables))])
    assert result.exit_code == EXIT_UNUSABLE
    assert message in result.output


def test_validate_bad_as_of_exits_2(tmp_path: Path) -> None:
    """An unreadable --as-of is a usage problem, not a crash."""
    folder = write_tables(tmp_path, tiny_tables())
    result = runner.invoke(app, ["validate", str(folder), "--as-of", "someday"])
    assert result.exit_code == EXIT_UNUSABLE
    assert "as_of" in result.output


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_sample_writes_a_loadable_folder(tmp_path: Path, fmt: str) -> None:
    """`sample` writes all nine tables, which validate cleanly."""
    out = tmp_path / "org"
    args = ["sample", "--out", str(out), "--managers", "10", "--clients", "200", "--seed", "3"]
    result = runner.invoke(app, [*args, "--format", fmt])
    assert result.exit_code == EXIT_OK, result.output
    assert len(list(out.glob(f"*.{fmt}"))) == 9
    check = runner.invoke(app, ["validate", str(out), "--as-of", "2026-11-15"])
    assert check.exit_code == EXIT_OK, check.output


def test_sample_bad_arguments_exit_2(tmp_path: Path) -> None:
    """Fewer clients than managers is refused with the reason."""
    result = runner.invoke(
        app, ["sample", "--out", str(tmp_path), "--managers", "50", "--clients", "10"]
    )
    assert result.exit_code == EXIT_UNUSABLE
    assert "clients" in result.output


def test_help_explains_the_commands() -> None:
    """--help lists both commands and validate's exit codes."""
    top = runner.invoke(app, ["--help"])
    assert "validate" in top.output and "sample" in top.output
    validate = runner.invoke(app, ["validate", "--help"])
    assert "Exits 0 when every row is valid" in validate.output


def test_score_prints_ranked_managers_and_writes_the_table(tmp_path: Path) -> None:
    """`score` ranks the sample's managers, grades them 271 and writes the full table."""
    out = tmp_path / "scores.csv"
    result = runner.invoke(
        app,
        [
            "score",
            str(sample_dir()),
            "--period",
            "2026Q3",
            "--as-of",
            "2026-11-15",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    written = pd.read_csv(out, encoding="utf-8-sig", index_col="manager_id")
    assert written["rank"].tolist() == sorted(written["rank"].tolist())
    assert set(written["grade"]) == {"A", "B", "C"}
    assert written.index[0] in result.output and "Managers, 2026Q3" in result.output


def test_score_with_a_bad_scorecard_exits_2(tmp_path: Path) -> None:
    """A scorecard naming an unknown metric is reported, with exit code 2."""
    card = tmp_path / "card.toml"
    card.write_text('[[criteria]]\nmetric = "revenue"\nweight = 1\n', encoding="utf-8")
    result = runner.invoke(
        app, ["score", str(sample_dir()), "--period", "2026Q3", "--scorecard", str(card)]
    )
    assert result.exit_code == EXIT_UNUSABLE
    assert "unknown metric 'revenue'" in result.output


def test_segments_prints_the_segments_and_writes_both_tables(tmp_path: Path) -> None:
    """`segments` shows every segment's clients and writes clients and portfolios."""
    clients, managers = tmp_path / "clients.csv", tmp_path / "managers.csv"
    result = runner.invoke(
        app,
        [
            "segments",
            str(sample_dir()),
            "--as-of",
            "2026-11-15",
            "--out",
            str(clients),
            "--portfolios",
            str(managers),
        ],
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "Champions" in result.output and "Can't Lose" in result.output
    table = pd.read_csv(clients, encoding="utf-8-sig", index_col="client_id")
    book = pd.read_csv(managers, encoding="utf-8-sig", index_col="manager_id")
    assert len(table) == 1852 and book["clients"].sum() == 2000  # 148 clients never bought
    assert {"segment", "tier", "expected_value", "next_action_zh"} <= set(table.columns)


ZOHO = Path(__file__).parents[1] / "data" / "zoho"


def test_import_zoho_exports_writes_a_folder_that_load_reads(tmp_path: Path) -> None:
    """The folder holds the canonical tables (equal to read_export's), rejects and the report."""
    from am_analytics import load
    from am_analytics.io.zoho import read_export

    exports = [str(ZOHO / name) for name in ("Users.csv", "Accounts.csv", "Deals.csv")]
    out = tmp_path / "canonical"
    result = runner.invoke(
        app, ["import", "zoho", *exports, "--out", str(out), "--as-of", "2026-11-15"]
    )
    expected = read_export(exports, as_of="2026-11-15")
    assert result.exit_code == EXIT_REJECTS, result.output  # the fixture has broken deals
    assert "rows rejected" in result.output
    again = load(out, as_of="2026-11-15")
    for name, frame in expected.tables():
        pd.testing.assert_frame_equal(again.table(name), frame, check_categorical=False)
    rejects = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig", dtype={"row": "int64"})
    assert rejects[["table", "source", "row", "check"]].values.tolist() == (
        expected.rejects[["table", "source", "row", "check"]].values.tolist()
    )
    report = pd.read_csv(out / "mapping_report.csv", encoding="utf-8-sig")
    assert len(report) == len(expected.mapping)
    assert set(report["source"]) == {"Users.csv", "Accounts.csv", "Deals.csv"}


def test_import_zoho_api_reads_credentials_from_the_environment_and_never_writes_them(
    tmp_path: Path,
) -> None:
    """`api` fetches with ZOHO_* variables; no secret appears in the output or the files."""
    from crm_server import Reply, Request, serve

    secret, refresh = "s3cret-cli-value", "1000.refresh-cli-value"
    users = [{"id": "101", "full_name": "Li Lei", "status": "active"}]
    accounts = [{"id": "2001", "Owner": {"name": "Li Lei", "id": "101"}, "Account_Name": "Acme"}]
    deals = [
        {"id": "3001", "Owner": {"name": "Li Lei", "id": "101"}, "Amount": 1200.5,
         "Closing_Date": "2026-07-01", "Account_Name": {"name": "Acme", "id": "2001"},
         "Stage": "Closed Won", "Modified_Time": "2026-07-01T09:00:00+08:00"},
    ]  # fmt: skip

    def zoho(request: Request) -> Reply:
        if request.path == "/oauth/v2/token":
            body = {"access_token": "access-cli-value", "expires_in": 3600, "api_domain": url}
            return Reply(200, body)
        if request.path.endswith("/deleted"):
            return Reply(204)
        records = {"users": users, "Accounts": accounts, "Deals": deals}[request.path.split("/")[3]]
        key = "users" if request.path.endswith("/users") else "data"
        return Reply(200, {key: records, "info": {"more_records": False, "count": len(records)}})

    out = tmp_path / "canonical"
    with serve(zoho) as server:
        url = server.url
        env = {
            "ZOHO_CLIENT_ID": "1000.CLI",
            "ZOHO_CLIENT_SECRET": secret,
            "ZOHO_REFRESH_TOKEN": refresh,
            "ZOHO_ACCOUNTS_URL": url,
        }
        result = runner.invoke(
            app, ["import", "zoho", "api", "--out", str(out), "--as-of", "2026-11-15"], env=env
        )
    assert result.exit_code == EXIT_OK, result.output
    written = "".join(p.read_text(encoding="utf-8-sig") for p in sorted(out.iterdir()))
    for value in (secret, refresh, "access-cli-value"):
        assert value not in result.output
        assert value not in written
    sales = pd.read_csv(out / "sales.csv", dtype="str")
    assert sales[["order_id", "client_id", "manager_id", "amount"]].values.tolist() == [
        ["3001", "2001", "101", "1200.5"]
    ]


def test_import_api_without_credentials_exits_2_naming_the_variable(tmp_path: Path) -> None:
    """A missing credential is named (not its value), and nothing is written."""
    env = {"ZOHO_CLIENT_ID": "", "ZOHO_CLIENT_SECRET": "x", "ZOHO_REFRESH_TOKEN": "y"}
    out = tmp_path / "canonical"
    result = runner.invoke(app, ["import", "zoho", "api", "--out", str(out)], env=env)
    assert result.exit_code == EXIT_UNUSABLE
    assert "ZOHO_CLIENT_ID" in result.output
    assert not out.exists()


def test_import_refuses_api_mixed_with_files(tmp_path: Path) -> None:
    """`api` and export files together are a usage error."""
    args = ["import", "zoho", "api", str(ZOHO / "Deals.csv"), "--out", str(tmp_path)]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_UNUSABLE
    assert "cannot be mixed" in result.output


def test_import_fxiaoke_gbk_exports_then_validate_reads_the_folder(tmp_path: Path) -> None:
    """GBK exports with Chinese labels import in one command; `validate` then finds it clean."""
    exports = tmp_path / "exports"
    exports.mkdir()
    for name in ("销售订单.csv", "人员.csv"):
        (exports / name).write_bytes(
            (Path(__file__).parents[1] / "data" / "fxiaoke" / name).read_bytes()
        )
    accounts = (
        "客户编号,客户名称,负责人,生命状态\nA001,华美贸易,王芳,正常\nA002,远大科技,李雷,正常\n"
    )
    (exports / "客户.csv").write_bytes(accounts.encode("gbk"))
    out = tmp_path / "canonical"
    args = ["import", "fxiaoke", str(exports), "--out", str(out), "--as-of", "2026-11-15"]
    result = runner.invoke(app, args)
    assert result.exit_code == EXIT_REJECTS, result.output  # voided orders, unknown clients
    sales = pd.read_csv(out / "sales.csv", dtype="str")
    assert sales[["order_id", "client_id", "manager_id", "amount"]].values.tolist() == [
        ["SO-001", "A001", "E01", "1200.0"],
        ["SO-002", "A002", "E02", "3000.0"],
        ["SO-007", "A001", "E03", "-200.0"],  # a refund
    ]
    rejects = pd.read_csv(out / "rejects.csv", encoding="utf-8-sig", dtype="str")
    assert set(rejects.loc[rejects.table == "sales", "check"]) >= {"voided", "reference"}
    check = runner.invoke(app, ["validate", str(out), "--as-of", "2026-11-15"])
    assert check.exit_code == EXIT_OK, check.output


def test_version_prints_the_package_version() -> None:
    """--version: the version on one line, exit 0."""
    from am_analytics import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == EXIT_OK
    assert result.output == f"am-analytics {__version__}\n"


@pytest.mark.parametrize(
    "command", [[], ["validate"], ["score"], ["segments"], ["sample"], ["import"]]
)
def test_help_shows_no_bool_value_for_flags(command: list[str]) -> None:
    """Flags (--help, --keep-orphans, --version) take no value: no `<bool>` in any help."""
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == EXIT_OK
    assert "--help" in result.output and "<bool>" not in result.output


def test_score_a_period_before_any_sale_exits_2_with_the_data_range() -> None:
    """2019Q1 used to rank everyone first with grade A; now exit 2 and what to do."""
    result = runner.invoke(app, ["score", str(sample_dir()), "--period", "2019Q1"])
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert "no sales in 2019Q1" in result.output
    assert "the sales run from 2024-01-01 to 2026-11-15: choose a period with sales" in (
        " ".join(result.output.split())
    )


def test_score_defaults_as_of_to_the_last_sale_and_names_the_leavers(tmp_path: Path) -> None:
    """Without --as-of: the last sale date, printed; the scores equal the library's
    (README) call with that as_of; the two managers who left are named."""
    from am_analytics import load
    from am_analytics.scoring import score_managers

    out = tmp_path / "scores.csv"
    result = runner.invoke(
        app, ["score", str(sample_dir()), "--period", "2026Q4", "--out", str(out)]
    )
    assert result.exit_code == EXIT_OK, result.output
    assert "as of 2026-11-15, the last sale date (change it with --as-of)" in result.output
    assert "2 managers who have left are not scored: M0018 杨艳, M0035 贾斌" in result.output
    expected = score_managers(load(sample_dir(), as_of="2026-11-15"), period="2026Q4")
    written = pd.read_csv(out, encoding="utf-8-sig", index_col="manager_id")
    assert written["score"].round(9).tolist() == expected["score"].round(9).tolist()


def test_segments_defaults_as_of_and_counts_the_clients_without_sales() -> None:
    """Segments as of the last sale date, and the 148 clients without a sale are counted."""
    result = runner.invoke(app, ["segments", str(sample_dir())])
    assert result.exit_code == EXIT_OK, result.output
    text = " ".join(result.output.split())
    assert "as of 2026-11-15, the last sale date" in text
    assert "Clients by segment, as of 2026-11-15" in text
    assert (
        "148 clients without a sale up to 2026-11-15 are not segmented "
        "(per manager: clients_without_sales in --portfolios)" in text
    )


def test_segments_prints_the_library_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    """The segment table on screen is segment_summary's, formatted: clients, revenue, share."""
    from am_analytics import load
    from am_analytics.segments import segment_clients, segment_summary

    data = load(sample_dir(), as_of="2026-11-15")
    summary = segment_summary(segment_clients(data, as_of="2026-11-15"))
    result = runner.invoke(app, ["segments", str(sample_dir()), "--as-of", "2026-11-15"])
    assert result.exit_code == EXIT_OK, result.output
    row = summary.loc["Champions"]
    line = next(s for s in result.output.splitlines() if "Champions" in s)
    assert [cell.strip() for cell in line.split("│")[1:-1]] == [
        "Champions",
        f"{int(row['clients']):,}",
        f"{row['revenue']:,.0f}",
        f"{row['share']:.1%}",
    ]


def test_import_prints_the_library_mapping_summary(tmp_path: Path) -> None:
    """The source-column table shows mapping_summary's counts, only the statuses that occur."""
    from am_analytics.io import mapping_summary

    out = tmp_path / "out"
    result = runner.invoke(app, ["import", "zoho", str(ZOHO), "--out", str(out)])
    assert result.exit_code in (EXIT_OK, EXIT_REJECTS), result.output
    report = pd.read_csv(out / "mapping_report.csv", encoding="utf-8-sig")
    summary = mapping_summary(report)
    shown = [s for s in summary.columns if summary[s].any()]
    lines = result.output.splitlines()
    header = next(s for s in lines if s.startswith("┃ source "))
    assert [cell.strip() for cell in header.split("┃")[1:-1]] == ["source", *shown]
    for source, counts in summary.iterrows():
        line = next(s for s in lines if s.startswith(f"│ {source} "))
        assert [cell.strip() for cell in line.split("│")[2:-1]] == [str(counts[s]) for s in shown]


@pytest.mark.parametrize(
    ("command", "patched"),
    [
        (["segments", str(sample_dir())], "am_analytics.segments.segment_summary"),
        (["score", str(sample_dir()), "--period", "2026Q4"], "am_analytics.scoring.score_managers"),
        (["validate", str(sample_dir())], "am_analytics.dataset.load"),
    ],
)
def test_a_library_error_at_any_step_is_one_error_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, command: list[str], patched: str
) -> None:
    """Every command turns the library's errors into `error: ...` and exit 2, no traceback."""
    from am_analytics.errors import ConfigError

    def fail(*args: object, **kwargs: object) -> None:
        raise ConfigError("the rule, the place, the fix")

    monkeypatch.setattr(patched, fail)
    result = runner.invoke(app, command)
    assert result.exit_code == EXIT_UNUSABLE, result.output
    assert result.output.splitlines()[-1] == "error: the rule, the place, the fix"
    assert "Traceback" not in result.output


def test_python_dash_m_runs_the_command_line() -> None:
    """`python -m am_analytics.cli` is the `am-analytics` script."""
    import subprocess
    import sys

    from am_analytics import __version__

    done = subprocess.run(
        [sys.executable, "-m", "am_analytics.cli", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (done.returncode, done.stdout) == (EXIT_OK, f"am-analytics {__version__}\n")


def test_the_command_line_imports_the_domains_only_when_a_command_runs() -> None:
    """Loading the CLI (for --help) leaves segments and the CRM connectors unimported."""
    import subprocess
    import sys

    code = (
        "import sys, am_analytics.cli; "
        "print(sorted(m for m in ('am_analytics.segments', 'am_analytics.io.zoho', "
        "'am_analytics.io.fxiaoke', 'httpx', 'sklearn') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert (done.returncode, done.stdout) == (0, "[]\n"), done.stderr


@pytest.mark.parametrize(
    ("arguments", "code", "stream", "expected"),
    [
        (["--version"], EXIT_OK, "stdout", am_analytics.__version__),
        (["validate", "no/such/folder"], EXIT_UNUSABLE, "stderr", "error: no/such/folder"),
        (["validate", "--no-such-option"], 2, "stderr", "No such option"),
    ],
)
def test_the_script_exits_with_its_code_and_all_its_output_through_a_pipe(
    arguments: list[str], code: int, stream: str, expected: str
) -> None:
    """The script ends its process itself: the exit code and every line still come through."""
    done = subprocess.run(
        [sys.executable, "-m", "am_analytics.cli", *arguments], capture_output=True, text=True
    )
    assert done.returncode == code, done.stderr
    assert expected in getattr(done, stream)
    if code != EXIT_OK:  # errors, ours and click's, on standard error only
        assert done.stdout == ""


#: The data stack and the optional extras: what the help of any command must not import.
HEAVY_MODULES = (
    "pandas",
    "numpy",
    "pyarrow",
    "pandera",
    "scipy",
    "sklearn",
    "statsmodels",
    "matplotlib",
    "openpyxl",
    "httpx",
    "jinja2",
    "xlsxwriter",
    "fastapi",
    "uvicorn",
)

#: Shows the help of ``sys.argv[1:]``, then prints the heavy modules loaded. It calls
#: the app, not ``main()``: main ends the process before anything could be printed.
_HELP_THEN_MODULES = (
    "import sys\n"
    "from am_analytics.cli import app\n"
    "app(sys.argv[1:], prog_name='am-analytics', standalone_mode=False)\n"
    "loaded = {name.partition('.')[0] for name in sys.modules}\n"
    f"print('loaded:', sorted(loaded & set({HEAVY_MODULES!r})))\n"
)


@pytest.mark.parametrize("command", [[], ["evaluate"], ["import"], ["config", "init"]])
def test_help_imports_no_data_stack(command: list[str]) -> None:
    """The help of the program and of a command exits 0, shows the usage, loads no pandas."""
    script = subprocess.run(
        [sys.executable, "-m", "am_analytics.cli", *command, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert script.returncode == EXIT_OK, script.stderr
    assert f"Usage: python -m am_analytics.cli {' '.join([*command, ''])}" in script.stdout
    shown = subprocess.run(
        [sys.executable, "-c", _HELP_THEN_MODULES, *command, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert "Usage: am-analytics" in shown.stdout
    assert shown.stdout.splitlines()[-1] == "loaded: []"
