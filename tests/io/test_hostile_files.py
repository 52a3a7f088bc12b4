"""Issue 15: hostile files and targets. Every case is generated here (no committed binaries):
read-only, symlinked, device and FIFO targets; two runs on one file; a file changed while we
work; killed runs' debris; a workbook whose cells span A1:XFD1048576; a padded zip bomb; the
quadratic ``<ext`` scan; huge function broadcasts; and the terminal filter of report files and
the server log."""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from openpyxl import Workbook

import hostile_corpus as corpus
from excelflow.api import expand_paths, validate_paths
from excelflow.cli.common import VisibleLogFilter
from excelflow.pipeline.bounds import Limits, TooLarge, check_workbook
from excelflow.pipeline.read import ReadError, Source
from excelflow.workbook.losses import _EXT_RE
from excelflow.workbook.render import put_text
from excelflow.workbook.safe_write import (
    TEMP_MARK,
    ChangedMeanwhile,
    WriteRefused,
    atomic_write,
    atomic_write_text,
    backup,
    clean_stale_temps,
    update_lock,
)

TEMPLATE = corpus.TEMPLATE

pytestmark = pytest.mark.timeout(120)


# The hostile files are made by the corpus builder (tests/hostile_corpus.py).
FAR_CELLS = corpus.FAR_CELLS
raw_workbook = corpus.raw_workbook


def cli(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``excelflow ARGV`` in a child process (a Rust abort there cannot end the test run)."""
    return subprocess.run(
        [sys.executable, "-m", "excelflow.cli", *argv],
        capture_output=True,
        text=True,
        timeout=90,
        cwd=cwd,
        check=False,
    )


# --------------------------------------------------------------------------- item 6: reads


def test_a_sheet_spanning_a1_to_xfd1048576_is_refused_before_calamine(tmp_path: Path) -> None:
    far = corpus.far_corners(tmp_path / "far.xlsx")
    assert far.stat().st_size < 2048
    with pytest.raises(ReadError, match=r"1,048,576 rows x 16,384 columns.*EXCELFLOW_MAX_CELLS"):
        Source(far)
    done = cli("validate", str(far))
    assert done.returncode == 2, done.stderr  # calamine would abort with 134
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "far.xlsx" in lines[0] and "Traceback" not in lines[0]


def test_the_dimension_element_can_lie_the_cells_decide(tmp_path: Path) -> None:
    honest = raw_workbook(tmp_path / "h.xlsx", FAR_CELLS[:64] + "</row>"[:0], dimension="A1")
    check_workbook(honest)  # one cell: fine whatever the dimension says
    liar = raw_workbook(tmp_path / "liar.xlsx", FAR_CELLS, dimension="A1:B2")
    with pytest.raises(TooLarge):
        check_workbook(liar)
    lies_big = raw_workbook(tmp_path / "big.xlsx", FAR_CELLS[:64], dimension="A1:XFD1048576")
    check_workbook(lies_big)  # a huge dimension over one real cell is not refused


def test_limits_are_overridable_by_environment() -> None:
    lim = Limits.from_env({"EXCELFLOW_MAX_CELLS": "20", "EXCELFLOW_MAX_FILE_MB": "nan"})
    assert lim.max_cells == 20 and lim.max_file_mb == Limits().max_file_mb


def test_limits_refuse_the_template_when_set_low(tmp_path: Path) -> None:
    with pytest.raises(TooLarge, match="EXCELFLOW_MAX_CELLS"):
        check_workbook(TEMPLATE, Limits(max_cells=20))
    with pytest.raises(TooLarge, match="EXCELFLOW_MAX_FILE_MB"):
        check_workbook(TEMPLATE, Limits(max_file_mb=0.001))
    check_workbook(TEMPLATE)


def test_a_bomb_padded_with_an_incompressible_part_is_refused_per_part(tmp_path: Path) -> None:
    bomb = corpus.padded_bomb(tmp_path / "bomb.xlsx")  # 1 MiB of random bytes beside the sheet
    with pytest.raises(TooLarge, match=r"xl/worksheets/sheet1\.xml.*zip bomb"):
        check_workbook(bomb)
    with pytest.raises(TooLarge, match="EXCELFLOW_MAX_INFLATED_MB"):
        check_workbook(bomb, Limits(max_ratio=10**9, max_inflated_mb=10))


def test_a_folder_run_reports_the_bad_file_and_checks_the_good_one(tmp_path: Path) -> None:
    corpus.far_corners(tmp_path / "far.xlsx")
    shutil.copy(TEMPLATE, tmp_path / "good.xlsx")
    (tmp_path / f"{TEMP_MARK}999999.good.abcd.xlsx").write_bytes(TEMPLATE.read_bytes())
    reports = validate_paths([tmp_path])
    by_name = {Path(r.path).name: r for r in reports}
    assert set(by_name) == {"far.xlsx", "good.xlsx"}  # the killed run's temp is not counted
    assert by_name["far.xlsx"].error and "refused" in by_name["far.xlsx"].error
    assert by_name["good.xlsx"].result is not None
    done = cli("validate", str(tmp_path), "--as-of", "2026-11-28")
    assert done.returncode == 2 and "far.xlsx" in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


# --------------------------------------------------------------------------- item 7: hangs


@pytest.mark.timeout(20)
def test_the_ext_scan_is_linear_on_100k_unclosed_ext_tags() -> None:
    hostile = b"<worksheet>" + corpus.EXT_FLOOD
    assert _EXT_RE.findall(hostile) == []  # was 233 s
    fine = b'<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" xmlns:x14="x">'
    assert _EXT_RE.findall(fine) == [b"{05C60535-1F16-4fd2-B633-F4F36F0B64E0}"]


@pytest.mark.timeout(30)
def test_function_broadcasts_are_bounded() -> None:
    from excelflow.xl import udfs

    column = [[float(i + 1)] for i in range(10_000)]
    row = [[float(i + 1) for i in range(10_000)]]
    out = udfs.ef_margin(column, row)
    assert isinstance(out, str) and out.startswith("#VALUE!") and "100,000,000" in out
    grade = udfs.ef_grade([["2027-01-01"]] * 20_000, [[0.5] * 20_000])
    assert isinstance(grade, str) and grade.startswith("#VALUE!")
    normal = udfs.ef_winprob_normal([[0.1]] * 20_000, [[0.1] * 20_000], 0.05)
    assert isinstance(normal, str) and normal.startswith("#VALUE!")
    assert udfs.ef_margin([[100.0], [200.0]], 50.0) == [[0.5], [0.75]]  # normal use unchanged


def test_nan_and_inf_weights_are_refused_by_ef_score() -> None:
    from excelflow.xl import udfs

    for weight in ("nan", "inf", float("nan")):
        out = udfs.ef_score([[5.0, 1.0]], [[weight, 1.0]])
        assert isinstance(out, str) and "weights must be" in out, out


# --------------------------------------------------------------------------- items 3-5: writes


def test_a_read_only_file_is_refused_and_left_byte_identical(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"original")
    book.chmod(0o444)
    with pytest.raises(WriteRefused, match="read-only"):
        atomic_write(book, lambda tmp: tmp.write_bytes(b"new"), keep_backup=True)
    assert book.read_bytes() == b"original" and stat.S_IMODE(book.stat().st_mode) == 0o444
    assert [p.name for p in tmp_path.iterdir()] == ["book.xlsx"]


def test_annotate_in_place_refuses_a_read_only_workbook(tmp_path: Path) -> None:
    book = tmp_path / "pipeline.xlsx"
    shutil.copy(TEMPLATE, book)
    book.chmod(0o444)
    before = book.read_bytes()
    done = cli("annotate", str(book), "--in-place", "--as-of", "2026-11-28")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "read-only" in done.stderr and "Traceback" not in done.stderr
    assert book.read_bytes() == before and stat.S_IMODE(book.stat().st_mode) == 0o444


def test_a_symlink_is_written_through_and_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "data" / "book.xlsx"
    real.parent.mkdir()
    real.write_bytes(b"v1")
    real.chmod(0o640)
    link = tmp_path / "link.xlsx"
    link.symlink_to(real)
    saved = atomic_write(link, lambda tmp: tmp.write_bytes(b"v2"), keep_backup=True)
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_bytes() == b"v2" and stat.S_IMODE(real.stat().st_mode) == 0o640
    assert saved is not None and saved.read_bytes() == b"v1"


def test_a_folder_target_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "x.xlsx"
    folder.mkdir()
    with pytest.raises(WriteRefused, match="is a folder"):
        atomic_write_text(folder, "{}")
    assert folder.is_dir() and not any(folder.iterdir())


def test_dev_null_stays_a_device() -> None:
    atomic_write_text(Path("/dev/null"), "report")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_dev_full_is_one_line_and_stays_a_device() -> None:
    with pytest.raises(WriteRefused, match="/dev/full: cannot write"):
        atomic_write_text(Path("/dev/full"), "report")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_fifo_is_written_directly(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    atomic_write_text(fifo, '{"ok": true}')
    reader.join(10)
    assert got == [b'{"ok": true}'] and stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_second_in_place_run_is_refused_while_the_first_holds_the_file(tmp_path: Path) -> None:
    book = tmp_path / "pipeline.xlsx"
    shutil.copy(TEMPLATE, book)
    with update_lock(book):
        done = cli("annotate", str(book), "--in-place", "--as-of", "2026-11-28")
        assert done.returncode == 2 and "another ExcelFlow run" in done.stderr
    assert book.read_bytes() == TEMPLATE.read_bytes()


def test_a_file_changed_while_we_work_is_not_reverted(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"as read")

    def writer(tmp: Path) -> None:
        tmp.write_bytes(b"our update")
        book.write_bytes(b"saved in Excel meanwhile")

    with update_lock(book), pytest.raises(ChangedMeanwhile, match="changed while"):
        atomic_write(book, writer, keep_backup=True)
    assert book.read_bytes() == b"saved in Excel meanwhile"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["book.xlsx"]  # no backup, no temp


def test_temps_are_marked_and_stale_ones_cleaned(tmp_path: Path) -> None:
    dead = tmp_path / f"{TEMP_MARK}999999999.book.x1y2.xlsx"
    dead.write_bytes(b"debris")
    live = tmp_path / f"{TEMP_MARK}{os.getpid()}.book.z3.xlsx"
    live.write_bytes(b"ours")
    assert expand_paths([tmp_path]) == []
    seen: list[str] = []
    atomic_write(tmp_path / "out.xlsx", lambda tmp: seen.append(tmp.name) or tmp.write_bytes(b"x"))
    assert seen[0].startswith(f"{TEMP_MARK}{os.getpid()}.out.") and seen[0].endswith(".xlsx")
    assert not dead.exists() and live.exists()
    assert clean_stale_temps(tmp_path) == []


def test_the_backup_is_whole_or_absent(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    book.write_bytes(b"x" * 100_000)
    saved = backup(book)
    assert saved.read_bytes() == book.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([book.name, saved.name])


# --------------------------------------------------------------------------- item 8 / terminal


def test_a_leading_cr_round_trips(tmp_path: Path) -> None:
    import python_calamine as pc

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    texts = ["\rcarriage", "a\rb", "\r_x0041_ literal", "no cr _x0041_"]
    for i, text in enumerate(texts, start=1):
        put_text(ws.cell(i, 1), text)
    wb.save(tmp_path / "cr.xlsx")
    grid = pc.CalamineWorkbook.from_path(str(tmp_path / "cr.xlsx")).get_sheet_by_index(0)
    assert [row[0] for row in grid.to_python()][:3] == texts[:3]


def test_the_server_log_shows_control_characters_as_escapes() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "cell %s", ("\x1b]0;pwn\x07",), None
    )
    assert VisibleLogFilter().filter(record)
    assert record.getMessage() == "cell \\x1b]0;pwn\\x07"


def test_validate_o_report_file_has_no_control_characters(tmp_path: Path) -> None:
    csv = tmp_path / "deals.csv"
    csv.write_text(
        "Deal ID,Customer,Stage,Probability,Amount\nD-1,\x1b]0;pwned\x07,Nurture,1.5,10\n",
        encoding="utf-8",
    )
    out = tmp_path / "report.txt"
    done = cli("validate", str(csv), "-o", str(out), "--as-of", "2026-11-28")
    assert done.returncode in (0, 1), done.stderr
    text = out.read_text(encoding="utf-8")
    assert "\x1b" not in text and "\x07" not in text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_as_of_far_dates_are_one_line(day: str) -> None:
    done = cli("validate", str(TEMPLATE), "--as-of", day)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "1900-01-01 to 2200-12-31" in done.stderr


# --------------------------------------------------------------------------- item 2: the package


@pytest.mark.parametrize("label", list(corpus.GRAFTS))
def test_in_place_is_refused_when_the_package_loses_what_no_kind_names(
    label: str, tmp_path: Path
) -> None:
    from excelflow.api import annotate
    from excelflow.workbook.annotate import InPlaceRefused

    book = corpus.grafted(tmp_path, label)
    before = book.read_bytes()
    with pytest.raises(InPlaceRefused) as refused:
        annotate(book, in_place=True)
    assert label in str(refused.value)
    assert book.read_bytes() == before  # byte-identical when refused


def test_the_dashboards_chart_styles_are_named(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from annotate_support import CRM_DASHBOARD
    from excelflow.workbook.losses import losses

    real = CRM_DASHBOARD
    if not real.exists():
        pytest.skip("the real dashboard workbook is not here")
    with pytest.warns(UserWarning, match="not supported"):
        load_workbook(real).save(tmp_path / "copy.xlsx")
    lost = losses(real, tmp_path / "copy.xlsx")
    assert "chart styles (15)" in lost and "chart colour styles (15)" in lost


def test_a_reader_that_aborts_loses_only_its_file_in_a_folder_run(tmp_path: Path) -> None:
    corpus.far_corners(tmp_path / "far.xlsx")
    shutil.copy(TEMPLATE, tmp_path / "good.xlsx")
    env = {**os.environ, "EXCELFLOW_MAX_CELLS": str(10**12)}  # let calamine abort (exit 134)
    done = subprocess.run(
        [sys.executable, "-m", "excelflow.cli", "validate", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    import json

    files = {Path(f["path"]).name: f for f in json.loads(done.stdout)["files"]}
    assert "reader crashed" in files["far.xlsx"]["error"]
    assert files["good.xlsx"].get("error") is None


@pytest.mark.parametrize("kind", list(corpus.HOSTILE_DRAWINGS))
def test_a_hostile_drawing_part_refuses_in_place_in_one_line(kind: str, tmp_path: Path) -> None:
    book = corpus.hostile_drawing(tmp_path / "drawn.xlsx", kind)
    before = book.read_bytes()
    done = cli("annotate", str(book), "--in-place", "--as-of", "2026-11-28")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-1500:]
    assert "cannot be compared" in done.stderr and book.read_bytes() == before


def test_o_dev_stdout_writes_into_the_pipe() -> None:
    done = cli("validate", str(TEMPLATE), "-o", "/dev/stdout", "--as-of", "2026-11-28")
    assert done.returncode in (0, 1) and "Grades" in done.stdout, done.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
