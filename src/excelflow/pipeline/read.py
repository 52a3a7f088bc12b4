"""Read any supported file into a grid of cells, fast, and fail with one clear line when we can't.

Spreadsheets (.xlsx .xlsm .xlsb .xls .ods) are read with python-calamine; .csv/.tsv/.txt with the
csv module (UTF-8, UTF-8 with BOM, or GB18030 as Chinese Excel saves them). Before anything is
parsed the file is sniffed, so an empty, encrypted, corrupt, oversized or foreign file gets a
:class:`ReadError` naming the file and the reason instead of a traceback.
"""

from __future__ import annotations

import csv
import errno
import io
import itertools
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from excelflow.pipeline import halves
from excelflow.pipeline.bounds import Kept, TooLarge, check_workbook
from excelflow.pipeline.fields import fold
from excelflow.pipeline.halves import read_halves
from excelflow.pipeline.mapping import EMPTY_MAPPING, ColumnMapping
from excelflow.pipeline.ruleset import Lang, RuleSet

if TYPE_CHECKING:  # imported where a spreadsheet file is opened: the live-book path needs none
    import python_calamine as pc

    from excelflow.pipeline.normalize import Pipeline
    from excelflow.pipeline.prepared import Prepared

# Opening a file and reading its sheets needs no pandas (normalize is imported where a grid is
# normalized): `excelflow validate` parses a workbook while pandas is imported beside it.

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".xltx", ".xltm"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
DEALS_SHEET_NAMES = {fold(n) for n in ("Deals", "商机", "Pipeline", "销售漏斗", "Opportunities")}
MAX_UNCOMPRESSED = 2 * 1024**3  # refuse zip containers that would inflate beyond 2 GiB
MAX_RATIO = 200  # …or that inflate suspiciously (zip bomb) once past 100 MiB
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptedPackage".encode("utf-16-le")


class ReadError(Exception):
    """A file could not be read; ``str(err)`` is one line: ``path: reason``."""

    def __init__(self, path: str | Path, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class NoPipelineTable(ReadError):
    """The file was read, but no sheet of it has a pipeline header (a Stage column and another
    known column): in a folder run such a file is skipped, not an error."""


@dataclass(frozen=True)
class Sheet:
    """The used area of one sheet: ``grid`` rows of values; ``origin`` its top-left (row, col)."""

    name: str
    grid: list[list[Any]]
    origin: tuple[int, int]
    prepared: Prepared | None = None  # the grid's cells hashed as they were read (halves.py)


class Source:
    """An opened file: its sheet names and lazily read sheets (a CSV is one sheet)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._book: pc.CalamineWorkbook | None = None
        self._csv: Sheet | None = None
        self._ahead: tuple[str, Sheet | ReadError] | None = None
        self._kept: Kept | None = None
        kind = sniff(path)
        if kind == "csv":
            self._csv = Sheet(path.stem, read_csv_grid(path), (0, 0))
            self.sheet_names = [path.stem]
            self.visible = [path.stem]
        else:
            # Imported here, not at module level, so that xlwings Lite (Pyodide) can run the
            # worksheet functions and scripts, which read the live book and never a file, without
            # python-calamine installed. After the first file it is one sys.modules lookup.
            import python_calamine as pc

            try:  # calamine aborts the process on a huge extent: bounds first (bounds.py)
                # a big sheet's XML is kept for parsing it in halves on two cores (halves.py)
                self._kept = check_workbook(
                    path, keep_over=halves.MIN_BYTES if halves.enabled() else None
                )
            except TooLarge as exc:
                raise ReadError(path, str(exc)) from None
            try:
                self._book = pc.CalamineWorkbook.from_path(str(path))
            except pc.PasswordError:
                raise ReadError(path, "the workbook is password-protected") from None
            except Exception as exc:
                raise ReadError(path, f"not a readable spreadsheet ({_first_line(exc)})") from None
            meta = self._book.sheets_metadata
            self.sheet_names = [m.name for m in meta]
            self.visible = [
                m.name
                for m in meta
                if m.visible == pc.SheetVisibleEnum.Visible and m.typ == pc.SheetTypeEnum.WorkSheet
            ]

    @property
    def is_csv(self) -> bool:
        """True for a CSV/TSV source (one sheet, no sheet name of its own)."""
        return self._csv is not None

    def find_sheet(self, *names: str) -> str | None:
        """The first sheet whose name matches one of ``names`` (case/space-insensitive)."""
        wanted = {fold(n) for n in names}
        return next((n for n in self.sheet_names if fold(n) in wanted), None)

    def sheet(self, name: str) -> Sheet:
        """Read one sheet's used area (the one :meth:`read_ahead` read, once)."""
        if self._ahead is not None and self._ahead[0] == name:
            got = self._ahead[1]
            self._ahead = None  # handed out once: the grid is not kept here after its check
            if isinstance(got, ReadError):
                raise got
            return got
        if self._csv is not None:
            return self._csv
        assert self._book is not None
        kept, self._kept = self._kept, None  # the first sheet read may use it, then it is freed
        if kept is not None:
            split = read_halves(self.path, name, kept)
            del kept
            if split is not None:
                grid, origin, prepared = split
                return Sheet(name, grid, origin, prepared)
        try:
            sh = self._book.get_sheet_by_name(name)
            grid = sh.to_python(skip_empty_area=True)
            origin = sh.start or (0, 0)
        except Exception as exc:
            raise ReadError(
                self.path, f"sheet {name!r} cannot be read ({_first_line(exc)})"
            ) from None
        return Sheet(name, grid, (int(origin[0]), int(origin[1])))

    def read_ahead(self, mapping: ColumnMapping = EMPTY_MAPPING) -> None:
        """Read now the sheet :func:`choose_sheet` reads first (with ``mapping``), for the next
        :meth:`sheet` call asking for it: what that call returns or raises is what it would
        have read. The parse needs no pandas and releases the GIL (``excelflow validate`` runs
        it while another thread imports pandas and the engine)."""
        name = _first_read(self, mapping)
        if name is None or self._csv is not None:
            return
        try:
            self._ahead = (name, self.sheet(name))
        except ReadError as exc:
            self._ahead = (name, exc)

    def sheets(self) -> Iterator[Sheet]:
        """Visible worksheets in workbook order, then hidden ones."""
        hidden = [n for n in self.sheet_names if n not in self.visible]
        for name in [*self.visible, *hidden]:
            yield self.sheet(name)

    def close(self) -> None:
        """Release the file handle (and a sheet's XML kept for :meth:`sheet`)."""
        self._kept = None
        if self._book is not None:
            self._book.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def sniff(path: Path) -> str:
    """Classify a file as ``"csv"`` or ``"spreadsheet"``, or raise :class:`ReadError` saying why
    it is neither (missing, empty, encrypted, corrupt, zip bomb, foreign content)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if path.is_symlink():
            raise ReadError(path, "a symbolic link whose target is missing") from None
        raise ReadError(path, "file not found") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ReadError(path, "a symbolic link that loops (it never reaches a file)") from None
        raise ReadError(path, f"cannot open file ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise ReadError(path, "is a folder, not a file")
    if not stat.S_ISREG(mode):  # opening a FIFO would wait for a writer forever
        raise ReadError(path, "not a regular file (a named pipe, device or socket); not read")
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ReadError(path, f"cannot open file ({exc.strerror or exc})") from None
    if size == 0:
        raise ReadError(path, "the file is empty")
    suffix = path.suffix.lower()
    if head.startswith(OLE_MAGIC):
        if suffix in (".xls",):
            return "spreadsheet"
        with path.open("rb") as fh:
            if ENCRYPTED_MARK in fh.read(1024 * 1024):
                raise ReadError(
                    path, "the workbook is password-protected (encrypted); save an unprotected copy"
                )
        raise ReadError(
            path,
            "an old binary Office file with the wrong extension "
            f"({suffix or 'none'}); save it as .xlsx",
        )
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        _check_zip(path)
        return "spreadsheet"
    if suffix in TEXT_SUFFIXES:
        if b"\x00" in head:
            raise ReadError(path, "not a text (CSV) file: it contains binary data")
        return "csv"
    if suffix in SPREADSHEET_SUFFIXES:
        raise ReadError(path, f"not a valid {suffix} file (corrupt or not a spreadsheet)")
    raise ReadError(path, f"not a spreadsheet or CSV file (unsupported type {suffix or 'none'})")


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
    except zipfile.BadZipFile:
        raise ReadError(path, "the file is corrupt (damaged zip container)") from None
    except OSError as exc:
        raise ReadError(path, f"cannot open file ({exc})") from None
    if not ({"[Content_Types].xml", "mimetype"} & names):
        raise ReadError(path, "a zip archive, but not an Excel or OpenDocument workbook")
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_UNCOMPRESSED or (total > 100 * 1024**2 and total / packed > MAX_RATIO):
        raise ReadError(
            path, f"refused: would inflate to {total / 1024**2:,.0f} MiB (possible zip bomb)"
        )


def read_csv_grid(path: Path) -> list[list[Any]]:
    """Rows of a CSV/TSV as lists of strings (encoding and delimiter detected)."""
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ReadError(path, "text encoding not recognized (save as UTF-8 CSV)")
    sample = text[:8192]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    try:
        return list(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as exc:
        raise ReadError(path, f"malformed CSV ({exc})") from None


def _excelflow_output(sheet: Sheet) -> bool:
    """True for a sheet ``excelflow annotate`` wrote: its A1 title starts with "ExcelFlow ·"."""
    top = sheet.grid[0][0] if sheet.origin == (0, 0) and sheet.grid and sheet.grid[0] else None
    return isinstance(top, str) and top.startswith("ExcelFlow ·")


def _first_read(source: Source, mapping: ColumnMapping) -> str | None:
    """The sheet :func:`choose_sheet` reads first: the mapping's, else the first Deals/商机,
    else the first visible (then hidden) sheet; None when it reads none."""
    if mapping.sheet is not None:
        return mapping.sheet if mapping.sheet in source.sheet_names else None
    deals = (n for n in source.sheet_names if fold(n) in DEALS_SHEET_NAMES)
    hidden = (n for n in source.sheet_names if n not in source.visible)
    return next(itertools.chain(deals, source.visible, hidden), None)


def choose_sheet(source: Source, ruleset: RuleSet, mapping: ColumnMapping) -> Sheet:
    """The sheet to validate: the mapping's, else Deals/商机, else the first with a header."""
    from excelflow.pipeline.normalize import find_header

    if mapping.sheet is not None:
        if mapping.sheet not in source.sheet_names:
            raise ReadError(
                source.path,
                f"no sheet named {mapping.sheet!r} (sheets: {', '.join(source.sheet_names)})",
            )
        return source.sheet(mapping.sheet)
    for name in source.sheet_names:
        if fold(name) in DEALS_SHEET_NAMES:
            sheet = source.sheet(name)
            if find_header(sheet.grid, ruleset, mapping) is not None:
                return sheet
    for sheet in source.sheets():
        if _excelflow_output(sheet):
            continue  # our own Findings / Dashboard sheets are never the pipeline
        if find_header(sheet.grid, ruleset, mapping) is not None:
            return sheet
    looked = ", ".join(source.sheet_names) or "none"
    raise NoPipelineTable(
        source.path,
        f"no pipeline table found: no sheet has a header row with a "
        f"Stage/阶段 column (sheets: {looked})",
    )


def pipeline_from_source(
    source: Source,
    ruleset: RuleSet,
    *,
    mapping: ColumnMapping = EMPTY_MAPPING,
    lang: Lang | None = None,
) -> Pipeline:
    """Normalize the pipeline of an already opened file.

    Raises:
        ReadError: no pipeline table.
    """
    from excelflow.pipeline.normalize import TableNotFound, build_pipeline

    sheet = choose_sheet(source, ruleset, mapping)
    sheet_name = None if source.is_csv else sheet.name
    try:
        return build_pipeline(
            sheet.grid,
            ruleset,
            source=str(source.path),
            sheet=sheet_name,
            origin=sheet.origin,
            prepared=sheet.prepared,
            mapping=mapping,
            lang=lang,
        )
    except TableNotFound as exc:
        raise NoPipelineTable(source.path, str(exc)) from None
