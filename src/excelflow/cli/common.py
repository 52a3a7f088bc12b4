"""What every command shares: exit codes, the ``--lang`` / ``--as-of`` / ``--ruleset`` options
and the one way a broken rule set or mapping is reported."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from excelflow.pipeline.mapping import ColumnMapping
    from excelflow.pipeline.ruleset import RuleSet, RuleSetError

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def lang_arg(text: str) -> str:
    """``--lang``: any word :func:`excelflow.pipeline.arguments.parse_lang` knows becomes
    ``zh``/``en``; anything else is passed on for argparse's ``choices`` to refuse."""
    from excelflow.pipeline import arguments

    try:
        return arguments.parse_lang(text) or text
    except ValueError:
        return text


def as_of_arg(text: str) -> dt.date:
    """``--as-of``: a date (:func:`excelflow.pipeline.arguments.parse_as_of`)."""
    from excelflow.pipeline import arguments

    try:
        day = arguments.parse_as_of(text)
    except ValueError:
        day = None
    if day is None:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}")
    return day.date()


def add_lang(
    parser: argparse.ArgumentParser, help: str | None = None, default: str | None = None
) -> None:
    """The ``--lang zh|en`` option."""
    parser.add_argument("--lang", type=lang_arg, choices=("zh", "en"), default=default, help=help)


def load_ruleset_option(path: str | None) -> RuleSet | None:
    """The rule set ``--ruleset`` names, else None (the door's default applies).

    Raises:
        RuleSetError: the file cannot be read or is invalid.
    """
    from excelflow.pipeline.ruleset import load_ruleset

    return load_ruleset(path) if path else None


def load_mapping_option(path: str | None, ruleset: RuleSet | None) -> ColumnMapping:
    """The mapping ``--mapping`` names (its fields resolved against ``ruleset``, else the
    standard set), else the empty mapping.

    Raises:
        MappingError: the file cannot be read or is invalid.
    """
    from excelflow.pipeline.mapping import EMPTY_MAPPING, load_mapping
    from excelflow.pipeline.resources import shipped_mappings
    from excelflow.pipeline.ruleset import load_ruleset

    if not path:
        return EMPTY_MAPPING
    shipped = shipped_mappings()
    if path in shipped and not Path(path).exists():  # --mapping salesforce
        return load_mapping(shipped[path], ruleset or load_ruleset())
    return load_mapping(path, ruleset or load_ruleset())


def report_invalid(exc: RuleSetError, err: TextIO | None = None) -> int:
    """Print a broken rule set or mapping as one line (``excelflow: FILE: invalid rule set:
    reasons``) and return the exit code 2."""
    print(f"excelflow: {exc}", file=err or sys.stderr)
    return EXIT_ERROR
