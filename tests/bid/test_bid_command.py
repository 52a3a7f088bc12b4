"""``bid_command``: seed a Bid sheet from a deal row, refresh an edited one, import --json."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

from bid.bid_helpers import AS_OF, EXAMPLE, example, pipeline_book, read_entries
from excelflow import api
from excelflow.bid.model import CostCategory, CostLine
from excelflow.cli.bid import bid_command
from excelflow.workbook.safe_write import default_output
from excelflow.workbook.sample import sample_deals, write_sample


def run(*args: object, **kwargs: object) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = bid_command(*args, as_of=AS_OF, out=out, err=err, **kwargs)  # type: ignore[arg-type]
    return code, out.getvalue(), err.getvalue()


def test_seed_a_new_sheet_from_the_deal_row(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    pipeline_book(path)
    before = path.read_bytes()
    code, out, err = run(path, "D-00001", None, None)
    assert code == 0, err
    target = tmp_path / "pipeline.bid.xlsx"
    assert path.read_bytes() == before  # the user's workbook is untouched
    assert "seeded the sheet 'Bid – D-00001'" in out and "BD04" in out
    wb = load_workbook(target)
    assert wb.sheetnames == ["Deals", "Bid – D-00001"]
    assert wb.active is not None and wb.active.title == "Bid – D-00001"
    [entry] = read_entries(target)
    m = entry.model
    assert m is not None and entry.problems == ()
    headers, rows = sample_deals(12, lang="en", as_of=AS_OF)
    assert m.customer == rows[0][headers.index("Customer")]
    assert m.criteria_favourable is False  # the sample's first deal says "No" to criteria
    assert m.budget is None and m.quoted_price is None
    assert [ln.category for ln in m.cost_lines] == list(CostCategory)
    assert all(ln.unit_cost is None for ln in m.cost_lines)
    rep = api.validate_file(target, as_of=AS_OF)
    assert rep.result is not None
    codes = list(rep.result.findings["code"])
    # unpriced: no total cost, so no analysis and no withdraw advice yet (BD03 waits for it)
    assert codes.count("BD04") == 8 and "BD03" not in codes


def test_refresh_an_edited_sheet_in_place_with_a_backup(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    layout = pipeline_book(path, example(deal_id="D-00001"))[0]
    wb = load_workbook(path)
    ws = wb[layout.sheet]
    ws["E25"] = 150_000  # the switches got cheaper
    ws["B13"] = 700_000  # and finance set the quote
    wb.save(path)
    code, out, err = run(path, "D-00001", None, None, in_place=True)
    assert code == 0, err
    assert "refreshed" in out and "backup of the original" in out
    backups = list(tmp_path.glob("pipeline.*.bak.xlsx"))
    assert len(backups) == 1
    [entry] = read_entries(path)
    assert entry.model == example(
        deal_id="D-00001",
        quoted_price=700_000.0,
        cost_lines=(
            CostLine(CostCategory.EQUIPMENT, "核心交换机", 2, 150_000.0, "华为"),
            *example().cost_lines[1:],
        ),
    )
    assert load_workbook(path).sheetnames == ["Deals", "Bid – D-00001"]


def test_a_sheet_with_unreadable_inputs_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    layout = pipeline_book(path, example(deal_id="D-00001"))[0]
    wb = load_workbook(path)
    wb[layout.sheet]["A26"] = "Sofware"
    wb.save(path)
    before = path.read_bytes()
    code, _, err = run(path, "D-00001", None, None, in_place=True)
    assert code == 2
    assert "A26: Unknown cost category 'Sofware'" in err
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.bak.*"))


def test_import_json_into_a_workbook_and_into_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    pipeline_book(path)
    out_path = tmp_path / "out" / "with-bid.xlsx"
    code, _, err = run(path, None, EXAMPLE, out_path, lang="zh")
    assert code == 2 and "does not exist" in err and not out_path.parent.exists()  # no mkdir -p
    out_path.parent.mkdir()
    code, out, err = run(path, None, EXAMPLE, out_path, lang="zh")
    assert code == 0, err
    assert "导入投标分析表「投标分析 – OPP-2024-017」" in out
    [entry] = read_entries(out_path)
    assert entry.model == example()

    doc = tmp_path / "bid.json"
    doc.write_bytes(EXAMPLE.read_bytes())
    code, out, err = run(None, None, doc, None)
    assert code == 0, err
    alone = tmp_path / "bid.bid.xlsx"
    assert load_workbook(alone).sheetnames == ["Bid – OPP-2024-017"]
    assert [e.model for e in read_entries(alone)] == [example()]


def test_csv_pipeline_gets_an_xlsx_copy_with_the_sheet(tmp_path: Path) -> None:
    headers, rows = sample_deals(5, lang="en", as_of=AS_OF)
    path = write_sample(tmp_path / "deals.csv", headers, rows)
    code, _, err = run(path, "D-00001", None, None)
    assert code == 0, err
    target = tmp_path / "deals.bid.xlsx"
    assert load_workbook(target).sheetnames == ["Deals", "Bid – D-00001"]
    code, _, err = run(path, "D-00001", None, None, in_place=True)
    assert code == 2 and "cannot be updated in place" in err


def test_refusals_and_bad_arguments(tmp_path: Path) -> None:
    path = tmp_path / "pipeline.xlsx"
    pipeline_book(path)
    assert run(None, "D-1", None, None)[0] == 2
    code, _, err = run(path, "D-404", None, None)
    assert code == 2 and "no deal 'D-404' among its 12 deals" in err
    code, _, err = run(path, "D-00001", EXAMPLE, None)
    assert code == 2 and "does not match the deal_id 'OPP-2024-017'" in err
    bad = tmp_path / "bad.json"
    bad.write_text('{"deal_id": "D-1", "cost_lines": [], "target_margin": 1.5}', encoding="utf-8")
    code, _, err = run(path, None, bad, None)
    assert code == 2 and "target_margin" in err
    assert run(path, "D-00001", None, tmp_path / "x.xlsx", in_place=True)[0] == 2
    lock = tmp_path / "~$pipeline.xlsx"
    lock.write_text("x", encoding="utf-8")
    code, _, err = run(path, "D-00001", None, None, in_place=True)
    assert code == 2 and "open in Excel" in err
    lock.unlink()
    code, _, err = run(path, "D-00001", None, tmp_path / "out.csv")
    assert code == 2 and ".xlsx or .xlsm" in err
    assert not (tmp_path / "out.csv").exists()


def test_default_output_names(tmp_path: Path) -> None:
    assert default_output(Path("a/pipe.xlsx"), "bid", strip_tag=True) == Path("a/pipe.bid.xlsx")
    assert default_output(Path("a/pipe.xlsm"), "bid", strip_tag=True) == Path("a/pipe.bid.xlsm")
    assert default_output(Path("a/pipe.bid.xlsx"), "bid", strip_tag=True) == Path("a/pipe.bid.xlsx")
    assert default_output(Path("deals.csv"), "bid", strip_tag=True) == Path("deals.bid.xlsx")
    path = tmp_path / "p.xlsx"
    pipeline_book(path)
    assert run(path, "D-00001", None, None)[0] == 0
    code, _, err = run(tmp_path / "p.bid.xlsx", "D-00001", None, None)
    assert code == 2 and "the output is the input; use --in-place" in err
