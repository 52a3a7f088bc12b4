"""The parent's side of a batch run: add up the :class:`~excelflow.batch.work.FileOutcome` of
each file as it arrives, then write the consolidated reports.

What is kept per file is its totals and a file line; each file's JSON entry goes to a spool file
on disk at once (its ``deals_detail`` can be large), and its findings as compact rows. The JSON
report is then streamed from the spool in file order, the xlsx laid out by
:mod:`excelflow.batch.layout` and drawn by :func:`excelflow.workbook.render.render_book`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from excelflow.batch.layout import FileLine, FindingLine, ReportData, book_plan
from excelflow.batch.work import FileOutcome, FindingRow
from excelflow.engine import report
from excelflow.pipeline.ruleset import Lang, RuleSet

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


class Collector:
    """Outcomes of one run, by file index (the order the files were found in)."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.totals: list[dict[str, Any] | None] = [None] * count
        self.lines: list[tuple[str, str, str | None, Lang | None] | None] = [None] * count
        self.rows: list[list[FindingRow] | None] = [None] * count
        self._spool: IO[bytes] = tempfile.TemporaryFile(prefix="excelflow-batch-")  # noqa: SIM115 (closed by close())
        self._where: list[tuple[int, int]] = [(0, 0)] * count
        self.failed = 0
        self.skipped = 0
        self.done = 0

    def add(self, index: int, outcome: FileOutcome) -> None:
        """Keep one file's outcome."""
        data = outcome.entry.encode("utf-8")
        self._spool.seek(0, os.SEEK_END)
        self._where[index] = (self._spool.tell(), len(data))
        self._spool.write(data)
        self.totals[index] = outcome.totals
        self.lines[index] = (outcome.path, outcome.status, outcome.error, outcome.lang)
        self.rows[index] = outcome.findings
        self.failed += outcome.status == "error"
        self.skipped += outcome.status == "skipped"
        self.done += 1

    def close(self) -> None:
        """Drop the spool."""
        self._spool.close()

    def summary(self) -> dict[str, Any]:
        """The JSON report's ``summary``."""
        return report.merge_totals(t for t in self.totals if t is not None)

    def statistics(self) -> list[dict[str, Any]]:
        """Findings per code, as ``validate --statistics`` counts them."""
        counts: Counter[str] = Counter()
        severities: dict[str, str] = {}
        for rows in self.rows:
            for f in rows or ():
                counts[f.code] += 1
                severities.setdefault(f.code, f.severity)
        return report.statistics_rows(dict(counts), severities)

    def lang(self) -> Lang:
        """The language most of the files' headers are in (English on a tie)."""
        langs = Counter(line[3] for line in self.lines if line is not None and line[3])
        return "zh" if langs["zh"] > langs["en"] else "en"

    def entries(self) -> Iterator[str]:
        """Each file's JSON entry, in file order, read back from the spool."""
        for offset, size in self._where:
            self._spool.seek(offset)
            yield self._spool.read(size).decode("utf-8")

    # ------------------------------------------------------------------ writers

    def write_json(self, path: Path, ruleset: RuleSet, as_of: dt.date) -> None:
        """The JSON report (``schemas/report.schema.json``, as ``validate --format json``)."""
        from excelflow.workbook.safe_write import atomic_write

        head = report.json_head(ruleset, as_of=as_of)
        pieces = report.json_document(head, self.entries(), self.summary())

        def write(tmp: Path) -> None:
            with tmp.open("w", encoding="utf-8") as fh:
                for piece in pieces:
                    fh.write(piece)

        atomic_write(path, write)

    def report_data(self, ruleset: RuleSet, as_of: dt.date, base: Path) -> ReportData:
        """What the xlsx report shows; links relative to the folder ``base``."""
        from excelflow.rules import load_all

        registry = load_all()
        by_code: Counter[tuple[str, str]] = Counter()
        by_owner: dict[str | None, list[int]] = {}
        files = []
        for line, rows, totals in zip(self.lines, self.rows, self.totals, strict=True):
            if line is None or totals is None:
                continue
            path, status, error, _ = line
            for f in rows or ():
                by_code[(f.code, f.severity)] += 1
                counts = by_owner.setdefault(f.owner, [0, 0, 0])
                counts[SEVERITY_ORDER.get(f.severity, 2)] += 1
            files.append(
                FileLine(
                    path,
                    link(path, base),
                    status,
                    totals["deals"],
                    totals["errors"],
                    totals["warnings"],
                    totals["infos"],
                    error,
                )
            )
        codes = sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0][0]))
        return ReportData(
            as_of=as_of.isoformat(),
            ruleset=f"{ruleset.name} {ruleset.version}",
            totals=self.summary(),
            by_code=[
                (code, sev, n, report.plain(registry[code].description) if code in registry else "")
                for (code, sev), n in codes
            ],
            by_owner=[(o, *counts) for o, counts in by_owner.items()],  # type: ignore[misc]
            files=files,
            findings=self._finding_lines(base),
            finding_count=sum(len(r or ()) for r in self.rows),
        )

    def _finding_lines(self, base: Path) -> Iterator[FindingLine]:
        for line, rows in zip(self.lines, self.rows, strict=True):
            if line is None or not rows:
                continue
            target = link(line[0], base)
            for f in rows:
                cell_link = None
                if target is not None and f.cell and f.sheet:
                    cell_link = f"{target}#'{f.sheet.replace(chr(39), chr(39) * 2)}'!{f.cell}"
                yield FindingLine(
                    line[0], target, f.deal_id, f.owner, f.code, f.severity, f.sheet, f.cell,
                    cell_link, f.message,
                )  # fmt: skip

    def write_xlsx(self, path: Path, ruleset: RuleSet, as_of: dt.date, lang: Lang) -> None:
        """The xlsx report (Summary and All findings), written row by row (openpyxl's
        write-only mode), so a table of many findings is never held as cell objects."""
        from excelflow.workbook.render import save_book_streaming
        from excelflow.workbook.safe_write import atomic_write

        data = self.report_data(ruleset, as_of, Path(os.path.realpath(path)).parent)
        book = book_plan(data, lang)
        atomic_write(path, lambda tmp: save_book_streaming(book, tmp))


def link(path: str, base: Path) -> str | None:
    """A link to the file ``path`` from a workbook in ``base``: relative when it can be (the
    report moves with the folder it describes), else a file URI."""
    p = Path(os.path.realpath(path))  # a symlink loop among the files: no RuntimeError
    try:
        rel = os.path.relpath(p, base)
    except ValueError:  # another drive (Windows)
        return p.as_uri()
    return Path(rel).as_posix()
