"""``am-analytics config init`` and ``config check``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from am_analytics.cli import app
from am_analytics.evaluation import default_config_text

runner = CliRunner()


def test_init_writes_the_shipped_file(tmp_path: Path) -> None:
    """`config init FILE` writes the default byte for byte and exits 0."""
    path = tmp_path / "evaluation.toml"
    result = runner.invoke(app, ["config", "init", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text(encoding="utf-8") == default_config_text()
    assert f"written to {path}" in result.output


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    """An existing file is kept (exit 2) unless --force is given."""
    path = tmp_path / "evaluation.toml"
    path.write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["config", "init", str(path)])
    assert result.exit_code == 2
    assert f"error: {path} exists; give --force to replace it" in result.output
    assert path.read_text(encoding="utf-8") == "mine"
    result = runner.invoke(app, ["config", "init", str(path), "--force"])
    assert result.exit_code == 0
    assert path.read_text(encoding="utf-8") == default_config_text()


def test_check_prints_resolved_settings(tmp_path: Path) -> None:
    """A good file: exit 0 and the resolved settings as JSON."""
    path = tmp_path / "evaluation.toml"
    path.write_text('[report]\nlanguage = "en"\nsummary_size = 3\n', encoding="utf-8")
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    settings = json.loads(result.stdout)
    assert settings["language"] == "en" and settings["summary_size"] == 3
    assert settings["sla"]["high"] == 24.0


def test_check_reports_a_bad_file(tmp_path: Path) -> None:
    """A bad file: exit 2 and the error with its section."""
    path = tmp_path / "evaluation.toml"
    path.write_text('[report]\nlanguage = "fr"\n', encoding="utf-8")
    result = runner.invoke(app, ["config", "check", str(path)])
    assert result.exit_code == 2
    assert f"error: {path}: [report] language must be one of zh, en, not 'fr'" in result.output
