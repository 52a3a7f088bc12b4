"""``excelflow bid WORKBOOK --deal ID [-o OUT] [--json bid.json] [--in-place]``: write a Bid sheet.

* With ``--json`` the bid (``bid.schema.json``) is written into the workbook, replacing the
  deal's Bid sheet if it has one; without a WORKBOOK it goes into a new workbook.
* Without ``--json`` an existing Bid sheet for the deal is **refreshed** from its own (possibly
  edited) inputs: formulas, snapshot and chart rewritten, inputs kept. A sheet with unreadable
  inputs is never rewritten (that could lose what the user typed): the problems are listed.
* Otherwise a new sheet is **seeded** from the deal's row: deal ID, customer, project, and
  whether the purchasing criteria favour us from the stage-3 milestone column (ticked: yes,
  "No": no, blank: not assessed). The budget stays blank: the pipeline's Amount is our own
  forecast, not the customer's budget, and BD02 would otherwise compare our price with our own
  guess. One placeholder cost line per category (quantity 1, unit cost blank) lists what to
  price; margins start at 25 % target / 10 % minimum, to be set by finance.

The workbook itself is never modified unless ``in_place`` is asked for (a timestamped backup is
kept, nothing is written while Excel holds the file, and a rewrite that would lose something
openpyxl cannot keep is refused). The default output is ``NAME.bid.xlsx`` (``.xlsm`` for macro
workbooks) beside the input. CSV, .xls, .xlsb and .ods inputs get an .xlsx copy of their values
plus the Bid sheet.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from excelflow.bid.analysis import analyze_bid, bid_issues
from excelflow.bid.checks import BidError
from excelflow.bid.doc import load_bid
from excelflow.bid.model import BidModel, CostCategory, CostLine
from excelflow.bid.sheet.book import BidEntry, bid_entries, write_bid_sheet
from excelflow.pipeline.coerce import parse_tick
from excelflow.pipeline.fields import milestone_key
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.read import ReadError, Source, pipeline_from_source, sniff
from excelflow.pipeline.ruleset import Lang, RuleSet, load_ruleset
from excelflow.rulesheet.read import workbook_ruleset
from excelflow.workbook.annotate import (
    MACRO_SUFFIXES,
    OPENPYXL_SUFFIXES,
    book_from_values,
    load_for_update,
)
from excelflow.workbook.losses import losses
from excelflow.workbook.safe_write import (
    WriteRefused,
    atomic_write,
    backup,
    check_not_open_in_excel,
)

SEED_TARGET_MARGIN = 0.25
SEED_MIN_MARGIN = 0.10
CRITERIA_MILESTONE = "criteria"


class BidCommandError(Exception):
    """A problem the user can act on; ``str()`` is the message (one or more lines)."""


@dataclass(frozen=True)
class BidOutcome:
    """What :func:`write_bid` did.

    Attributes:
        path: The workbook written.
        sheet: The Bid sheet's name.
        action: ``"seeded"``, ``"refreshed"`` or ``"imported"`` (from --json).
        model: The bid written.
        backup: The backup of an in-place update, else None.
        lost: What the rewritten workbook lacks compared with the input (a copy only).
        lang: The language the sheet was written in.
    """

    path: Path
    sheet: str
    action: str
    model: BidModel
    backup: Path | None = None
    lost: tuple[str, ...] = ()
    lang: Lang = "en"


def default_output(workbook: Path) -> Path:
    """``NAME.bid.xlsx`` beside the workbook (``.xlsm`` for macro workbooks)."""
    suffix = ".xlsm" if workbook.suffix.lower() in MACRO_SUFFIXES else ".xlsx"
    stem = workbook.stem.removesuffix(".bid")
    return workbook.with_name(f"{stem}.bid{suffix}")


def seed_model(pipeline: Pipeline, pos: int) -> BidModel:
    """A new bid for the deal at ``pos``: identity and criteria from its row, placeholder lines."""
    frame = pipeline.frame
    key = milestone_key(CRITERIA_MILESTONE)
    criteria: bool | None = None
    raw = pipeline.raw.get(key)
    tick = None if raw is None else parse_tick(raw[pos])
    if tick is not None:
        criteria = tick[0]
    elif key in frame and bool(frame[key].iloc[pos]):
        criteria = True  # blank tick but the milestone's date column is filled

    def text(field: str) -> str | None:
        value = frame[field].iloc[pos] if field in frame else None
        return None if value is None or value != value else str(value)

    return BidModel(
        deal_id=str(frame["deal_id"].iloc[pos]),
        customer=text("customer"),
        project=text("project"),
        cost_lines=tuple(CostLine(c, "", 1.0, None) for c in CostCategory),
        target_margin=SEED_TARGET_MARGIN,
        min_margin=SEED_MIN_MARGIN,
        criteria_favourable=criteria,
    )


def _open(
    workbook: Path, ruleset: RuleSet | None, need_pipeline: bool
) -> tuple[Pipeline | None, list[BidEntry]]:
    source = Source(workbook)
    try:
        rs = ruleset or workbook_ruleset(source, load_ruleset())[0]
        try:
            pipeline: Pipeline | None = pipeline_from_source(source, rs)
        except ReadError:
            if need_pipeline:
                raise
            pipeline = None
        return pipeline, bid_entries(source)
    finally:
        source.close()


def _find(pipeline: Pipeline | None, deal: str) -> int | None:
    if pipeline is None:
        return None
    ids = pipeline.frame["deal_id"].to_numpy(dtype=object)
    hits = [i for i, d in enumerate(ids) if d is not None and str(d) == deal]
    return hits[0] if hits else None


def _problem_lines(entry: BidEntry, lang: Lang) -> str:
    return "\n".join(f"  {p.cell or entry.sheet}: {p.message(lang)}" for p in entry.problems)


def write_bid(
    workbook: Path | None,
    deal: str | None,
    json_path: Path | None = None,
    output: Path | None = None,
    *,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    in_place: bool = False,
    ruleset: RuleSet | None = None,
    model: BidModel | None = None,
) -> BidOutcome:
    """Seed, refresh or import a deal's Bid sheet and save the workbook (see module doc).

    ``model`` (instead of ``json_path``) imports a bid built in Python, e.g. by the ribbon or
    the demo.

    Raises:
        BidCommandError: bad arguments, an unknown deal, an invalid --json file, or a Bid
            sheet with unreadable inputs.
        ReadError: the workbook cannot be read.
        WriteRefused: the write was refused (Excel holds the file, in-place would lose
            something, the output is the input); nothing was written over the input.
    """
    if workbook is None and json_path is None:
        raise BidCommandError("give a WORKBOOK, a --json bid file, or both")
    if json_path is not None and model is not None:
        raise BidCommandError("give a --json bid file or a model, not both")
    if in_place and (output is not None or workbook is None):
        raise BidCommandError("--in-place updates WORKBOOK itself: give a WORKBOOK and no -o")
    imported = model
    if json_path is not None:
        try:
            imported = load_bid(json_path)
        except BidError as exc:
            raise BidCommandError("\n".join([f"{json_path}: invalid bid", *exc.errors])) from None
    if imported is not None and deal is not None and deal != imported.deal_id:
        raise BidCommandError(
            f"--deal {deal} does not match the deal_id {imported.deal_id!r} of "
            f"{json_path or 'the bid'}"
        )
    deal_id = deal if deal is not None else imported.deal_id if imported is not None else None
    if deal_id is None:
        raise BidCommandError("--deal ID is required")
    pipeline, entries = (
        (None, []) if workbook is None else _open(workbook, ruleset, imported is None)
    )
    existing = next((e for e in entries if e.deal_id == deal_id), None)
    language: Lang = lang or (pipeline.lang if pipeline is not None else "en")
    if imported is not None:
        bid, action = imported, "imported"
    elif existing is not None:
        if existing.model is None or existing.problems:
            raise BidCommandError(
                f"{workbook}: the sheet {existing.sheet!r} has inputs that cannot be used; fix "
                f"them (or pass --json) and run again:\n{_problem_lines(existing, language)}"
            )
        bid, action = existing.model, "refreshed"
    else:
        pos = _find(pipeline, deal_id)
        if pos is None:
            n = 0 if pipeline is None else len(pipeline)
            raise BidCommandError(f"{workbook}: no deal {deal_id!r} among its {n} deals")
        assert pipeline is not None
        bid, action = seed_model(pipeline, pos), "seeded"
    replace = existing.sheet if existing is not None else None
    return _save(workbook, json_path, output, in_place, bid, language, replace, action, as_of)


def _save(
    workbook: Path | None,
    json_path: Path | None,
    output: Path | None,
    in_place: bool,
    model: BidModel,
    lang: Lang,
    replace: str | None,
    action: str,
    as_of: dt.date | None,
) -> BidOutcome:
    from openpyxl import Workbook

    native = workbook is not None and sniff(workbook) == "spreadsheet"
    native = native and workbook is not None and workbook.suffix.lower() in OPENPYXL_SUFFIXES
    if workbook is None:
        assert json_path is not None
        target = output or json_path.with_name(f"{json_path.stem}.bid.xlsx")
        wb = Workbook()
        if wb.active is not None:
            wb.remove(wb.active)
    else:
        if in_place and not native:
            raise WriteRefused(
                f"{workbook}: refused: a {workbook.suffix} file cannot be updated in place"
            )
        target = workbook if in_place else output or default_output(workbook)
        if not in_place and target.exists() and os.path.samefile(target, workbook):
            raise WriteRefused(f"{workbook}: refused: the output is the input; use --in-place")
        wb = (
            load_for_update(workbook, keep_vba=target.suffix.lower() in MACRO_SUFFIXES)[0]
            if native
            else book_from_values(workbook, lang)
        )
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise WriteRefused(f"{target}: refused: the output must be .xlsx or .xlsm")
    check_not_open_in_excel(target)
    layout = write_bid_sheet(wb, model, lang, replace=replace, when=as_of)
    for ws in wb.worksheets:
        ws.sheet_view.tabSelected = False
    wb.active = wb.sheetnames.index(layout.sheet)
    wb[layout.sheet].sheet_view.tabSelected = True
    lost: list[str] = []

    def check(tmp: Path) -> None:
        if native and workbook is not None:
            replaced = [replace] if replace else []
            lost[:] = losses(workbook, tmp, replaced=replaced, written=[layout.sheet], lang=lang)

    if not in_place or workbook is None:

        def writer(tmp: Path) -> None:
            wb.save(tmp)
            check(tmp)

        atomic_write(target, writer)
        return BidOutcome(target.resolve(), layout.sheet, action, model, None, tuple(lost), lang)
    fd, name = tempfile.mkstemp(
        prefix=f".{workbook.stem}.", suffix=workbook.suffix, dir=workbook.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        wb.save(tmp)
        check(tmp)
        if lost:
            raise WriteRefused(
                f"{workbook}: refused --in-place: the rewritten workbook would lack "
                f"{', '.join(lost)}; run with -o OUT to write a copy"
            )
        check_not_open_in_excel(workbook)
        saved = backup(workbook)
        os.replace(tmp, workbook)
    finally:
        if tmp.exists():
            tmp.unlink()
    return BidOutcome(workbook.resolve(), layout.sheet, action, model, saved, (), lang)


def _summary(outcome: BidOutcome, lang: Lang) -> list[str]:
    m = outcome.model
    zh = lang == "zh"
    verb = {
        "seeded": ("新建", "seeded"),
        "refreshed": ("刷新", "refreshed"),
        "imported": ("导入", "imported"),
    }[outcome.action]
    lines = [
        f"excelflow: {verb[0]}投标分析表「{outcome.sheet}」→ {outcome.path}"
        if zh
        else f"excelflow: {verb[1]} the sheet '{outcome.sheet}' in {outcome.path}"
    ]
    try:
        r = analyze_bid(m)
    except BidError as exc:
        r = None
        lines.append(f"excelflow: {'无法分析' if zh else 'not analysed'}: {exc}")
    if r is not None:
        c = m.currency
        fig: list[tuple[str, str, Any]] = [
            ("总成本", "total cost", r.total_cost),
            ("目标毛利率价格", "price at target margin", r.target.price),
            ("底价", "floor price", r.floor.price),
            ("推荐报价", "recommended price", r.recommended_price),
        ]
        lines.append(
            "excelflow: "
            + "; ".join(f"{z if zh else e} {v:,.0f} {c}" for z, e, v in fig)
            + (f"; {'建议放弃' if zh else 'withdraw advised'}" if r.withdraw.recommended else "")
        )
    codes = sorted({i.code for i in bid_issues(m, r)})
    if codes:
        lines.append(f"excelflow: {'待处理' if zh else 'to look at'}: {', '.join(codes)}")
    if outcome.backup is not None:
        lines.append(
            f"excelflow: {'原文件备份' if zh else 'backup of the original'}: {outcome.backup}"
        )
    if outcome.lost:
        lines.append(f"excelflow: note: the copy lacks {', '.join(outcome.lost)}")
    return lines


def bid_command(
    workbook: Path | None,
    deal: str | None,
    json_path: Path | None = None,
    output: Path | None = None,
    lang: Lang | None = None,
    as_of: dt.date | None = None,
    *,
    in_place: bool = False,
    ruleset_path: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The ``excelflow bid`` subcommand: 0 written; 2 bad arguments, unreadable or refused.

    Prints what was written and the bid's key figures (total cost, target, floor and
    recommended price, withdraw advice, BD codes to look at); errors go to stderr.
    """
    from excelflow.pipeline.ruleset import RuleSetError

    out = out or sys.stdout
    err = err or sys.stderr
    try:
        rs = load_ruleset(ruleset_path) if ruleset_path else None
        outcome = write_bid(
            workbook, deal, json_path, output, lang=lang, as_of=as_of, in_place=in_place, ruleset=rs
        )
    except RuleSetError as exc:
        print(f"excelflow: error: {exc.source}: invalid", file=err)
        for line in exc.errors:
            print(f"  {line}", file=err)
        return 2
    except (BidCommandError, ReadError, WriteRefused) as exc:
        print(f"excelflow: error: {exc}", file=err)
        return 2
    for line in _summary(outcome, outcome.lang):
        print(line, file=out)
    return 0
