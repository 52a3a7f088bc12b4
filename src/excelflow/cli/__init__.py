"""The ``excelflow`` command: the parser and :func:`main`; one module per command.

Each command module (:mod:`.validate`, :mod:`.template`, :mod:`.annotate`, :mod:`.bid`,
:mod:`.rules`, :mod:`.history`) registers its arguments (``add_parser``) and runs (``run``) by
calling :mod:`excelflow.api`; what they share is in :mod:`.common`. ``make demo`` is :mod:`.demo`.

Exit codes (``validate``): 0 nothing at or above ``--fail-on``; 1 findings at or above it; 2 a
file could not be read, or a usage / configuration error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from excelflow import __version__
from excelflow.cli.common import (
    EXIT_ERROR,
    EXIT_FINDINGS,
    EXIT_OK,
    report_invalid,
    terminal_safe,
)

__all__ = ["EXIT_ERROR", "EXIT_FINDINGS", "EXIT_OK", "build_parser", "main"]

COMMANDS = (
    "validate",
    "batch",
    "template",
    "annotate",
    "bid",
    "rules",
    "mapping",
    "history",
    "serve",
)
"""The commands, in the order ``excelflow --help`` lists them; each is the module
``excelflow.cli.<name>``, imported only when its command runs or the full parser is built (a
command's module may import much that the others never need: the cold start of ``validate``)."""


def command(name: str) -> ModuleType:
    """The module of command ``name`` (imported on first use)."""
    return importlib.import_module(f"excelflow.cli.{name}")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (exposed for the docs and tests); with ``only``, just that command's
    subparser: what :func:`main` parses a command line naming its command first with (its help,
    usage and errors are the same as in the full parser)."""
    parser = argparse.ArgumentParser(
        prog="excelflow",
        description="Check B2B sales pipelines against the six-stage stage-gate process.",
    )
    parser.add_argument("--version", action="version", version=f"excelflow {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS if only is None else (only,):
        command(name).add_parser(sub)
    return parser


def _parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The full parser, unless the command line starts with a command's name: then that
    command's alone (``excelflow --help`` and an unknown command still list every command)."""
    return build_parser(argv[0] if argv and argv[0] in COMMANDS else None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code. Everything a command prints passes
    :func:`~excelflow.cli.common.terminal_safe` (control characters from cell text are shown, never
    sent to the terminal), except ``serve``'s server log."""
    try:
        with terminal_safe():
            try:
                argv = sys.argv[1:] if argv is None else list(argv)
                args = _parser_for(argv).parse_args(argv)
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


def console() -> NoReturn:
    """The ``excelflow`` script and ``python -m excelflow``: :func:`main`, then the end of the
    process.

    A command may hand what it built to :func:`~excelflow.cli.common.keep_until_exit`
    (``validate``: its reports, ~240k findings and the deals of a 100k-row workbook). Freeing
    them one object at a time would cost ~0.12 s of CPU, and up to 0.3 s of wall on a busy
    machine, only to hand the memory back to an operating system about to reclaim it anyway.
    So when something was kept, :func:`~excelflow.cli.common.exit_now` ends the process with
    ``os._exit``, after doing what an interpreter exit does that anyone can see:
    - stdout and stderr are flushed;
    - the ``atexit`` handlers run (logging, temporary files, a history database, Dask);
    - a flush that fails, or a non-daemon thread still running, takes the ordinary exit
      instead, so Python reports it as it always does.

    :func:`main` itself returns normally, and nothing is kept unless this entry point ran, so a
    caller in the same process (the tests, batch) is unaffected."""
    from excelflow.cli.common import exit_now, keep_for_exit

    keep_for_exit(True)
    exit_now(main())


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
        return int(command(args.command).run(args))
    except RuleSetError as exc:
        return report_invalid(exc)
    except KeyboardInterrupt:
        print("excelflow: interrupted", file=sys.stderr)
        return 130
