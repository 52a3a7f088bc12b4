"""``excelflow annotate IN [-o OUT | --in-place]``: write a checked copy of a workbook
(:func:`excelflow.api.annotate`)."""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_OK,
    add_lang,
    as_of_arg,
    load_mapping_option,
    load_ruleset_option,
    output_problem,
    progress,
    report_invalid,
)

if TYPE_CHECKING:
    from excelflow.pipeline.ruleset import Lang


def add_parser(sub: Any) -> None:
    """Register ``annotate`` with the subcommands ``sub``."""
    ann = sub.add_parser(
        "annotate",
        help="write a checked copy: result columns, coloured rows, notes, Findings and Dashboard",
        description="Check IN and write the results into a copy (default IN.checked.xlsx): result "
        "columns for every deal, rows coloured by severity, a note on each offending cell, a "
        "Findings sheet and a Dashboard with native charts. The input is never modified unless "
        "--in-place is given (then atomically, with a timestamped backup); an existing copy is "
        "never overwritten without --force. A checked copy (NAME.checked.xlsx) is its own "
        "default copy: refresh it with --in-place, or write elsewhere with -o.",
    )
    ann.add_argument("input", metavar="IN", help="the workbook (or CSV export) to check")
    where = ann.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", metavar="OUT", help="the annotated copy's path")
    where.add_argument(
        "--in-place",
        action="store_true",
        help="update IN itself (refused while Excel has it open, or when the copy "
        "would lose something openpyxl cannot keep)",
    )
    ann.add_argument(
        "--ruleset",
        metavar="F",
        help="rule set file (default: the workbook's Rules sheet, else standard)",
    )
    ann.add_argument("--mapping", metavar="F", help="column/value mapping for foreign exports")
    add_lang(ann, "language of what is written")
    ann.add_argument("--as-of", type=as_of_arg, metavar="DATE", help="treat DATE as today")
    ann.add_argument("--force", action="store_true", help="overwrite an existing copy")


def run(args: argparse.Namespace) -> int:
    """Run ``annotate``."""
    return annotate_command(
        args.input,
        args.output,
        in_place=args.in_place,
        ruleset_path=args.ruleset,
        mapping_path=args.mapping,
        lang=args.lang,
        as_of=args.as_of,
        force=args.force,
    )


def annotate_command(
    in_path: str | Path,
    out_path: str | Path | None = None,
    *,
    in_place: bool = False,
    ruleset_path: str | None = None,
    mapping_path: str | None = None,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    force: bool = False,
) -> int:
    """The ``excelflow annotate`` subcommand: 0 written, 2 unreadable, invalid or refused.

    Prints where the annotated workbook went, what it lacks compared with the input, the backup
    of an in-place update, and warnings; errors go to stderr as one line.
    """
    from excelflow import api  # noqa: F401  # imported before the freeze below
    from excelflow.pipeline.collector import collector_paused

    problem = output_problem(out_path)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_ERROR
    # What the imports built lives to the end: out of the cyclic collector's scans, as in
    # validate (once per process: a caller running main() many times does not freeze its later
    # garbage). The run itself is one collector pause; see _annotate.
    if gc.get_freeze_count() == 0:
        gc.freeze()
    with collector_paused():
        return _annotate(in_path, out_path, in_place, ruleset_path, mapping_path, lang, as_of,
                         force)  # fmt: skip


def _annotate(
    in_path: str | Path,
    out_path: str | Path | None,
    in_place: bool,
    ruleset_path: str | None,
    mapping_path: str | None,
    lang: Lang | None,
    as_of: dt.date | None,
    force: bool,
) -> int:
    """:func:`annotate_command` under the collector's pause. Nothing of the run is left when it
    returns (the check's frames, the workbook and the plan are freed by reference counting), so
    the collection that follows the pause finds little to scan."""
    from excelflow import api
    from excelflow.pipeline.read import ReadError
    from excelflow.pipeline.ruleset import RuleSetError
    from excelflow.workbook.annotate import lost_message
    from excelflow.workbook.safe_write import WriteRefused

    try:
        explicit = load_ruleset_option(ruleset_path)
        # a spinner on a terminal: 8,800 deals take ~9 s
        with progress(f"annotating {in_path}") as bar:
            outcome = api.annotate(
                Path(in_path),
                Path(out_path) if out_path is not None else None,
                in_place=in_place,
                ruleset=explicit,
                mapping=load_mapping_option(mapping_path, explicit),
                lang=lang,
                as_of=as_of,
                overwrite=force,
                progress=lambda phase: bar.phase(f"{phase} {in_path}"),
            )
    except RuleSetError as exc:
        return report_invalid(exc)
    except (ReadError, WriteRefused) as exc:  # InPlaceRefused too: the copy is named in it
        print(f"excelflow: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:  # a folder we may not write to, a full disk, …
        print(f"excelflow: {in_path}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return EXIT_ERROR
    res = outcome.result
    counts = res.counts()
    print(
        f"excelflow: wrote {outcome.out_path} ({len(res.deals):,} deals: {counts['error']:,} "
        f"errors, {counts['warning']:,} warnings, {counts['info']:,} info)"
    )
    if outcome.backup_path is not None:
        print(f"excelflow: backup of the original: {outcome.backup_path}")
    if outcome.lost:
        print(f"excelflow: note: {lost_message(outcome.lost, lang or res.lang)}")
    for line in outcome.warnings:
        print(f"excelflow: warning: {line}", file=sys.stderr)
    return EXIT_OK
