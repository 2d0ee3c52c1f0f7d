"""Reading configuration files: TOML in, plain data out, every failure a ConfigError.

Scorecards, segment rules, service policies, career ladders and course
catalogues are TOML files; each module turns the plain data read here into its
typed, checked specification (``Scorecard.from_dict``, ``SegmentRules.from_dict``,
...), so a mistake is reported with the file's name.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["read_packaged_toml", "read_toml"]


def read_toml(path: str | Path, *, what: str) -> dict[str, Any]:
    """The contents of the TOML file at ``path``, which holds ``what`` (for messages).

    Raises
    ------
    ConfigError
        If the file cannot be read or is not valid TOML.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "card.toml"
    >>> _ = path.write_text('[scorecard]\\nweighting = "equal"\\n', encoding="utf-8")
    >>> read_toml(path, what="scorecard")
    {'scorecard': {'weighting': 'equal'}}
    """
    path = Path(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read the {what} {path}: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None


def read_packaged_toml(package: str, name: str) -> dict[str, Any]:
    """The contents of a TOML file shipped inside ``package`` (the defaults).

    Examples
    --------
    >>> card = read_packaged_toml("am_analytics.scoring", "default_scorecard.toml")
    >>> card["scorecard"]["weighting"]
    'fixed'
    """
    return tomllib.loads(resources.files(package).joinpath(name).read_text("utf-8"))
