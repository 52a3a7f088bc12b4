"""``excelflow batch`` over a folder of generated workbooks with broken ones among them: the
consolidated JSON (validate's schema, strict JSON) and xlsx report (read back with
python-calamine, its links from the raw sheet XML), the failures listed, the exit code; and the
same reports whichever executor ran the files."""

from __future__ import annotations

import json
import os
import pty
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any
from xml.etree import ElementTree

import jsonschema
import pytest
from python_calamine import CalamineWorkbook

from cli.cli_helpers import AS_OF, run
from conftest import AS_OF as AS_OF_DATE
from conftest import REPO
from excelflow.pipeline.fields import SHEETS
from excelflow.workbook.sample import sample_deals, write_sample

GOOD = ("east/alice.xlsx", "east/bob.xlsx", "west/carol.xlsx", "west/dave.csv", "zhao.xlsx")
"""The pipelines of the folder (east and west in English, zhao in Chinese)."""


def strict_loads(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five small pipelines, and beside them: a corrupt zip, an empty file, a workbook without
    a pipeline, an Excel lock file and an annotated copy of ours (neither of the last two is a
    file to check)."""
    root = tmp_path_factory.mktemp("shared-drive")
    for i, name in enumerate(GOOD):
        lang = "zh" if name.startswith("zhao") else "en"
        headers, rows = sample_deals(12 + i, lang=lang, seed=i, as_of=AS_OF_DATE)
        write_sample(root / name, headers, rows, sheet=SHEETS["deals"](lang))
    (root / "west" / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (root / "east" / "empty.xlsx").write_bytes(b"")
    write_sample(root / "accounts.xlsx", ["Account", "Region"], [["Acme", "East"]])
    (root / "east" / "~$alice.xlsx").write_bytes(b"\x00owner")
    shutil.copyfile(root / "east" / "alice.xlsx", root / "east" / "alice.checked.xlsx")
    return root


def _batch(
    capsys: pytest.CaptureFixture[str], folder: Path, out: Path, *extra: str
) -> tuple[int, str, str, dict[str, Any]]:
    out.mkdir(exist_ok=True)
    code, stdout, stderr = run(
        capsys, "batch", str(folder), *AS_OF, "--report", str(out / "report.xlsx"),
        "--json", str(out / "report.json"), *extra,
    )  # fmt: skip
    doc = strict_loads((out / "report.json").read_text(encoding="utf-8"))
    return code, stdout, stderr, doc


def _sheets(path: Path) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_path(str(path))
    try:
        return {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}
    finally:
        book.close()


def test_consolidated_report(
    capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path
) -> None:
    code, stdout, stderr, doc = _batch(capsys, folder, tmp_path / "out", "--workers", "1")
    assert code == 2  # two files could not be read, as validate says
    schema = json.loads((REPO / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(doc, schema)

    paths = [Path(f["path"]).relative_to(folder).as_posix() for f in doc["files"]]
    assert sorted(paths) == sorted([*GOOD, "west/broken.xlsx", "east/empty.xlsx", "accounts.xlsx"])
    status = {Path(f["path"]).name: f["status"] for f in doc["files"]}
    assert status["broken.xlsx"] == status["empty.xlsx"] == "error"
    assert status["accounts.xlsx"] == "skipped"
    # each failure on its own line with its reason; the skipped file counted, not an error
    lines = stderr.splitlines()
    assert any("broken.xlsx" in line and "corrupt" in line for line in lines)
    assert any("empty.xlsx" in line and "empty" in line for line in lines)
    assert any("skipped (not a pipeline)" in line and "accounts.xlsx" in line for line in lines)
    assert "Traceback" not in stderr

    # the same numbers as `excelflow validate` over the same files (its per-file logic)
    code_v, out_v, _ = run(capsys, "validate", str(folder), *AS_OF, "--format", "json")
    validated = strict_loads(out_v)
    assert code_v == code
    assert doc["summary"] == validated["summary"]
    assert [f["path"] for f in doc["files"]] == [f["path"] for f in validated["files"]]
    s = doc["summary"]
    assert (s["files"], s["files_failed"], s["files_skipped"]) == (8, 2, 1)
    assert s["deals"] == sum(12 + i for i in range(len(GOOD)))
    assert "8 files (5 checked, 2 could not be read, 1 skipped)" in stdout

    sheets = _sheets(tmp_path / "out" / "report.xlsx")
    summary, findings = sheets["Summary"], sheets["All findings"]
    kpis = dict(zip(summary[3], summary[4], strict=False))
    assert kpis["Files"] == 8 and kpis["Could not be read"] == 2
    assert kpis["Skipped (no pipeline)"] == 1 and kpis["Deals"] == s["deals"]
    assert kpis["Errors"] == s["errors"] and kpis["Warnings"] == s["warnings"]
    # All findings: one row per finding of the JSON report, file by file
    rows = [r for r in findings[1:] if r[0]]
    expected = [(f["path"], f2["code"], f2["cell"]) for f in doc["files"] for f2 in f["findings"]]
    assert [(r[0], r[3], r[6]) for r in rows] == expected
    owners = {"Alice Chen", "Bob Li", "Carol Wang", "David Liu", "Eva Zhang"}
    assert {r[2] for r in rows} - {""} <= owners | {"张伟", "李娜", "王强", "刘洋", "陈静"}
    assert any(r[2] for r in rows), "findings carry the deal's owner"
    # by code and severity, by owner, by file: the tables under their titles
    col_a = [r[0] for r in summary]
    code_head = col_a.index("Findings by code and severity") + 1
    by_code = {}
    for r in summary[code_head + 1 :]:
        if not r[0]:
            break
        by_code[r[0]] = r[2]
    counted: dict[str, int] = {}
    for _, c, _ in expected:
        counted[c] = counted.get(c, 0) + 1
    assert by_code == counted
    owner_head = col_a.index("Findings by owner") + 1
    assert summary[owner_head][:5] == ["Owner", "Errors", "Warnings", "Info", "Total"]
    file_head = col_a.index("Findings by file") + 1
    listed = {r[0]: r for r in summary[file_head + 1 :] if r[0]}
    assert set(listed) == {f["path"] for f in doc["files"]}
    broken = listed[str(folder / "west" / "broken.xlsx")]
    assert broken[1] == "could not be read" and "corrupt" in broken[6]


def test_report_links_open_the_files(
    capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path
) -> None:
    """Every link of the xlsx (the raw sheet relationships, not openpyxl's reading) leads from
    the report's folder to a file that exists; a finding's link names its cell."""
    out = tmp_path / "out"
    _batch(capsys, folder, out, "--workers", "1")
    with zipfile.ZipFile(out / "report.xlsx") as zf:
        targets = []
        for name in zf.namelist():
            if name.startswith("xl/worksheets/_rels/"):
                root = ElementTree.fromstring(zf.read(name))
                targets += [
                    rel.get("Target", "")
                    for rel in root
                    if rel.get("Type", "").endswith("/hyperlink")
                ]
        charts = [n for n in zf.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 4  # by code, by severity, by owner, by file
    assert targets
    for target in targets:
        file_part = target.split("#", 1)[0]
        assert (out / PurePosixPath(file_part)).resolve().is_file(), target
    assert any("#'Deals'!" in t for t in targets)


def test_same_report_from_every_executor(
    capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path
) -> None:
    """Serial, the process pool and a real Dask LocalCluster (2 worker processes): identical
    JSON (but the time it was written) and identical xlsx values."""
    docs, books = [], []
    for name, extra in (
        ("serial", ["--workers", "1"]),
        ("pool", ["--workers", "2"]),
        ("dask", ["--dask", "local", "--workers", "2"]),
    ):
        code, stdout, _, doc = _batch(capsys, folder, tmp_path / name, *extra)
        assert code == 2, name
        doc.pop("generated_at")
        docs.append(doc)
        books.append(_sheets(tmp_path / name / "report.xlsx"))
    assert "Dask LocalCluster, 2 workers" in stdout
    assert docs[0] == docs[1] == docs[2]
    assert books[0] == books[1] == books[2]


def test_exit_codes_and_filters(
    capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    # only the English .xlsx pipelines: findings, no failure -> 1; never -> 0
    code, _, stderr, doc = _batch(capsys, folder / "east", out, "--glob", "*.xlsx", "-q")
    assert code == 2 and "empty.xlsx" in stderr  # east/ still holds the empty file
    code, stdout, _, doc = _batch(capsys, folder / "west", out, "--glob", "*.csv", "-q")
    assert [Path(f["path"]).name for f in doc["files"]] == ["dave.csv"]
    assert code == 1 and doc["summary"]["errors"] > 0 and stdout == ""
    code, *_ = _batch(capsys, folder / "west", out, "--glob", "*.csv", "--fail-on", "never")
    assert code == 0
    # the report written into the folder itself is not checked on the next run
    inside = folder / "west" / "report.xlsx"
    try:
        for _ in range(2):
            code, _, stderr = run(capsys, "batch", str(folder / "west"), *AS_OF, "--glob",
                                  "*.xlsx", "--report", str(inside), "-q")  # fmt: skip
            assert "report.xlsx" not in stderr
    finally:
        inside.unlink(missing_ok=True)
    # usage errors: one line, exit 2
    code, _, err = run(capsys, "batch", str(tmp_path / "nothing-here"), "--glob", "*.xlsx")
    assert code == 2 and "nothing-here" in err
    code, _, err = run(capsys, "batch", str(folder), "--report", str(tmp_path / "r.json"))
    assert code == 2 and "xlsx" in err
    code, _, err = run(capsys, "batch", str(folder), "--report", str(tmp_path / "no" / "r.xlsx"))
    assert code == 2 and "does not exist" in err


def test_dask_without_the_extra_is_one_line(
    capsys: pytest.CaptureFixture[str], folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    code, _, err = run(capsys, "batch", str(folder / "west"), "--dask", "local", *AS_OF)
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "excelflow: --dask needs Dask distributed, an optional extra: "
        "pip install 'excelflow-sales[dask]'"
    )


def test_progress_bar_only_on_a_terminal(folder: Path, tmp_path: Path) -> None:
    """On a terminal the bar shows files/s and failures; piped, stderr holds only the failure
    lines."""
    argv = [sys.executable, "-m", "excelflow.cli", "batch", str(folder), *AS_OF, "--workers", "1"]
    env = {**os.environ, "COLUMNS": "120"}
    piped = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    assert piped.returncode == 2
    assert "files/s" not in piped.stderr and all(
        line.startswith("excelflow: ") for line in piped.stderr.splitlines()
    )
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    os.close(leader)
    assert proc.wait(timeout=120) == 2
    text = seen.decode("utf-8", "replace")
    assert "files/s" in text and "2 failed" in text and "8/8" in text
    assert "broken.xlsx" in text


def test_benchmark_runs_at_a_tiny_size() -> None:
    """``make bench``'s batch benchmark keeps working (its numbers only mean something at its
    real size, in ``make bench``)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_batch", REPO / "benchmarks" / "bench_batch.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = bench.main(["--files", "4", "--small", "2", "--deals", "4"])
    assert {"serial_files_per_s", "pool_files_per_s", "dask_files_per_s", "memory_ratio"} <= set(
        out
    )


def test_dask_scheduler_address(
    capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path
) -> None:
    """``--dask tcp://…`` runs on a scheduler started elsewhere (here a LocalCluster of one
    worker process, reached by its address), with the serial run's report; an address where no
    scheduler listens is one line and exit 2."""
    from distributed import LocalCluster

    west = folder / "west"
    _, _, _, serial = _batch(capsys, west, tmp_path / "serial", "--workers", "1")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:  # fmt: skip
        address = cluster.scheduler_address
        code, stdout, _, remote = _batch(capsys, west, tmp_path / "remote", "--dask", address)
    assert code == 2 and f"Dask scheduler {address}" in stdout
    serial.pop("generated_at")
    remote.pop("generated_at")
    assert remote == serial
    code, _, err = run(capsys, "batch", str(west), "--dask", "tcp://127.0.0.1:9", *AS_OF)
    assert code == 2 and err.strip().splitlines()[-1].startswith(
        "excelflow: --dask tcp://127.0.0.1:9: cannot reach the scheduler"
    )


def _deal_ids(rep: Any) -> list[str]:
    """A worker-side hook: what a history recorder would take from each file's full report."""
    return [] if rep.result is None else [str(d) for d in rep.result.deals["deal_id"]]


def test_results_seam_gives_each_file_with_its_hook(folder: Path) -> None:
    """The seam for recording (e.g. ``--record``): :func:`excelflow.batch.run.results` yields
    every file once, as it finishes, with what ``Job.hook`` returned from the full report in
    the worker; the outcome itself holds no DataFrame."""
    import pickle

    import pandas as pd

    from excelflow.batch import run as batch
    from excelflow.batch.executors import choose
    from excelflow.batch.work import Job

    files = batch.find([folder / "west"])
    job = Job(as_of=AS_OF_DATE, hook=_deal_ids)
    seen = dict(batch.results(files, job, choose(1, None)))
    assert sorted(seen) == list(range(len(files)))
    by_name = {Path(o.path).name: o for o in seen.values()}
    assert by_name["carol.xlsx"].extra[:2] == ["D-00001", "D-00002"]
    assert by_name["broken.xlsx"].extra == [] and by_name["broken.xlsx"].status == "error"
    for outcome in seen.values():
        assert not any(isinstance(v, pd.DataFrame | pd.Series) for v in vars(outcome).values())
        assert pickle.loads(pickle.dumps(outcome)) == outcome


def test_streaming_renderer_draws_what_render_book_draws(folder: Path, tmp_path: Path) -> None:
    """The report is written row by row (openpyxl's write-only mode); the same plan drawn by
    the ordinary renderer gives the same values, links, tables and charts (read back with
    python-calamine and from the raw parts)."""
    from excelflow.batch import run as batch
    from excelflow.batch.collect import Collector
    from excelflow.batch.executors import choose
    from excelflow.batch.layout import book_plan
    from excelflow.batch.work import Job
    from excelflow.pipeline.ruleset import load_ruleset
    from excelflow.sheets.book import BookPlan
    from excelflow.sheets.plan import SheetPlan
    from excelflow.workbook.render import render_book, save_book_streaming

    files = batch.find([folder])
    collector = Collector(len(files))
    for i, outcome in batch.results(files, Job(as_of=AS_OF_DATE), choose(1, None)):
        collector.add(i, outcome)
    rs = load_ruleset()
    plans = [
        book_plan(collector.report_data(rs, AS_OF_DATE, tmp_path), lang) for lang in ("zh", "zh")
    ]
    collector.close()
    render_book(plans[0]).save(tmp_path / "ordinary.xlsx")
    save_book_streaming(plans[1], tmp_path / "streamed.xlsx")
    a, b = _sheets(tmp_path / "ordinary.xlsx"), _sheets(tmp_path / "streamed.xlsx")
    assert list(a) == ["汇总", "全部问题"] and a == b

    def parts(path: Path) -> tuple[list[str], int, int]:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            links = sorted(
                rel.get("Target", "")
                for n in names
                if n.startswith("xl/worksheets/_rels/")
                for rel in ElementTree.fromstring(zf.read(n))
                if rel.get("Type", "").endswith("/hyperlink")
            )
            tables = sum(n.startswith("xl/tables/") for n in names)
            charts = sum(n.startswith("xl/charts/chart") for n in names)
        return links, tables, charts

    assert parts(tmp_path / "ordinary.xlsx") == parts(tmp_path / "streamed.xlsx")
    merged = SheetPlan(values=[["a", None]], merges=[(1, 1, 1, 2)])
    with pytest.raises(ValueError, match="merge"):
        save_book_streaming(BookPlan(sheets={"s": merged}), tmp_path / "merged.xlsx")


def test_select_ignore_and_statistics_as_validate(
    capsys: pytest.CaptureFixture[str], folder: Path, tmp_path: Path
) -> None:
    """``--select``/``--ignore`` (and a rule set's own select/ignore) and ``--statistics``: batch
    reports exactly what validate reports over the same folder."""
    from excelflow.pipeline.ruleset import load_ruleset

    pipelines = tmp_path / "pipelines"
    for name in ("east/alice.xlsx", "west/carol.xlsx", "west/dave.csv", "zhao.xlsx"):
        (pipelines / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / name, pipelines / name)
    doc = dict(load_ruleset().document)
    doc.pop("$schema", None)
    own = tmp_path / "own-select.json"
    own.write_text(json.dumps({**doc, "select": ["DQ", "SG"], "ignore": ["DQ05"]}), "utf-8")
    every: set[str] = set()
    for extra in (
        [],
        ["--select", "SG,DQ0"],
        ["--ignore", "dq,GR01"],
        ["--select", "DQ", "--ignore", "DQ05"],
        ["--ruleset", str(own)],
        ["--ruleset", str(own), "--select", "GR"],  # the command line overrides the rule set
    ):
        code_b, _, _, batch = _batch(capsys, pipelines, tmp_path / "b", "--workers", "1", *extra)
        code_v, out_v, _ = run(capsys, "validate", str(pipelines), *AS_OF, "--format", "json",
                               *extra)  # fmt: skip
        validated = strict_loads(out_v)
        assert batch["summary"] == validated["summary"], extra
        codes = [{f["code"] for f in entry["findings"]} for entry in batch["files"]]
        assert codes == [{f["code"] for f in e["findings"]} for e in validated["files"]], extra
        assert code_b == code_v, extra
        found = set().union(*codes)
        if not extra:
            every = found
            assert {"SG01", "DQ01", "GR01"} <= every
        elif extra[:2] == ["--select", "SG,DQ0"]:
            assert found == {c for c in every if c.startswith(("SG", "DQ0"))}
        elif extra[-2:] == ["--select", "GR"]:
            assert found == {c for c in every if c.startswith("GR")}
        elif extra[0] == "--ruleset":
            assert found == {c for c in every if c.startswith(("DQ", "SG")) and c != "DQ05"}
        # the xlsx report shows the same selection
        by_code = _sheets(tmp_path / "b" / "report.xlsx")
        assert not any(
            isinstance(cell, str) and cell in every - found
            for row in by_code["All findings"]
            for cell in row[4:5]
        ), extra

    # --statistics: the same table as validate's, in place of the closing line
    for extra in ([], ["--select", "DQ"]):
        code_b, out_b, _ = run(capsys, "batch", str(pipelines), *AS_OF, "--workers", "2",
                               "--statistics", *extra)  # fmt: skip
        code_v, out_v, _ = run(capsys, "validate", str(pipelines), *AS_OF, "--statistics", *extra)
        assert out_b == out_v and out_b.strip() and code_b == code_v, extra
        assert "files/s" not in out_b

    # a rule set whose select/ignore names no code: refused in one line, as validate does
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({**doc, "ignore": ["SG", "XY"]}), encoding="utf-8")
    code, out, err = run(capsys, "batch", str(pipelines), "--ruleset", str(typo))
    assert code == 2 and out == "" and "no rule code starts with 'XY'" in err
    with pytest.raises(SystemExit):
        run(capsys, "batch", str(pipelines), "--select", "XX")
    assert "no rule code starts with" in capsys.readouterr().err


def test_dask_groups_files_into_tasks_in_order() -> None:
    """Dask tasks carry up to CHUNK files (each task costs the scheduler and the worker's event
    loop milliseconds of CPU); every item still comes back once, under its own index."""
    from excelflow.batch import executors

    assert executors.chunk_size(7, 2) == 1
    assert executors.chunk_size(500, 2) == executors.CHUNK
    assert executors.chunk_size(100, 2) == 3
    items = [-i for i in range(150)]
    local = executors.Executor("dask", 2, "local")
    got = dict(executors.run(local, abs, items))
    assert got == {i: i for i in range(150)}


@pytest.mark.parametrize("mode", [["--workers", "2"], ["--dask", "local", "--workers", "2"]])
def test_a_file_that_kills_its_worker_loses_only_that_file(mode: list[str], tmp_path: Path) -> None:
    """A reader's abort (python-calamine's Rust panic: here a sheet spanning A1:XFD1048576 with
    the cell limit lifted) kills the worker process under it; the pool is restarted (Dask's
    nanny restarts the worker) and the run goes on: that file is one line, the others checked."""
    sys.path.insert(0, str(REPO / "tests"))
    import hostile_corpus as corpus

    books = tmp_path / "books"
    books.mkdir()
    corpus.far_corners(books / "far.xlsx")
    for k in range(5):
        shutil.copy(REPO / "templates" / "pipeline.xlsx", books / f"good{k}.xlsx")
    env = {**os.environ, "EXCELFLOW_MAX_CELLS": str(10**12), "EXCELFLOW_ISOLATE": "0"}
    out = tmp_path / "report.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "excelflow.cli",
            "batch",
            str(books),
            *mode,
            "--json",
            str(out),
            "-q",
            *AS_OF,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    files = {Path(f["path"]).name: f for f in strict_loads(out.read_text("utf-8"))["files"]}
    assert "reader crashed" in files["far.xlsx"]["error"]
    assert all(files[f"good{k}.xlsx"].get("error") is None for k in range(5))
    assert sum(f.get("deals", 0) or 0 for f in files.values()) > 0
