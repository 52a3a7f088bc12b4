"""What every command shares: exit codes, the ``--lang`` / ``--as-of`` / ``--ruleset`` options,
the one way a broken rule set or mapping is reported, and the one boundary where text reaches
the terminal (:func:`terminal_safe`)."""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import errno
import io
import logging
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    from excelflow.history import FileHistory
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


_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def as_of_arg(text: str) -> dt.date:
    """``--as-of``: a date (:func:`excelflow.pipeline.arguments.parse_as_of`). A plain
    ``YYYY-MM-DD`` of the years 1901–2199 (well inside its range) is read here, without the
    full parser's pandas: ``validate`` imports pandas beside the read of the file."""
    match = _ISO_DAY.fullmatch(text)
    if match is not None and 1901 <= int(match[1]) <= 2199:
        with contextlib.suppress(ValueError):  # 2026-02-30: the full parser words the error
            return dt.date(*map(int, match.groups()))
    from excelflow.pipeline import arguments

    low, high = arguments.AS_OF_RANGE
    try:
        day = arguments.parse_as_of(text)
    except ValueError as exc:
        if "outside" in str(exc):  # a real date pandas cannot count from (0001-01-01)
            raise argparse.ArgumentTypeError(f"use a date from {low} to {high}: {text!r}") from None
        day = None
    if day is None:
        raise argparse.ArgumentTypeError(f"not a date (use YYYY-MM-DD): {text!r}")
    return day.date()


def add_lang(
    parser: argparse.ArgumentParser, help: str | None = None, default: str | None = None
) -> None:
    """The ``--lang zh|en`` option."""
    parser.add_argument("--lang", type=lang_arg, choices=("zh", "en"), default=default, help=help)


def add_gate_options(
    parser: argparse.ArgumentParser,
    strict_help: str = "a file without a pipeline table is an error (default: skipped, counted)",
) -> None:
    """``--fail-on``, ``--as-of`` and ``--strict``: the options of a command that checks files
    and answers with an exit code (validate, batch)."""
    parser.add_argument(
        "--fail-on",
        choices=("error", "warning", "never"),
        default="error",
        help="lowest severity that makes the exit code 1 (default: error)",
    )
    parser.add_argument(
        "--as-of",
        type=as_of_arg,
        metavar="DATE",
        help="treat DATE (YYYY-MM-DD) as today, for reproducible results",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help=strict_help,
    )


_CODE_PREFIX = re.compile(r"[A-Z]{1,2}[0-9]{0,2}")


def codes_arg(text: str) -> tuple[str, ...]:
    """``--select``/``--ignore``: comma-separated codes or prefixes (``SG,DQ0``), each naming at
    least one registered rule code."""
    from excelflow.rules import load_all

    codes = load_all()
    out = []
    for item in (part.strip().upper() for part in text.split(",")):
        if not item:
            continue
        if not _CODE_PREFIX.fullmatch(item) or not any(c.startswith(item) for c in codes):
            raise argparse.ArgumentTypeError(
                f"no rule code starts with {item!r} (see excelflow rules list)"
            )
        out.append(item)
    return tuple(out)


def add_code_options(
    parser: argparse.ArgumentParser,
    statistics_help: str = "print only the number of findings per code (text, or JSON with "
    "--format json)",
) -> None:
    """``--select``, ``--ignore`` and ``--statistics``: which findings a command that checks files
    reports (validate, batch)."""
    parser.add_argument(
        "--select",
        type=codes_arg,
        default=None,
        metavar="CODES",
        help="report only these codes; prefixes allowed (--select SG,DQ0); overrides the rule "
        "set's select",
    )
    parser.add_argument(
        "--ignore",
        type=codes_arg,
        default=None,
        metavar="CODES",
        help="do not report these codes; prefixes allowed (--ignore GR,DQ05); overrides the "
        "rule set's ignore",
    )
    parser.add_argument("--statistics", action="store_true", help=statistics_help)


def ruleset_options(args: argparse.Namespace) -> tuple[RuleSet | None, RuleSet, ColumnMapping]:
    """``--ruleset`` and ``--mapping``, resolved once for every door that takes both: the rule
    set the user named (None: the standard one applies), the rule set to use, the mapping.

    Raises:
        RuleSetError: a file cannot be read or is invalid, or a ``select``/``ignore`` prefix of
            the named rule set starts no registered code (a typo there would silently report
            nothing).
    """
    from excelflow.pipeline.ruleset import RuleSetError, load_ruleset

    explicit = load_ruleset_option(args.ruleset)
    if explicit is not None:
        from excelflow.rules import load_all  # pandas: only to check a named set's prefixes

        codes = load_all()
        for p in (*explicit.select, *explicit.ignore):
            if not any(c.startswith(p) for c in codes):
                problem = (
                    f"select/ignore: no rule code starts with {p!r} (see excelflow rules list)"
                )
                raise RuleSetError(args.ruleset, [problem])
    ruleset = explicit or load_ruleset()
    return explicit, ruleset, load_mapping_option(args.mapping, ruleset)


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
    from excelflow.pipeline.mapping import EMPTY_MAPPING, load_mapping, load_shipped
    from excelflow.pipeline.resources import shipped_mappings
    from excelflow.pipeline.ruleset import load_ruleset

    if not path:
        return EMPTY_MAPPING
    shipped = shipped_mappings()
    if path in shipped and not Path(path).exists():  # --mapping salesforce
        return load_shipped(path, ruleset or load_ruleset())
    return load_mapping(path, ruleset or load_ruleset())


def output_problem(path: str | Path | None) -> str | None:
    """Why ``-o PATH`` cannot be written, as one line, before any work is done; None when it can
    (or no path was given). The folder must exist: ExcelFlow never creates one, so a typo in a
    path is an error rather than a new folder tree."""
    if path is None:
        return None
    target = Path(path)
    if target.is_dir():
        return f"excelflow: {target}: is a folder; give a file name"
    if not target.parent.is_dir():
        return f"excelflow: {target}: the folder {target.parent} does not exist"
    return None


HISTORY_HELP = (
    "history database: a SQLite file PATH or a postgresql://user@host/db URL (default: "
    "$EXCELFLOW_HISTORY, else history.sqlite in your data folder)"
)


def add_history_option(parser: argparse.ArgumentParser, help: str = HISTORY_HELP) -> None:
    """The ``--history PATH|URL`` option (the database :func:`excelflow.history.store_url`
    resolves; None: the environment variable or the user's data folder)."""
    parser.add_argument("--history", metavar="PATH|URL", help=help)


def add_record_options(parser: argparse.ArgumentParser) -> None:
    """``--record`` and ``--history`` for a command that checks files (validate, batch)."""
    parser.add_argument(
        "--record",
        action="store_true",
        help="store a snapshot of every deal in the history database, and compare with the "
        "previous one (HX findings)",
    )
    add_history_option(
        parser,
        "compare with the snapshots in this history database (HX findings); with --record, "
        "record there too. A SQLite file PATH or a postgresql://user@host/db URL (default: "
        "$EXCELFLOW_HISTORY, else history.sqlite in your data folder)",
    )


def file_history(args: argparse.Namespace, as_of: dt.date) -> FileHistory | None:
    """The run's history from ``--record``/``--history`` (None when neither is given): the
    previous snapshot of each file, recorded after its check when ``--record``. A database that
    cannot be opened is in the returned object's ``error``."""
    if not getattr(args, "record", False) and getattr(args, "history", None) is None:
        return None
    from excelflow.history import FileHistory, current_user

    return FileHistory(args.history, as_of, record=bool(args.record), user=current_user())


def report_invalid(exc: RuleSetError, err: TextIO | None = None) -> int:
    """Print a broken rule set or mapping as one line (``excelflow: FILE: invalid rule set:
    reasons``) and return the exit code 2."""
    print(f"excelflow: {exc}", file=err or sys.stderr)
    return EXIT_ERROR


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _shown(match: re.Match[str]) -> str:
    n = ord(match.group())
    return f"\\x{n:02x}" if n < 0x20 else f"\\u{n:04x}"


def visible(text: str) -> str:
    """``text`` with every control character but line feed and tab shown as an escape: C0 as
    ``\\x1b``, DEL and C1 as ``\\u009b`` (an escape JSON reads back as the same character, since
    ``json.dumps`` leaves these raw while it escapes C0 itself); a lone surrogate, which no
    terminal encoding can write, as ``\\ud800``. A cell holding ESC or BEL can
    then neither retitle nor clear the terminal, nor move the cursor over other lines."""
    return _CONTROL.sub(_shown, text) if _CONTROL.search(text) else text


class VisibleLogFilter(logging.Filter):
    """A logging filter that passes every record's message through :func:`visible`: the server
    log (``excelflow serve``) shows cell text from a failing function or a request as escapes,
    never as live control characters (the log is read in a terminal, or by ``less`` later)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's message by its visible form; never drops a record."""
        message = record.getMessage()
        shown = visible(message)
        if shown != message or record.args:
            record.msg, record.args = shown, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = visible(record.exc_text)
        return True


def visible_log_config(base: dict[str, Any]) -> dict[str, Any]:
    """A copy of a :func:`logging.config.dictConfig` mapping (uvicorn's) in which every handler
    passes :class:`VisibleLogFilter`, and the root logger (the app's own messages) uses them."""
    config = copy.deepcopy(base)
    config.setdefault("filters", {})["visible"] = {"()": VisibleLogFilter}
    handlers = config.get("handlers", {})
    for handler in handlers.values():
        handler["filters"] = [*handler.get("filters", []), "visible"]
    if "default" in handlers:
        config["root"] = {"handlers": ["default"], "level": "INFO"}
    return config


_PIECE = 1 << 16
"""Characters per write to the real stream (:meth:`VisibleStream.write`)."""


class VisibleStream(io.TextIOBase):
    """A text stream that passes everything written through :func:`visible` to ``inner``."""

    def __init__(self, inner: TextIO) -> None:
        super().__init__()
        self.inner = inner

    def write(self, text: str) -> int:
        """Write ``text`` (escaped); returns the length of ``text``, as a stream does.

        Written in pieces: CPython's text stream can drop one huge write to a pipe whose reader
        has gone without raising, while a piece at a time raises ``BrokenPipeError`` reliably."""
        shown = visible(text)
        for start in range(0, len(shown), _PIECE):
            self.inner.write(shown[start : start + _PIECE])
        return len(text)

    def flush(self) -> None:
        """Flush ``inner``."""
        self.inner.flush()

    def isatty(self) -> bool:
        """Whether ``inner`` is a terminal."""
        return self.inner.isatty()

    def fileno(self) -> int:
        """``inner``'s file descriptor."""
        return self.inner.fileno()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextlib.contextmanager
def terminal_safe() -> Iterator[None]:
    """Within the block, everything printed to stdout and stderr passes :func:`visible`: the one
    boundary between cell text (reports, messages, warnings, paths) and the terminal."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = VisibleStream(saved[0]), VisibleStream(saved[1])
    broken = False
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BrokenPipeError:
                broken = True
            except Exception:  # a stream that cannot flush has nothing left to lose
                pass
        sys.stdout, sys.stderr = saved
    if broken:  # the reader hung up (`| head -1`): the caller decides, once (cli.main)
        raise BrokenPipeError(errno.EPIPE, "the reader of the output closed the pipe")


def real_stream(stream: TextIO) -> TextIO:
    """The terminal behind ``stream`` (:class:`VisibleStream` passes through): what ``rich``
    writes to, since its own escape sequences must reach the terminal. Whatever text we hand
    rich passes :func:`visible` first."""
    inner = getattr(stream, "inner", None)
    return inner if inner is not None else stream


def _progress_delay() -> float:
    import os

    try:
        return max(0.0, float(os.environ.get("EXCELFLOW_PROGRESS_DELAY", "1")))
    except ValueError:
        return 1.0


class Progress:
    """What a command tells the progress display: :meth:`step` before each item (a file of a
    folder run), :meth:`phase` for work without items (reading, writing a big workbook)."""

    def __init__(self, bar: Any = None, task: Any = None) -> None:
        self._bar, self._task = bar, task

    def step(self, done: int, total: int, label: str) -> None:
        """``done`` of ``total`` items finished; ``label`` is the one being worked on."""
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total, description=_label(label))

    def phase(self, label: str) -> None:
        """The work has moved on to ``label`` (no count)."""
        if self._bar is not None:
            self._bar.update(self._task, description=_label(label))


def _label(text: str) -> str:
    from rich.markup import escape

    return escape(visible(text))


@contextlib.contextmanager
def progress(label: str, *, total: int | None = None, quiet: bool = False) -> Iterator[Progress]:
    """A ``rich`` progress bar on stderr for work that may take more than about a second: shown
    only when stderr is a terminal and not ``quiet``, only once the work has lasted a second
    (``EXCELFLOW_PROGRESS_DELAY`` seconds), and erased when done. Piped, redirected or quiet it
    is a no-op and ``rich`` is not even imported. With ``total`` None it is a spinner."""
    if quiet or not sys.stderr.isatty():
        yield Progress()
        return
    import threading

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress import Progress as RichProgress

    console = Console(file=real_stream(sys.stderr), stderr=True)
    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    bar = RichProgress(*columns, console=console, transient=True)
    task = bar.add_task(_label(label), total=total)
    timer = threading.Timer(_progress_delay(), bar.start)
    timer.daemon = True
    timer.start()
    try:
        yield Progress(bar, task)
    finally:
        timer.cancel()
        timer.join()
        bar.stop()


def print_file_table(rows: list[tuple[str, ...]], stream: TextIO) -> None:
    """The per-file summary of a folder run as a ``rich`` table on a terminal (the first row is
    the header; numbers right-aligned). Cell text passes :func:`visible` first."""
    from rich.console import Console
    from rich.table import Table

    table = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for i, head in enumerate(rows[0]):
        table.add_column(visible(head), justify="right" if 0 < i < 5 else "left")
    for row in rows[1:]:
        table.add_row(*(_label(cell) for cell in row))
    Console(file=real_stream(stream)).print(table)


_KEPT: list[object] = []
"""What :func:`keep_until_exit` holds until the process ends."""
_KEEPING = [False]
"""Whether :func:`keep_until_exit` keeps: only the console entry point turns it on."""


def keep_for_exit(on: bool) -> None:
    """Let :func:`keep_until_exit` keep (the console entry point, which ends the process with
    :func:`exit_now`), or not (the default: a caller of ``main()`` in the same process)."""
    _KEEPING[0] = on


def keep_until_exit(obj: object) -> None:
    """Hold ``obj`` (a command's big results) to the end of the process, which the console entry
    point then ends without freeing it object by object (:func:`exit_now`); a no-op unless that
    entry point runs (see :func:`excelflow.cli.console`)."""
    if _KEEPING[0]:
        _KEPT.append(obj)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()


def exit_now(code: int) -> NoReturn:
    """End the process with exit status ``code``. When :func:`keep_until_exit` kept something and
    no non-daemon thread is still running: flush stdout and stderr, run the ``atexit``
    handlers, flush again, then ``os._exit`` (no freeing of what was kept, nor of the modules).
    Otherwise, or when a flush fails, the ordinary ``SystemExit``, which reports a failing
    flush as Python always does (the handlers that already ran do not run twice)."""
    import threading

    others = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if not _KEPT or any(t.is_alive() and not t.daemon for t in others):
        raise SystemExit(code)
    try:
        _flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None
    import atexit

    atexit._run_exitfuncs()
    try:
        _flush()
    except (OSError, ValueError):
        raise SystemExit(code) from None
    os._exit(code)
