"""Whole-process benchmarks: every measurement is a fresh process, timed from spawn to exit, its
peak RSS read from the kernel (``os.wait4``'s ``ru_maxrss``).

Per case (generator x size) one round runs, in turn: the floor (a bare python-calamine read of
the sheet), ``excelflow validate`` (text report), ``excelflow validate --format json``, and once
per case the naive way (an openpyxl read-only loop over the rows, up to 100k deals). Rounds are
interleaved (``--repeat`` of them), so a neighbour's burst hits every command alike; the table
shows medians and the ratios of medians measured in this one run. Also: cold start (a 1-deal
workbook vs ``python -c "import pandas, python_calamine"``) and annotate vs openpyxl load+save of
the same file.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import AS_OF, workbook

PY = sys.executable
DAY = AS_OF.isoformat()

READ = (
    "import sys, python_calamine as pc\n"
    "b = pc.CalamineWorkbook.from_path(sys.argv[1])\n"
    "rows = b.get_sheet_by_name(b.sheet_names[0]).to_python(skip_empty_area=True)\n"
    "print(len(rows))\n"
)
NAIVE = (
    "import sys, openpyxl\n"
    "wb = openpyxl.load_workbook(sys.argv[1], read_only=True, data_only=True)\n"
    "n = 0\n"
    "for row in wb.worksheets[0].iter_rows(values_only=True):\n"
    "    n += sum(v is not None for v in row)\n"
    "print(n)\n"
)
ROUNDTRIP = "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\nwb.save(sys.argv[2])\n"
IMPORT_FLOOR = "import pandas, python_calamine"


@dataclass
class Sample:
    """One command's runs: wall seconds and peak MB of each."""

    walls: list[float] = field(default_factory=list)
    peaks: list[float] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def peak(self) -> float:
        return statistics.median(self.peaks)


PEAK = str(Path(__file__).resolve().parent / "peak.py")


def run(argv: Sequence[str]) -> tuple[float, float]:
    """Run ``[PY, -m|-c, ...]`` to its end through :mod:`peak`; returns (wall seconds, peak RSS
    in MB) of that process alone. The wall time includes the interpreter's start."""
    assert argv[0] == PY and argv[1] in ("-m", "-c"), argv
    with tempfile.NamedTemporaryFile(prefix="ef-peak-", delete=False) as fh:
        peak_file = Path(fh.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS")}
    env["EF_PEAK_FILE"] = str(peak_file)
    try:
        start = time.perf_counter()
        proc = subprocess.run(
            [PY, PEAK, *argv[1:]],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
            check=False,
        )
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace")[-1500:]
            raise RuntimeError(f"{' '.join(argv)} exited {proc.returncode}: {err}")
        peak_kb = float(peak_file.read_text() or 0)
    finally:
        peak_file.unlink(missing_ok=True)
    return wall, peak_kb / 1024


def _add(sample: Sample, measured: tuple[float, float]) -> None:
    sample.walls.append(measured[0])
    sample.peaks.append(measured[1])


def validate_cmd(path: Path, out: Path, fmt: str) -> list[str]:
    return [PY, "-m", "excelflow", "validate", str(path), "--as-of", DAY, "--format", fmt,
            "-o", str(out), "--fail-on", "never"]  # fmt: skip


def warm_bytecode() -> None:
    """Compile excelflow's modules once: a pip-installed package ships its .pyc, an editable
    checkout under PYTHONDONTWRITEBYTECODE would compile every module at every start."""
    import compileall

    import excelflow

    compileall.compile_dir(str(Path(excelflow.__file__).parent), quiet=1)


def cold_start(repeat: int, tmp: Path) -> dict[str, float]:
    """``excelflow validate`` on a 1-deal workbook vs the import floor; medians."""
    tiny = workbook("tidy", 1)
    floor, ours = Sample(), Sample()
    run(validate_cmd(tiny, tmp / "cold.txt", "text"))  # warm the file cache
    for _ in range(repeat):
        _add(floor, run([PY, "-c", IMPORT_FLOOR]))
        _add(ours, run(validate_cmd(tiny, tmp / "cold.txt", "text")))
    return {"floor_s": floor.wall, "validate_s": ours.wall, "ratio": ours.wall / floor.wall}


def validate_case(kind: str, n: int, repeat: int, tmp: Path, *, naive: bool) -> dict[str, float]:
    """One case: floor, validate (text, JSON) interleaved; the naive loop once."""
    path = workbook(kind, n)
    samples = {"read": Sample(), "text": Sample(), "json": Sample()}
    commands = {
        "read": [PY, "-c", READ, str(path)],
        "text": validate_cmd(path, tmp / "report.txt", "text"),
        "json": validate_cmd(path, tmp / "report.json", "json"),
    }
    for _ in range(repeat):
        for name, argv in commands.items():
            _add(samples[name], run(argv))
    out = {f"{k}_s": s.wall for k, s in samples.items()}
    out |= {f"{k}_mb": s.peak for k, s in samples.items()}
    out["naive_s"] = run([PY, "-c", NAIVE, str(path)])[0] if naive else float("nan")
    return out


def annotate_case(kind: str, n: int, repeat: int, tmp: Path) -> dict[str, float]:
    """``excelflow annotate`` vs openpyxl load + save of the same file, interleaved."""
    path = workbook(kind, n)
    ours, floor = Sample(), Sample()
    annotate = [PY, "-m", "excelflow", "annotate", str(path), "-o", str(tmp / "annotated.xlsx"),
                "--force", "--as-of", DAY]  # fmt: skip
    for _ in range(repeat):
        _add(floor, run([PY, "-c", ROUNDTRIP, str(path), str(tmp / "roundtrip.xlsx")]))
        _add(ours, run(annotate))
    return {"roundtrip_s": floor.wall, "annotate_s": ours.wall,
            "roundtrip_mb": floor.peak, "annotate_mb": ours.peak}  # fmt: skip


def main(
    sizes: Sequence[int],
    *,
    repeat: int,
    annotate_sizes: Sequence[int],
    naive_max: int = 100_000,
    annotate_full_max: int = 10_000,
) -> list[str]:
    """Run the suite; returns the Markdown lines of its results."""
    warm_bytecode()
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ef-bench-") as name:
        tmp = Path(name)
        cold = cold_start(max(repeat * 3, 5), tmp)
        lines += [
            "### Cold start (1-deal workbook, `excelflow validate`)",
            "",
            f'`python -c "{IMPORT_FLOOR}"` {cold["floor_s"]:.3f} s; `excelflow validate` '
            f"{cold['validate_s']:.3f} s: **{cold['ratio']:.2f}×** the import floor "
            f"(target ≤ 1.30×; medians of {max(repeat * 3, 5)} interleaved runs)",
            "",
            "### validate: whole processes, medians of "
            f"{repeat} interleaved rounds (naive: one run)",
            "",
            "| case | calamine read (floor) | validate text | ratio | peak MB (read / text) | "
            "mem ratio | validate JSON | ratio | JSON peak MB | naive openpyxl loop | "
            "text / naive |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for n in sizes:
            for kind in ("tidy", "messy"):
                r = validate_case(kind, n, repeat, tmp, naive=n <= naive_max)
                naive = r["naive_s"]
                lines.append(
                    f"| {kind} {n:,} | {r['read_s']:.2f} s | {r['text_s']:.2f} s | "
                    f"**{r['text_s'] / r['read_s']:.2f}×** | {r['read_mb']:.0f} / "
                    f"{r['text_mb']:.0f} | {r['text_mb'] / r['read_mb']:.2f}× | "
                    f"{r['json_s']:.2f} s | {r['json_s'] / r['read_s']:.2f}× | "
                    f"{r['json_mb']:.0f} | "
                    + (
                        f"{naive:.2f} s | {r['text_s'] / naive:.2f}× |"
                        if naive == naive
                        else "– | – |"
                    )
                )
                print(lines[-1], flush=True)
        if annotate_sizes:
            lines += [
                "",
                f"### annotate vs openpyxl load + save (medians of {repeat} interleaved rounds; "
                f"above {annotate_full_max:,} deals the tidy case, one round)",
                "",
                "| case | openpyxl load+save | annotate | ratio | peak MB (openpyxl / annotate) |",
                "|---|---|---|---|---|",
            ]
            for n in annotate_sizes:
                # above annotate_full_max: the tidy case once (openpyxl alone takes ~1 min at 100k)
                big = n > annotate_full_max
                for kind in ("tidy",) if big else ("tidy", "messy"):
                    r = annotate_case(kind, n, 1 if big else repeat, tmp)
                    lines.append(
                        f"| {kind} {n:,} | {r['roundtrip_s']:.2f} s | {r['annotate_s']:.2f} s | "
                        f"**{r['annotate_s'] / r['roundtrip_s']:.2f}×** (target ≤ 1.5×) | "
                        f"{r['roundtrip_mb']:.0f} / {r['annotate_mb']:.0f} |"
                    )
                    print(lines[-1], flush=True)
    return lines
