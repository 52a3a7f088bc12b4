"""Every ExcelFlow UDF called through xlwings' own Office.js dispatcher, plus the metadata.

Each call carries the JSON body xlwings' custom-functions client posts; results are the 2-D values
Excel receives. EF_CHECK and the one-engine cross-checks are in ``test_udfs_check.py``.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import re
import statistics
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from xlwings import server

from excelflow.functions.checks import default_ruleset as udf_ruleset
from excelflow.pipeline.fields import all_fields
from excelflow.xl import udfs
from xl.udf_payload import NA_ERROR_IN, NA_ERROR_OUT, call, cell, column, serial

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date.today()
AS_OF = dt.date(2026, 11, 28)
EXPECTED = {
    "EF_STAGE": ["value"],
    "EF_GRADE": ["expected_close", "probability", "as_of"],
    "EF_SCORE": ["scores", "weights"],
    "EF_GATE": ["stage", "milestones", "lang", "header"],
    "EF_ADJPROB": ["stage", "milestones", "probability", "header"],
    "EF_CHECK": ["table", "lang", "as_of", "origin"],
    "EF_MARGIN": ["price", "cost"],
    "EF_MARKUP": ["price", "cost"],
    "EF_PRICE": ["cost", "margin"],
    "EF_WINPROB": ["p_beat", "model"],
    "EF_WINPROB_NORMAL": ["markup", "mean", "sd"],
    "EF_BEST_MARKUP": ["markups", "p_beat_table", "model"],
    "EF_BEST_MARKUP_NORMAL": ["mean", "sd", "floor"],
}
OPTIONAL = {"as_of", "weights", "lang", "origin", "model", "floor", "header"}
TICKS_ALL = ["✓"] * 9  # M1, M2a, M2b, M3, M4, M5a, M5b, M6a, M6b


def value_error(result: Any) -> str:
    """The readable text of a 1x1 ``#VALUE!`` result."""
    assert isinstance(result, list)
    assert len(result) == 1
    assert len(result[0]) == 1
    text = result[0][0]
    assert isinstance(text, str)
    assert text.startswith("#VALUE! ")
    assert "Traceback" not in text
    return text


# --------------------------------------------------------------------------- metadata, import


def test_meta_lists_every_function_with_help_and_parameter_names() -> None:
    meta = server.custom_functions_meta(udfs)
    functions = {f["id"]: f for f in meta["functions"]}
    assert set(functions) == set(EXPECTED)
    for excel_name, params in EXPECTED.items():
        entry = functions[excel_name]
        assert entry["name"] == excel_name
        fn = getattr(udfs, excel_name.lower())
        assert entry["description"] == fn.__doc__
        assert 40 < len(entry["description"]) <= 255  # classic Excel's MacroOptions limit
        assert "\n" not in entry["description"]
        assert [p["name"] for p in entry["parameters"]] == params
        for p in entry["parameters"]:
            assert p.get("optional", False) == (p["name"] in OPTIONAL), (excel_name, p["name"])
            assert not p["description"].startswith("Positional argument")
            assert len(p["description"]) <= 255


def test_star_import_in_a_main_module_registers_exactly_the_udfs() -> None:
    """xlwings Lite / Server load one module (main.py); ours can be pulled in with a star import."""
    main = types.ModuleType("main")
    exec("from excelflow.xl.udfs import *", main.__dict__)
    assert {f["id"] for f in server.custom_functions_meta(main)["functions"]} == set(EXPECTED)


def test_module_imports_and_works_without_the_server_settings() -> None:
    """Classic desktop / plain install: no env vars, decorators are no-ops, functions still work."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
    code = (
        "import excelflow.xl.udfs as u, xlwings; "
        "print(hasattr(u.ef_stage, '__xlfunc__'), u.ef_stage('Bidding'), "
        "u.ef_margin(100, 75), u.ef_stage([['Proposal'], ['开发阶段']]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "4", "0.25", "[[3],", "[1]]"]


# --------------------------------------------------------------------------- EF_STAGE


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        (4.0, 4),
        ("bidding", 4),
        ("投标阶段", 4),
        ("投标", 4),
        ("Commercial negotiation", 5),
        ("Closing", None),  # not a stage of the standard set
        ("Stage 3", 3),
        ("第2阶段", 2),
        ("  implementation ", 6),
    ],
)
def test_stage_reads_numbers_keys_and_names(value: Any, stage: int | None) -> None:
    result = call("ef_stage", cell(value))
    if stage is None:
        assert value_error(result).endswith("(expected a stage number or name)")
    else:
        assert result == [[stage]]


def test_stage_arrays_keep_their_shape_and_mark_only_the_bad_cell() -> None:
    assert call("ef_stage", [["Proposal", 2.0, "提案"]]) == [[3, 2, 3]]  # a row arrives flat
    block = call("ef_stage", [["Bidding", None], ["Closing", NA_ERROR_IN], [7.0, ""]])
    assert block[0] == [4, ""]
    assert block[1][0] == "#VALUE! 'Closing' is not understood (expected a stage number or name)"
    assert block[1][1] == NA_ERROR_OUT  # an error in an input cell is passed on
    assert block[2][0].startswith("#VALUE! '7' is not understood")
    assert block[2][1] == ""


def test_errors_stay_text_below_runtime_1_4() -> None:
    assert call("ef_stage", [["Bidding", NA_ERROR_IN]], runtime="1.3") == [[4, "#N/A"]]


def test_empty_argument_gives_an_empty_cell() -> None:
    assert call("ef_stage", cell(None)) == [[""]]


# --------------------------------------------------------------------------- EF_GRADE


@pytest.mark.parametrize(
    ("days", "probability", "grade"),
    [
        (90, 0.6, "A"),
        (91, 0.6, "B"),
        (30, "59%", "B"),
        (180, 40.0, "B"),
        (200, 0.9, "C"),
        (365, 0.2, "C"),
        (366, 0.9, "D"),
        (10, 0.1, "D"),
    ],
)
def test_grade_bands(days: int, probability: Any, grade: str) -> None:
    close = serial(AS_OF + dt.timedelta(days=days))
    assert call("ef_grade", cell(close), cell(probability), cell(serial(AS_OF))) == [[grade]]


def test_grade_reads_date_text_and_defaults_to_today() -> None:
    soon = TODAY + dt.timedelta(days=20)
    assert call("ef_grade", cell(soon.isoformat()), cell(0.8)) == [["A"]]
    chinese = f"{soon.year}年{soon.month}月{soon.day}日"
    assert call("ef_grade", cell(chinese), cell(0.8), cell("")) == [["A"]]


def test_grade_column_against_one_probability_with_bad_cells() -> None:
    dates = column(serial(AS_OF + dt.timedelta(days=30)), "next spring", None, 46800.0)
    result = call("ef_grade", dates, cell(0.7), cell("2026-11-28"))
    assert result[0] == ["A"]
    assert result[1][0].startswith("#VALUE! 'next spring' is not understood (expected a date")
    assert result[2] == ["D"]  # no date: the catch-all band, as in the engine
    assert result[3] == ["D"]  # 2028-02-19 is more than a year away


def test_grade_bad_arguments() -> None:
    close = cell(serial(AS_OF))
    assert value_error(call("ef_grade", close, cell(150.0))).endswith("is outside 0-100%")
    assert "not understood" in value_error(call("ef_grade", close, cell(0.5), cell("someday")))
    sizes = call("ef_grade", column(1.0, 2.0, 3.0), column(0.5, 0.6))
    assert value_error(sizes) == "#VALUE! ranges of different sizes (3x1, 2x1)"
    assert value_error(call("ef_grade", close, cell(0.5), [[1.0, 2.0]])).endswith("not 1x2")


# --------------------------------------------------------------------------- EF_SCORE


def test_score_of_rows_of_factor_scores() -> None:
    rows = [[5.0] * 9, [1.0] * 9, [3.0, None, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0], [None] * 9]
    assert call("ef_score", rows) == [[100.0], [0.0], [50.0], [""]]
    assert call("ef_score", [[5.0] * 9]) == [[100.0]]
    assert call("ef_score", column(*([5.0] * 4 + [1.0] * 5))) == [[round(100 * 55 / 100, 1)]]


def test_score_with_own_weights_and_bad_cells() -> None:
    assert call("ef_score", [[5.0, 1.0]], [[1.0, 3.0]]) == [[25.0]]
    assert call("ef_score", [[5.0, 1.0], [5.0, "x"]], [["1", 3.0]])[0] == [25.0]
    bad = call("ef_score", [[7.0] + [3.0] * 8, [3.0] * 9])
    assert bad[0][0] == "#VALUE! '7' is not understood (expected a score from 1 to 5)"
    assert bad[1] == [50.0]
    assert value_error(call("ef_score", [[5.0, 1.0]])).startswith("#VALUE! expects 9 factor scores")
    assert "weights must be 2 numbers" in value_error(call("ef_score", [[5.0, 1.0]], [[1.0, -1]]))


# --------------------------------------------------------------------------- EF_GATE, EF_ADJPROB


def ticks(*missing: int) -> list[Any]:
    """The nine milestone cells, ticked except the given 0-based positions."""
    return [None if i in missing else "✓" for i in range(9)]


def test_gate_passes_or_names_the_missing_milestones() -> None:
    assert call("ef_gate", cell(4.0), [ticks(4, 5, 6, 7, 8)]) == [[""]]
    assert call("ef_gate", cell("Bidding"), [ticks(1, 3)]) == [["M2 Coach; M3 Purchasing criteria"]]
    zh = call("ef_gate", cell("投标阶段"), [ticks(1, 3)], cell("zh"))
    assert zh == [["M2 内线; M3 采购标准"]]
    assert call("ef_gate", cell(1.0), [[None] * 9]) == [[""]]  # nothing is due at stage 1


def test_gate_per_deal_with_dates_and_bad_cells() -> None:
    rows = [ticks(), ticks(), ticks(), ticks()]
    rows[0][3] = serial(AS_OF)  # a date done counts as done
    rows[1][3] = "maybe"
    rows[2][3] = "否"
    result = call("ef_gate", column(5.0, 5.0, 5.0, None), rows)
    assert result[0] == [""]
    assert result[1][0].startswith("#VALUE! 'maybe' is not understood (expected a tick")
    assert result[2] == ["M3 Purchasing criteria"]
    assert result[3] == [""]
    vertical = call("ef_gate", cell(3.0), column(*ticks(2)))  # one deal's milestones down a column
    assert vertical == [["M2 Key persons"]]


def test_gate_bad_arguments() -> None:
    assert "expects 9 milestone cells" in value_error(call("ef_gate", cell(4.0), [["✓"] * 5]))
    mismatch = call("ef_gate", column(4.0, 3.0, 2.0), [ticks(), ticks()])
    assert value_error(mismatch) == "#VALUE! 3 stages but 2 rows of milestones"
    assert "use zh or en" in value_error(call("ef_gate", cell(4.0), [ticks()], cell("fr")))


def _template_deals(name: str) -> tuple[list[Any], list[list[Any]]]:
    """The Deals sheet of a shipped template as Office.js passes a range: header, rows."""
    ws = load_workbook(REPO / "templates" / name, data_only=True).worksheets[0]
    rows = [
        [serial(v) if isinstance(v, dt.date) else v for v in row]
        for row in ws.iter_rows(values_only=True)
    ]
    return rows[0], rows[1:]


@pytest.mark.parametrize("name", ["pipeline.xlsx", "pipeline_en.xlsx"])
def test_gate_takes_the_template_milestone_columns_as_they_are(name: str) -> None:
    """The template's milestone columns M:W hold two date columns: no 9 adjacent cells to pick."""
    header, rows = _template_deals(name)
    keys = [f.key for f in all_fields(udf_ruleset())]
    stage = keys.index("stage")
    ticks9 = [keys.index(f"m:{m.key}") for m in udf_ruleset().milestones]
    first, last = ticks9[0], ticks9[-1]
    stages = column(*[r[stage] for r in rows])
    want = call("ef_gate", stages, [[r[j] for j in ticks9] for r in rows])
    assert any(w != [""] for w in want) and not any(str(w[0]).startswith("#") for w in want)
    # the whole deal row (A2:AL…), with or without its header row
    assert call("ef_gate", stages, rows) == want
    assert call("ef_gate", stages, rows, None, [header]) == want
    # the milestone span M:W as the template lays it out, date columns included
    span = [r[first : last + 1] for r in rows]
    assert call("ef_gate", stages, span) == want
    # any range with columns in between, resolved by its header row (here F:W, from Stage on)
    part = [r[stage : last + 1] for r in rows]
    assert call("ef_gate", stages, part, None, [header[stage : last + 1]]) == want
    probs = column(*[r[keys.index("probability")] for r in rows])
    adj = call("ef_adjprob", stages, [[r[j] for j in ticks9] for r in rows], probs)
    assert call("ef_adjprob", stages, rows, probs, [header]) == adj
    # one deal, the row in one call; the header row may be fixed with $ and reused
    assert call("ef_gate", cell(rows[0][stage]), [rows[0]], None, [header]) == [want[0]]


@pytest.mark.parametrize("name", ["pipeline.xlsx", "pipeline_en.xlsx"])
def test_the_template_gate_note_documents_calls_that_work(name: str) -> None:
    ws = load_workbook(REPO / "templates" / name, data_only=True).worksheets[0]
    gate = next(c for c in ws[1] if c.comment is not None and "EF_GATE" in c.comment.text)
    assert gate.value in ("关口", "Gate")
    calls = re.findall(r"=EF_GATE\(([^)]*)\)", gate.comment.text)
    assert len(calls) == 2 and "=EF.EF_GATE(" in gate.comment.text

    def arg(text: str) -> Any:
        if text.startswith('"'):
            return cell(text.strip('"'))
        ref = text.replace("$", "")
        rows = ws[ref if ":" in ref else f"{ref}:{ref}"]
        return [
            [serial(c.value) if isinstance(c.value, dt.date) else c.value for c in r] for r in rows
        ]

    header, rows = _template_deals(name)
    ticks9 = [header.index(m.column.zh if name == "pipeline.xlsx" else m.column.en)
              for m in udf_ruleset().milestones]  # fmt: skip
    stage = header.index("阶段" if name == "pipeline.xlsx" else "Stage")
    want = call("ef_gate", cell(rows[0][stage]), [[rows[0][j] for j in ticks9]])
    for text in calls:
        assert call("ef_gate", *[arg(a) for a in text.split(",")]) == want, text


def test_gate_header_must_name_every_milestone() -> None:
    header, rows = _template_deals("pipeline_en.xlsx")
    cut = header.index("Coach")
    text = value_error(call("ef_gate", cell(3.0), [rows[0][:cut]], None, [header[:cut]]))
    assert text.startswith("#VALUE! the header has no column for M2 Coach, M2 Key persons")
    bad = value_error(call("ef_gate", cell(3.0), [rows[0]], None, [header[:5]]))
    assert bad == "#VALUE! the header has 5 cells but the milestones 38 columns"
    ten = value_error(call("ef_gate", cell(3.0), [["✓"] * 10]))
    assert ten.endswith("got 10; or give the whole row and its header row as header")


def test_adjusted_probability_halves_per_missing_milestone() -> None:
    assert call("ef_adjprob", cell(4.0), [ticks(3)], cell(0.6)) == [[0.3]]
    assert call("ef_adjprob", cell(4.0), [ticks(1, 2, 3)], cell("60%")) == [[0.15]]  # 2 stages
    assert call("ef_adjprob", cell(2.0), [ticks()], cell(None)) == [[0.2]]  # stage default
    result = call("ef_adjprob", column(5.0, 3.0, "x"), [ticks(0)], column(0.8, 150.0, 0.5))
    assert result[0] == [0.4]
    assert result[1][0] == "#VALUE! probability 150 is outside 0-100%"
    assert result[2][0].startswith("#VALUE! 'x' is not understood")
    assert "2 probabilities" in value_error(
        call("ef_adjprob", column(4.0, 3.0, 2.0), [ticks()], column(0.5, 0.6))
    )


# --------------------------------------------------------------------------- bid


def test_margin_markup_and_price() -> None:
    assert call("ef_margin", cell(100.0), cell(75.0)) == [[0.25]]
    assert call("ef_markup", cell(100.0), cell(80.0)) == [[0.25]]
    assert call("ef_price", cell(75.0), cell("25%")) == [[100.0]]
    prices = column("¥1.2万", "15,000", None)
    assert call("ef_margin", prices, cell(9000.0)) == [[0.25], [0.4], [""]]
    assert call("ef_price", [[80.0, 90.0]], cell(0.1))[0][0] == pytest.approx(80 / 0.9)


def test_bid_bad_arguments_stay_in_their_cell() -> None:
    result = call("ef_margin", column(0.0, 100.0, "lots"), cell(80.0))
    assert result[0][0] == "#VALUE! price: 0 must be greater than 0"
    assert result[1] == [pytest.approx(0.2)]
    assert result[2][0].startswith("#VALUE! 'lots' is not understood (expected an amount)")
    assert value_error(call("ef_price", cell(80.0), cell(25.0))).startswith(
        "#VALUE! margin: margin 25 must be below 1"
    )
    assert value_error(call("ef_markup", cell(100.0), cell(0.0))).endswith("must be greater than 0")
    overflow = call("ef_margin", cell(1e308), cell(-1e308), runtime="1.4")
    assert overflow == [[{"type": "Error", "errorType": "Num"}]]  # JSON has no infinity


def test_win_probability_models() -> None:
    ps = [[0.6, 0.7]]
    gates = 1 / (1 + 0.4 / 0.6 + 0.3 / 0.7)
    assert call("ef_winprob", ps)[0][0] == pytest.approx(gates)
    assert call("ef_winprob", ps, cell("Friedman"))[0][0] == pytest.approx(0.42)
    assert call("ef_winprob", column(0.6, 0.7), cell("friedman"))[0][0] == pytest.approx(0.42)
    block = call("ef_winprob", [[0.6, "70%"], [0.5, None], [None, None], [0.5, "?"]])
    assert block[0][0] == pytest.approx(gates)
    assert block[1:3] == [[0.5], [""]]
    assert block[3][0].startswith("#VALUE! '?' is not understood (expected a probability")
    assert "use gates or friedman" in value_error(call("ef_winprob", ps, cell("logit")))
    assert "outside 0..1" in value_error(call("ef_winprob", [[0.6, -0.2]]))


def test_win_probability_normal() -> None:
    mean, sd = 0.15, 0.05
    want = [1 - statistics.NormalDist(mean, sd).cdf(m) for m in (0.1, 0.2)]
    got = call("ef_winprob_normal", column(0.1, "20%"), cell(mean), cell(sd))
    assert [r[0] for r in got] == pytest.approx(want)
    assert value_error(call("ef_winprob_normal", cell(0.1), cell(0.1), cell(-1.0))).endswith(
        "is negative"
    )


def test_best_markup_on_a_grid() -> None:
    markups = column(0.0, 0.1, 0.2, 0.3)
    table = [[1.0, 1.0], [0.8, 0.9], [0.5, 0.6], [0.1, 0.2]]
    assert call("ef_best_markup", markups, table) == [[0.2]]
    friedman = call("ef_best_markup", markups, table, cell("friedman"))  # 0.072, 0.06: 10 % wins
    assert friedman == [[0.1]]
    transposed = [list(col) for col in zip(*table, strict=True)]  # competitors as rows
    assert call("ef_best_markup", [[0.0, 0.1, 0.2, 0.3]], transposed) == [[0.2]]
    assert "one row per markup" in value_error(call("ef_best_markup", markups, table[:3]))
    assert call("ef_best_markup", markups, [[NA_ERROR_IN, 1.0], *table[1:]]) == [[NA_ERROR_OUT]]


def test_best_markup_while_the_table_is_being_filled_in() -> None:
    """A markup whose P(beat) row is still blank is skipped, as a blank markup is; with nothing
    filled in the cell is blank, not a #VALUE! text; a bad P(beat) is still named."""
    markups = column(0.0, 0.1, 0.2, 0.3)
    table = [[1.0, 1.0], [0.8, 0.9], [None, None], [0.1, 0.2]]  # 20 % not filled in yet
    assert call("ef_best_markup", markups, table) == [[0.1]]  # 0.1 × 0.72 beats 0.3 × 0.02
    blank = [[None, None]] * 4
    assert call("ef_best_markup", markups, blank) == [[""]]
    assert call("ef_best_markup", column(None, None, None, None), table) == [[""]]
    bad = [[1.0, 1.0], [0.8, "?"], *table[2:]]
    assert "is not understood" in value_error(call("ef_best_markup", markups, bad))


def test_best_markup_normal_is_the_true_optimum() -> None:
    mean, sd = 0.15, 0.05
    best = call("ef_best_markup_normal", cell(mean), cell(sd))[0][0]
    dist = statistics.NormalDist(mean, sd)
    grid = [i / 100_000 for i in range(40_000)]
    brute = max(grid, key=lambda m: m * (1 - dist.cdf(m)))
    assert best == pytest.approx(brute, abs=2e-5)
    assert call("ef_best_markup_normal", cell(mean), cell(sd), cell(0.2)) == [[0.2]]
    # a blank mean or sd is not filled in yet: a blank cell, as EF_WINPROB_NORMAL gives
    assert call("ef_best_markup_normal", cell(mean), cell(None)) == [[""]]
    assert call("ef_best_markup_normal", cell(None), cell(None), cell(0.2)) == [[""]]
    assert "is not understood" in value_error(call("ef_best_markup_normal", cell("?"), cell(sd)))


# --------------------------------------------------------------------------- robustness


GARBAGE: list[Any] = [
    cell("x"),
    cell(NA_ERROR_IN),
    [[{"type": "Entity", "text": "Acme"}]],
    [[True, None], ["", -1e308]],
    [["1", 2.0, "3"]],
]


@pytest.mark.parametrize("excel_name", sorted(EXPECTED))
@pytest.mark.parametrize("garbage", GARBAGE, ids=range(len(GARBAGE)))
def test_garbage_never_raises_nor_shows_a_traceback(excel_name: str, garbage: Any) -> None:
    fn = getattr(udfs, excel_name.lower())
    required = sum(
        p.default is inspect.Parameter.empty for p in inspect.signature(fn).parameters.values()
    )
    result = call(fn.__name__, *([garbage] * required))
    assert isinstance(result, list)
    assert all(isinstance(row, list) for row in result)
    texts = [v for row in result for v in row if isinstance(v, str)]
    assert not any("Traceback" in t or "\n" in t for t in texts)


# --------------------------------------------------------------------------- classic COM shapes


def test_classic_desktop_values_are_read_too() -> None:
    """Classic xlwings calls the plain functions with COM values: tuples, datetimes, int errors."""
    assert udfs.ef_stage((("Bidding", -2146826246), ("开发", None))) == [[4, "#N/A"], [1, None]]
    close = dt.datetime(2026, 12, 28)  # pywin32 hands date cells over as datetimes
    assert udfs.ef_grade(close, 0.7, dt.datetime(2026, 11, 28)) == "A"
    assert udfs.ef_stage([[1.0, 2.0], [3.0]]) == [[1, 2], [3, None]]  # ragged rows padded
    assert udfs.ef_margin(((100.0,), (200.0,)), 50.0) == [[0.5], [0.75]]


def test_origin_must_lie_on_the_worksheet() -> None:
    table = [["Deal ID", "Stage"], ["D1", 2.0]]
    assert "outside the worksheet" in value_error(call("ef_check", table, None, None, cell("XFE1")))
    assert call("ef_check", table, None, None, cell("XFD1048575"))[0][0] == "Deal"
