"""xlwings Lite: the add-in's ``main.py`` runs without python-calamine, threads or processes.

Lite runs Python in the browser (Pyodide): no compiled package without a Pyodide build (such as
python-calamine), no threads, no subprocesses. The check runs ``addin/lite/main.py`` in a fresh
interpreter where importing python_calamine raises ImportError (a ``sys.meta_path`` finder) and
starting a thread or a process raises, then calls one worksheet function and one ribbon script
through xlwings' own dispatcher and compares the answers with the same calls made here, in the
normal test process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from excelflow.xl import macros
from xl.book_payload import book_payload, run_script
from xl.udf_payload import call, cell, payload, serial

REPO = Path(__file__).resolve().parents[2]
MAIN = REPO / "addin" / "lite" / "main.py"
AS_OF = "2026-11-28"

LITE_RUN = r"""
import asyncio, importlib.util, json, os, subprocess, sys, threading, _thread


class BlockCalamine:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "python_calamine":
            raise ImportError(f"No module named {name!r} (blocked: xlwings Lite has none)")
        return None


def refuse(*args, **kwargs):
    raise RuntimeError("no threads or processes in xlwings Lite")


sys.meta_path.insert(0, BlockCalamine())
threading.Thread.start = refuse
_thread.start_new_thread = refuse
subprocess.Popen.__init__ = refuse
os.fork = refuse
os.posix_spawn = refuse

main_py, request = sys.argv[1], json.load(open(sys.argv[2], encoding="utf-8"))
spec = importlib.util.spec_from_file_location("main", main_py)
main = importlib.util.module_from_spec(spec)
spec.loader.exec_module(main)

import xlwings as xw
from xlwings import server

value = asyncio.run(server.custom_functions_call(request["function"], main))
book = xw.Book(json=request["book"])
try:
    out = asyncio.run(
        server.custom_scripts_call(
            main, "validate_pipeline", typehint_to_value={xw.Book: book}, args=request["args"]
        )
    )
finally:
    book.close()
actions = [{k: v for k, v in a.items() if v is not None} for a in out.json()["actions"]]
json.dump(
    {
        "value": value,
        "actions": actions,
        "calamine_loaded": any(m.split(".")[0] == "python_calamine" for m in sys.modules),
        "threads": threading.active_count(),
    },
    sys.stdout,
    default=str,
)
"""


def _run_lite(tmp_path: Path, request: dict[str, Any]) -> dict[str, Any]:
    (tmp_path / "request.json").write_text(json.dumps(request), encoding="utf-8")
    (tmp_path / "lite_run.py").write_text(LITE_RUN, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    out = subprocess.run(
        [sys.executable, str(tmp_path / "lite_run.py"), str(MAIN), str(tmp_path / "request.json")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_main_runs_without_calamine_threads_or_processes(tmp_path: Path) -> None:
    wb = load_workbook(REPO / "templates" / "pipeline.xlsx", data_only=True)
    book = book_payload(wb, name="pipeline.xlsx")
    close, today = serial(dt.date(2027, 1, 15)), serial(dt.date(2026, 11, 28))
    function = payload("ef_grade", cell(close), cell(0.7), cell(today))
    args = ["en", AS_OF]

    lite = _run_lite(tmp_path, {"function": function, "book": book, "args": args})

    assert lite["calamine_loaded"] is False
    assert lite["threads"] == 1
    assert lite["value"] == call("ef_grade", cell(close), cell(0.7), cell(today)) == [["A"]]
    expected = json.loads(
        json.dumps(run_script(macros, "validate_pipeline", book, args), default=str)
    )
    assert lite["actions"] == expected
    funcs = [a["func"] for a in lite["actions"]]
    assert "setValues" in funcs and funcs[-1] == "alert"  # it wrote results, then said so


def test_lite_folder_holds_the_entry_module_and_its_requirements() -> None:
    assert (REPO / "addin" / "lite" / "requirements.txt").read_text().split() == ["excelflow-sales"]
    assert not (REPO / "addin" / "main.py").exists()  # one main.py to paste, not two
