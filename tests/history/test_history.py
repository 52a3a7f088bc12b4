"""History: snapshots recorded by ``validate --record``, the HX findings they give, the
``excelflow history`` reports, migrations, and concurrent writers — each test once on SQLite
and once on a real PostgreSQL server (``store_url``)."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from cli.cli_helpers import run
from excelflow import history
from excelflow.history import schema
from excelflow.pipeline.ruleset import Lang
from history.pool_worker import validate_and_record
from rules.golden import write_case

DAY0 = dt.date(2026, 9, 1)


def strict_loads(text: str) -> Any:
    """``json.loads`` refusing NaN and Infinity, as a strict reader does."""

    def refuse(name: str) -> Any:
        raise ValueError(f"not JSON: {name}")

    return json.loads(text, parse_constant=refuse)


# Three checks of one workbook, a month apart (rows are golden-harness overrides of a clean
# stage-3 deal; D-001 … D-005 in row order).
CHECKS: list[tuple[dt.date, list[dict[str, Any]]]] = [
    (
        DAY0,
        [
            {"stage": 2, "m:coach": None},  # D-001: at entry, coach missing
            {"stage": 4},  # D-002: bidding
            {"stage": 3},  # D-003: proposal
            {"stage": 3, "status": "lost"},  # D-004: lost
            {"stage": 1},  # D-005: development
        ],
    ),
    (
        DAY0 + dt.timedelta(days=30),
        [
            {"stage": 4, "m:coach": None},  # advanced 2 -> 4 without coach: HX01
            {"stage": 2},  # went back 4 -> 2: HX02
            {"stage": 3},  # still at 3 (30 days <= 45)
            {"stage": 3},  # re-opened: HX04
            {"stage": 2},  # advanced with its milestones
        ],
    ),
    (
        DAY0 + dt.timedelta(days=60),
        [
            {"stage": 4, "m:coach": None},  # at 4 for 30 days (limit 60)
            {"stage": 2},
            {"stage": 3},  # at 3 since DAY0: 60 days > 45: HX03
            {"stage": 3, "status": "won"},
            {"stage": 3},
        ],
    ),
]


def _check(
    capsys: pytest.CaptureFixture[str],
    book: Path,
    url: str,
    when: dt.date,
    rows: list[dict[str, Any]],
    lang: Lang = "en",
    *extra: str,
) -> dict[str, Any]:
    write_case(book, {"rows": rows}, lang, DAY0)
    code, out, err = run(
        capsys,
        "validate",
        str(book),
        "--record",
        "--history",
        url,
        "--as-of",
        when.isoformat(),
        "--format",
        "json",
        "--fail-on",
        "never",
        *extra,
    )
    assert code == 0, err
    doc: dict[str, Any] = strict_loads(out)
    return doc


def _hx(doc: dict[str, Any]) -> set[tuple[str, str, str | None]]:
    return {
        (f["code"], f["deal_id"], f["message"])
        for f in doc["files"][0]["findings"]
        if f["code"].startswith("HX")
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_three_snapshots_give_each_hx_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str, lang: Lang
) -> None:
    book = tmp_path / "pipeline.xlsx"
    found = [_hx(_check(capsys, book, store_url, when, rows, lang)) for when, rows in CHECKS]
    codes = [{(c, d) for c, d, _ in f} for f in found]
    assert codes[0] == set()  # nothing recorded before the first check
    assert codes[1] == {("HX01", "D-001"), ("HX02", "D-002"), ("HX04", "D-004")}
    assert codes[2] == {("HX03", "D-003")}
    messages = {c: m for f in found for c, _, m in f}
    if lang == "en":
        assert "from stage 2 to stage 4" in messages["HX01"]
        assert "coach found" in messages["HX01"] and "2026-09-01" in messages["HX01"]
        assert "since 2026-09-01, 60 days" in messages["HX03"]
        assert "limit of 45 days" in messages["HX03"]
        assert "was lost" in messages["HX04"]
    else:
        assert "从第2阶段推进到第4阶段" in messages["HX01"] and "找到内线" in messages["HX01"]
        assert "已 60 天" in messages["HX03"] and "输单" in messages["HX04"]
    # every check was recorded, each with its five deals, the file's hash and the user
    engine = history.open_store(store_url).engine
    with engine.connect() as conn:
        checks = conn.execute(sa.select(schema.checks).order_by(schema.checks.c.id)).all()
        deals = conn.execute(sa.select(sa.func.count()).select_from(schema.deal_snapshots))
        assert deals.scalar() == 15
    assert [c.as_of for c in checks] == [when for when, _ in CHECKS]
    assert all(c.deals == 5 and len(c.file_hash) == 64 for c in checks)
    assert {c.file for c in checks} == {book.resolve().as_posix()}
    assert all(c.user_name == history.current_user() for c in checks)


def test_history_only_compares_and_does_not_record(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str
) -> None:
    book = tmp_path / "pipeline.xlsx"
    _check(capsys, book, store_url, *CHECKS[0])
    write_case(book, {"rows": CHECKS[1][1]}, "en", DAY0)
    code, out, _ = run(
        capsys, "validate", str(book), "--history", store_url, "--as-of", "2026-10-01",
        "--format", "json", "--fail-on", "never",
    )  # fmt: skip
    assert code == 0
    assert {c for c, _, _ in _hx(strict_loads(out))} == {"HX01", "HX02", "HX04"}
    with history.open_store(store_url).engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.checks)).scalar() == 1
    # without --record and --history there is no history at all
    code, out, _ = run(capsys, "validate", str(book), "--as-of", "2026-10-01", "--format", "json")
    assert not _hx(strict_loads(out))


def test_history_reports(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, store_url: str
) -> None:
    book = tmp_path / "pipeline.xlsx"
    for when, rows in CHECKS:
        _check(capsys, book, store_url, when, rows)
    code, out, _ = run(capsys, "history", "transitions", "--history", store_url, "--format", "json")
    assert code == 0
    doc = strict_loads(out)
    moves = {
        (r["deal_id"], r["kind"], r["from_stage"], r["to_stage"], r["when"]) for r in doc["rows"]
    }
    assert moves == {
        ("D-001", "advanced", 2, 4, "2026-10-01"),
        ("D-002", "went_back", 4, 2, "2026-10-01"),
        ("D-004", "reopened", 3, 3, "2026-10-01"),
        ("D-005", "advanced", 1, 2, "2026-10-01"),
        ("D-004", "won", 3, 3, "2026-10-31"),
        ("D-005", "advanced", 2, 3, "2026-10-31"),
    }
    assert all(r["file"] == book.resolve().as_posix() for r in doc["rows"])
    code, out, _ = run(
        capsys, "history", "transitions", "--history", store_url, "--since", "2026-10-15",
        "--format", "json",
    )  # fmt: skip
    assert {r["when"] for r in strict_loads(out)["rows"]} == {"2026-10-31"}

    code, out, _ = run(
        capsys, "history", "deal", "D-001", "--history", store_url, "--format", "json"
    )
    rows = strict_loads(out)["rows"]
    assert [(r["as_of"], r["stage"], r["change"]) for r in rows] == [
        ("2026-09-01", 2, None),
        ("2026-10-01", 4, "advanced"),
        ("2026-10-31", 4, None),
    ]
    assert "coach" not in rows[1]["milestones"] and "evaluated" in rows[1]["milestones"]

    code, out, _ = run(capsys, "history", "funnel", "--history", store_url, "--format", "json")
    funnel = {r["stage"]: r for r in strict_loads(out)["rows"]}
    # five deals reached stage 1; D-005 left stage 1 after 30 days, stage 2 after 30;
    # D-001 left stage 2 after 30, D-002 left stage 4 after 30 (backwards counts as leaving)
    assert funnel[1]["reached"] == 5 and funnel[1]["advanced"] == 5
    assert funnel[1]["average_days"] == 30.0 and funnel[1]["stays"] == 1
    assert funnel[2]["average_days"] == 30.0 and funnel[2]["stays"] == 2
    assert funnel[4]["reached"] == 2 and funnel[4]["advanced"] == 0
    assert funnel[4]["conversion"] == 0.0
    assert funnel[6]["reached"] == 0 and funnel[6]["conversion"] is None

    # the text tables, in both languages
    code, out, _ = run(capsys, "history", "transitions", "--history", store_url)
    assert code == 0 and "went back" in out and "pipeline.xlsx" in out
    code, out, _ = run(capsys, "history", "funnel", "--history", store_url, "--lang", "zh")
    assert code == 0 and "转化率" in out and "销售进入阶段" in out
    code, out, _ = run(capsys, "history", "deal", "D-999", "--history", store_url)
    assert code == 0 and "nothing recorded" in out


def test_migrates_an_empty_database_and_reopens_idempotently(store_url: str) -> None:
    store = history.open_store(store_url)
    inspector = sa.inspect(store.engine)
    assert {"schema_version", "checks", "deal_snapshots"} <= set(inspector.get_table_names())
    with store.engine.connect() as conn:
        versions = conn.execute(sa.select(schema.schema_version.c.version)).scalars().all()
    assert versions == [v for v, _, _ in schema.MIGRATIONS]
    history.close_all()
    for _ in range(2):  # re-opening applies nothing again
        again = history.open_store(store_url)
        assert history.store.version(again) == schema.LATEST
        with again.engine.connect() as conn:
            assert conn.execute(
                sa.select(sa.func.count()).select_from(schema.schema_version)
            ).scalar() == len(schema.MIGRATIONS)
        history.close_all()


def test_a_newer_schema_is_refused(store_url: str) -> None:
    store = history.open_store(store_url)
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(schema.schema_version).values(
                version=schema.LATEST + 1, description="future", applied_at=history.store.now()
            )
        )
    history.close_all()
    with pytest.raises(history.HistoryError, match="newer than this ExcelFlow knows"):
        history.open_store(store_url)


def test_concurrent_record_from_a_process_pool_loses_nothing(
    tmp_path: Path, store_url: str
) -> None:
    workers, per_worker = 4, 5
    files = []
    for i in range(workers * per_worker):
        path = tmp_path / f"rep-{i:02d}.xlsx"
        rows = [{"stage": 1 + (i + k) % 5} for k in range(3)]
        write_case(path, {"rows": rows}, "en" if i % 2 else "zh", DAY0)
        files.append(str(path))
    chunks = [files[w::workers] for w in range(workers)]
    # a fresh database: the workers race to create its tables, and to write
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx) as pool:
        runs = [
            pool.submit(validate_and_record, store_url, chunk, DAY0.isoformat()) for chunk in chunks
        ]
        codes = [code for job in runs for code in job.result()]
    assert len(codes) == len(files) and set(codes) <= {0, 1}
    engine = history.open_store(store_url).engine
    with engine.connect() as conn:
        recorded = conn.execute(sa.select(schema.checks.c.file, schema.checks.c.deals)).all()
        deals = conn.execute(sa.select(sa.func.count()).select_from(schema.deal_snapshots))
        assert deals.scalar() == 3 * len(files)
        versions = conn.execute(sa.select(schema.schema_version.c.version)).scalars().all()
    assert sorted(f for f, _ in recorded) == sorted(Path(f).resolve().as_posix() for f in files)
    assert all(n == 3 for _, n in recorded)
    assert versions == [v for v, _, _ in schema.MIGRATIONS]  # migrated once


def test_an_unusable_database_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    book = tmp_path / "pipeline.xlsx"
    write_case(book, {"rows": [{"stage": 2}]}, "en", DAY0)
    missing = tmp_path / "no-such-folder" / "h.sqlite"
    code, out, err = run(capsys, "validate", str(book), "--record", "--history", str(missing))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "does not exist" in err
    not_a_db = tmp_path / "notes.sqlite"
    not_a_db.write_text("just text, not a database\n", encoding="utf-8")
    code, _, err = run(capsys, "history", "funnel", "--history", str(not_a_db))
    assert code == 2 and "cannot open" in err and err.strip().count("\n") == 0
    assert not_a_db.read_text(encoding="utf-8") == "just text, not a database\n"


def test_the_default_database_is_in_the_user_data_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(history.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert history.store_url() == f"sqlite:///{tmp_path / 'data' / 'excelflow' / 'history.sqlite'}"
    monkeypatch.setenv(history.ENV_VAR, "postgresql://u@db.example/sales")
    assert history.store_url() == "postgresql+psycopg://u@db.example/sales"
    assert history.store_url(tmp_path / "h.db") == f"sqlite:///{(tmp_path / 'h.db').resolve()}"


def test_openers_of_a_new_sqlite_file_wait_for_each_other(tmp_path: Path) -> None:
    """Many connections opening one new file at once: SQLite refuses the switch to WAL with
    "database is locked" without waiting while another holds a lock, so the switch is retried
    (a pool's workers opening a new history database together failed ~1 round in 20 without)."""
    from excelflow.history import store

    openers, rounds = 6, 40
    for r in range(rounds):
        url = history.store_url(tmp_path / f"new-{r:02d}.sqlite")
        start = threading.Barrier(openers)
        errors: list[BaseException] = []

        def open_once(url: str, start: threading.Barrier, errors: list[BaseException]) -> None:
            start.wait()
            try:
                engine = store._open(url).engine  # not the per-process cache: a connection each
                with engine.connect() as conn:
                    assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                engine.dispose()
            except BaseException as exc:  # gathered and asserted below
                errors.append(exc)

        threads = [
            threading.Thread(target=open_once, args=(url, start, errors)) for _ in range(openers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, f"round {r}: {errors[0]}"
