"""``excelflow batch --record/--history``: every worker (process pool, Dask) compares each file
with its previous snapshot and records it; nothing is lost when four processes write at once.
Once on SQLite, once on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cli.cli_helpers import run
from excelflow import history
from excelflow.cli import main
from excelflow.history import schema
from rules.golden import write_case

DAY0 = dt.date(2026, 9, 1)
FILES = 12


def _strict(text: str) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


def _write(folder: Path, stage_of: int) -> list[Path]:
    paths = []
    for i in range(FILES):
        path = folder / f"rep-{i:02d}.xlsx"
        rows = [{"stage": stage_of}, {"stage": 3}, {"stage": 1 + i % 5}]
        write_case(path, {"rows": rows}, "zh" if i % 2 else "en", DAY0)
        paths.append(path)
    return paths


def _batch(
    capsys: pytest.CaptureFixture[str], folder: Path, out: Path, day: dt.date, *extra: str
) -> tuple[int, str, dict[str, Any]]:
    code, _, err = run(
        capsys, "batch", str(folder), "--as-of", day.isoformat(), "--json", str(out),
        "--fail-on", "never", "-q", *extra,
    )  # fmt: skip
    return code, err, _strict(out.read_text(encoding="utf-8"))


def _hx(doc: dict[str, Any]) -> dict[str, set[str]]:
    return {
        Path(f["path"]).name: {x["code"] for x in f["findings"] if x["code"].startswith("HX")}
        for f in doc["files"]
    }


def test_batch_records_from_every_worker_and_reports_hx(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str
) -> None:
    folder = tmp_path / "reps"
    folder.mkdir()
    paths = _write(folder, stage_of=4)
    (folder / "broken.xlsx").write_bytes(b"PK\x03\x04 not a zip")  # never recorded
    out = tmp_path / "first.json"
    code, err, doc = _batch(capsys, folder, out, DAY0, "--record", "--history", store_url,
                            "--workers", "4")  # fmt: skip
    assert code == 2 and "broken.xlsx" in err  # the broken file, as without history
    assert all(not codes for codes in _hx(doc).values())  # nothing recorded before
    with history.open_store(store_url).engine.connect() as conn:
        files = conn.execute(sa.select(schema.checks.c.file)).scalars().all()
        deals = conn.execute(sa.select(sa.func.count()).select_from(schema.deal_snapshots))
        assert deals.scalar() == 3 * FILES
    assert sorted(files) == sorted(p.resolve().as_posix() for p in paths)

    # a month later every rep's first deal went back to stage 2; compared, recorded again,
    # this time on Dask workers
    _write(folder, stage_of=2)
    (folder / "broken.xlsx").unlink()
    out = tmp_path / "second.json"
    later = DAY0 + dt.timedelta(days=30)
    # (called directly: a LocalCluster closing may log distributed's CommClosedError traceback
    # on stderr, which the CLI helper refuses; that noise is Dask's, not the run's outcome)
    code = main(["batch", str(folder), "--as-of", later.isoformat(), "--json", str(out),
                 "--fail-on", "never", "-q", "--record", "--history", store_url,
                 "--dask", "local", "--workers", "2"])  # fmt: skip
    capsys.readouterr()
    doc = _strict(out.read_text(encoding="utf-8"))
    assert code == 0
    assert _hx(doc) == {p.name: {"HX02"} for p in paths}
    with history.open_store(store_url).engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(schema.checks)).scalar()
            == 2 * FILES
        )

    # --history alone compares without recording
    code, _, doc = _batch(capsys, folder, tmp_path / "third.json", DAY0 + dt.timedelta(days=31),
                          "--history", store_url, "--workers", "2")  # fmt: skip
    # (deal 3 of rep-04 and rep-09 has been at stage 5 since DAY0: 31 days, the limit is 30)
    stalled = {f"rep-{i:02d}.xlsx" for i in range(FILES) if 1 + i % 5 == 5}
    assert code == 0 and stalled == {"rep-04.xlsx", "rep-09.xlsx"}
    assert _hx(doc) == {p.name: {"HX03"} if p.name in stalled else set() for p in paths}
    with history.open_store(store_url).engine.connect() as conn:
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(schema.checks)).scalar()
            == 2 * FILES
        )


def test_batch_with_an_unusable_history_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = tmp_path / "reps"
    folder.mkdir()
    _write(folder, stage_of=2)
    missing = tmp_path / "nowhere" / "h.sqlite"
    code, out, err = run(capsys, "batch", str(folder), "--record", "--history", str(missing), "-q")
    assert code == 2 and out == "" and err.count("\n") == 1 and "does not exist" in err
