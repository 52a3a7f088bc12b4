"""The ``excelflow`` command: the parser and :func:`main`; one module per command.

Each command module (:mod:`.validate`, :mod:`.template`, :mod:`.annotate`, :mod:`.bid`,
:mod:`.rules`, :mod:`.history`) registers its arguments (``add_parser``) and runs (``run``) by
calling :mod:`excelflow.api`; what they share is in :mod:`.common`. ``make demo`` is :mod:`.demo`.

Exit codes (``validate``): 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 a
file could not be read, or a usage / configuration error.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from excelflow import __version__
from excelflow.cli import (
    annotate,
    batch,
    bid,
    history,
    mapping,
    rules,
    serve,
    template,
    validate,
)
from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    report_invalid,
    terminal_safe,
)

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "build_parser", "main"]

COMMANDS = {
    "validate": validate,
    "batch": batch,
    "template": template,
    "annotate": annotate,
    "bid": bid,
    "rules": rules,
    "mapping": mapping,
    "history": history,
    "serve": serve,
}
"""Command name -> its module, in the order ``excelflow --help`` lists them."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests)."""
    parser = argparse.ArgumentParser(
        prog="excelflow",
        description="Check B2B sales pipelines against the six-stage stage-gate process.",
    )
    parser.add_argument("--version", action="version", version=f"excelflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS.values():
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code. Everything a command prints passes
    :func:`~excelflow.cli.common.terminal_safe` (control characters from cell text are shown, never
    sent to the terminal), except ``serve``'s server log."""
    try:
        with terminal_safe():
            try:
                args = build_parser().parse_args(argv)
            except SystemExit:  # --help, --version or a usage error: flush before exiting
                sys.stdout.flush()
                raise
        if args.command == "serve":
            return _run(args)
        with terminal_safe():
            code = _run(args)
        sys.stdout.flush()  # a reader that hung up shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        return _reader_gone()


def _reader_gone() -> int:
    """stdout's reader closed the pipe (``excelflow … | head -1``): what it read is all it
    wanted, so exit 0 quietly, as ``cat`` and ``ruff`` do, without a traceback, and point stdout
    at /dev/null so that Python's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is no real file (a test's capture): nothing to flush
        pass
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from excelflow.pipeline.ruleset import RuleSetError

    try:
        return int(COMMANDS[args.command].run(args))
    except RuleSetError as exc:
        return report_invalid(exc)
    except KeyboardInterrupt:
        print("excelflow: interrupted", file=sys.stderr)
        return 130
