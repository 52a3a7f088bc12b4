"""The blocks of one Bid sheet (投标分析) as a sheet plan: inputs, results, cost lines, subtotals,
competitors and the P(win) history, with their live formulas, tables and drop-downs.

What is live and what is a snapshot:

* **Live formulas** (recalculate in Excel when any yellow input cell changes): line totals
  (a calculated column of the cost-lines Table), subtotals by category (``SUMIFS``), direct cost,
  overhead, total cost, price at target margin, floor price, margin / markup / margin amount of
  the quoted price, proposed price, budget headroom, margin at the budget, the recommended price
  and its margin and expected profit, the withdraw advice, every competitor's implied price,
  difference and position, and per markup the price, margin, margin amount, expected profit and
  the below-floor flag; the chart's floor, budget and quote lines.
* **Snapshot** values written by ``excelflow bid`` (grey italic): the markup grid, P(win) per
  markup under each model, the recommended markup and its P(win), the competitors' history
  medians and the outside-history flags. P(win | markup) depends only on the competitor data,
  and the best markup maximizes ``C × m × P(m)`` whatever the cost C, so these stay right when
  costs change; after changing competitor data, the minimum margin, the win model or the markup
  grid, run ``excelflow bid`` again to refresh them.

:func:`excelflow.bid.sheet.book.build_bid_sheet` returns, with the plan, a :class:`BidSheetLayout`
naming every cell it laid out, so the agreement test can check each formula against
:func:`excelflow.bid.analysis.analyze_bid`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from excelflow.bid.analysis import WinTable
from excelflow.bid.model import DEFAULT_MARKUPS, BidModel, CostCategory
from excelflow.bid.result import BidResult
from excelflow.bid.sheet import style as st
from excelflow.bid.sheet.layout import (
    COMPETITOR_HEADERS,
    COST_HEADERS,
    HISTORY_HEADERS,
    INPUTS,
    RESULTS,
    SECTIONS,
    SUBTOTAL_HEADERS,
    WIN_MODEL_NAMES,
    WORDS,
    Label,
    category_label,
    table_name,
)
from excelflow.pipeline.ruleset import Lang
from excelflow.sheets.parts import Area, Cell, Formula, Table, TableColumn, Validation
from excelflow.sheets.plan import SheetPlan, address
from excelflow.sheets.text import literal_list

INPUT_ROW = 5
"""First row of the input and result blocks (their section titles sit one row above)."""
INPUT_COL, RESULT_COL = 1, 4
SUBTOTAL_COL = 8  # column H: the subtotals table beside the cost lines


@dataclass
class BidSheetLayout:
    """Where a Bid sheet's layout put things.

    Attributes:
        sheet: The sheet's name.
        cells: Key -> cell (``"B13"``): ``in.<input>``, ``out.<result>``,
            ``line.<i>.<column>``, ``sub.<category>``, ``share.<category>``, ``sub.total``,
            ``comp.<i>.<column>``, ``our_position``, ``hist.<j>.<column>``,
            ``sens.<k>.<column>``, ``chart.<line>.<x|x1|y0|y1>``, ``table.<section>`` (its
            header's first cell) and ``section.<section>`` (its title).
        tables: Section -> Excel table name.
        result: The Python analysis the sheet was written from (None when it failed).
        snapshot: The cost-independent P(win) snapshot (None when the inputs do not allow it).
    """

    sheet: str
    cells: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    result: BidResult | None = None
    snapshot: WinTable | None = None


class SheetBuilder:
    """Lays out the blocks of one Bid sheet top to bottom into :attr:`plan`, recording every cell
    in :attr:`layout`."""

    def __init__(self, name: str, model: BidModel, lang: Lang, taken: set[str]) -> None:
        """Prepare to lay out ``model`` as the sheet ``name``.

        Args:
            name: The sheet's name.
            model: The bid to lay out.
            lang: Labels in Chinese or English.
            taken: Table names already used in the workbook (names get added as tables are made).
        """
        self.model, self.lang, self.taken = model, lang, taken
        self.plan = SheetPlan(styles=dict(st.STYLES))
        self.layout = BidSheetLayout(name)
        self.cells = self.layout.cells
        self.at: dict[str, Cell] = {}
        self.cost_table = self._reserve("BidCosts")
        self.cost_names = [h.text(lang) for h in COST_HEADERS]

    # ------------------------------------------------------------------ helpers

    def _reserve(self, prefix: str) -> str:
        name = table_name(prefix, self.model.deal_id, self.taken)
        self.taken.add(name)
        return name

    def put(
        self, row: int, col: int, value: Any, *looks: str, key: str | None = None,
        fmt: str | None = None,
    ) -> str:  # fmt: skip
        """Put ``value`` at (row, col) wearing the styles ``looks`` (names in
        :data:`~excelflow.bid.sheet.style.STYLES`) and the number format ``fmt``; remember it
        under ``key``; return its coordinate."""
        self.plan.put(row, col, value, *looks, *st.number(fmt))
        coord = address((row, col))
        if key is not None:
            self.cells[key] = coord
            self.at[key] = (row, col)
        return coord

    def ref(self, key: str) -> str:
        """Absolute reference (``$B$13``) of a cell laid out earlier."""
        coord = self.cells[key]
        letters = coord.rstrip("0123456789")
        return f"${letters}${coord[len(letters) :]}"

    def word(self, key: str) -> str:
        """A fixed word (Yes/是, Withdraw/建议放弃, …) in the sheet's language."""
        return WORDS[key](self.lang)

    def section(self, row: int, col: int, key: str, span: int) -> None:
        """A section title, underlined across ``span`` columns."""
        title = SECTIONS[key](self.lang)
        self.put(row, col, title, "section", "section line", key=f"section.{key}")
        if span > 1:
            self.plan.style((row, col + 1, row, col + span - 1), "section line")

    def headers(self, row: int, col: int, labels: tuple[Label, ...]) -> list[str]:
        """Table headers from ``labels``, the row tall enough for them; returns their texts."""
        names = [h.text(self.lang) for h in labels]
        lines = 1
        for j, text in enumerate(names):
            self.put(row, col + j, text, "header")
            width = st.WIDTHS.get(col + j, 10.0)
            lines = max(lines, st.text_lines(text, width - 2))
        heights = self.plan.heights
        heights[row] = max(heights.get(row, 15.0), 15.0 * lines)
        return names

    def table(
        self, key: str, area: Area, name: str | None = None, columns: tuple[TableColumn, ...] = ()
    ) -> None:
        """Make ``area`` an Excel table (a reserved ``name`` or a fresh one). A table with
        ``columns`` has no filter buttons."""
        name = name or self._reserve("Bid" + key.title())
        self.plan.tables.append(
            Table(area, name, column_stripes=False, columns=columns, autofilter=not columns)
        )
        self.layout.tables[key] = name
        self.cells[f"table.{key}"] = address(area[:2])

    def validation(self, options: list[str], area: Area) -> None:
        """A drop-down list on ``area`` (blank allowed)."""
        self.plan.validations.append(
            Validation(area, "list", formula1=literal_list(options), allow_blank=True)
        )

    def area(self, *keys: str) -> Area:
        """The area from the first cell to the last of ``keys`` (laid out earlier)."""
        (r1, c1), (r2, c2) = self.at[keys[0]], self.at[keys[-1]]
        return (r1, c1, r2, c2)

    # ------------------------------------------------------------------ inputs and results

    def inputs(self) -> None:
        """The input block: labels in A, yellow input cells in B."""
        m, lang = self.model, self.lang
        yes_no = {True: self.word("yes"), False: self.word("no"), None: None}
        values: dict[str, Any] = {
            "deal_id": m.deal_id,
            "customer": m.customer,
            "project": m.project,
            "currency": m.currency,
            "target_margin": m.target_margin,
            "min_margin": m.min_margin,
            "overhead_pct": m.overhead_pct,
            "budget": m.budget,
            "quoted_price": m.quoted_price,
            "criteria_favourable": yes_no[m.criteria_favourable],
            "our_rank": m.our_rank,
            "withdraw_threshold": m.withdraw_threshold,
            "withdraw_requires_both": yes_no[m.withdraw_requires_both],
            "win_model": None if m.win_model is None else WIN_MODEL_NAMES[m.win_model](lang),
            "lowest_bid_mean": m.lowest_bid_mean,
            "lowest_bid_sd": m.lowest_bid_sd,
            "markups": None
            if m.markups == DEFAULT_MARKUPS
            else ", ".join(repr(float(x)) for x in m.markups),
        }
        self.section(INPUT_ROW - 1, INPUT_COL, "inputs", 2)
        for i, label in enumerate(INPUTS):
            row = INPUT_ROW + i
            self.put(row, INPUT_COL, label.text(lang), "label")
            fmt = st.INPUT_FORMATS.get(label.key)
            value = values[label.key]
            self.put(row, INPUT_COL + 1, value, "input", key=f"in.{label.key}", fmt=fmt)
        yes_no_list = [self.word("yes"), self.word("no")]
        self.validation(yes_no_list, self.area("in.criteria_favourable"))
        self.validation(yes_no_list, self.area("in.withdraw_requires_both"))
        models = [WIN_MODEL_NAMES[k](lang) for k in ("friedman", "gates", "normal")]
        self.validation(models, self.area("in.win_model"))

    def results(self, snapshot: WinTable | None) -> None:
        """The result block: labels in D, live formulas (and two snapshot values) in E."""
        r, col = self.ref, RESULT_COL
        self.section(INPUT_ROW - 1, col, "results", 2)
        rows = {label.key: INPUT_ROW + i for i, label in enumerate(RESULTS)}
        for label in RESULTS:
            self.put(rows[label.key], col, label.text(self.lang), "label")
        target, floor, q = r("in.target_margin"), r("in.min_margin"), r("in.quoted_price")
        b = r("in.budget")
        e = {k: f"$E${v}" for k, v in rows.items()}
        c, rec, pwin = e["total_cost"], e["rec_markup"], e["rec_pwin"]
        price = e["rec_price"]
        opt = None if snapshot is None else snapshot.optimum
        amount = f"{self.cost_table}[{self.cost_names[5]}]"
        cells: dict[str, tuple[str | float | None, str | None]] = {  # formulas and snapshots
            "direct_cost": (f"=SUM({amount})", st.MONEY),
            "overhead": (f"={e['direct_cost']}*{r('in.overhead_pct')}", st.MONEY),
            "total_cost": (f"={e['direct_cost']}+{e['overhead']}", st.MONEY),
            "target_price": (f"={c}/(1-{target})", st.MONEY),
            "floor_price": (f"={c}/(1-{floor})", st.MONEY),
            "quote_margin": (f'=IF(AND(ISNUMBER({q}),{q}>0),({q}-{c})/{q},"")', st.PCT),
            "quote_markup": (f'=IF(AND(ISNUMBER({q}),{c}>0),({q}-{c})/{c},"")', st.PCT),
            "quote_amount": (f'=IF(ISNUMBER({q}),{q}-{c},"")', st.MONEY),
            "proposed_price": (f"=IF(ISNUMBER({q}),{q},{e['target_price']})", st.MONEY),
            "budget_headroom": (f'=IF(ISNUMBER({b}),{b}-{e["proposed_price"]},"")', st.MONEY),
            "budget_margin": (f'=IF(AND(ISNUMBER({b}),{b}>0),({b}-{c})/{b},"")', st.PCT),
            "rec_markup": (None if opt is None else opt.markup, st.PCT),
            "rec_price": (f"=IF(ISNUMBER({rec}),{c}*(1+{rec}),{e['target_price']})", st.MONEY),
            "rec_margin": (f'=IF({price}>0,({price}-{c})/{price},"")', st.PCT),
            "rec_pwin": (None if opt is None else opt.p_win, st.PCT),
            "rec_profit": (f'=IF(ISNUMBER({pwin}),({price}-{c})*{pwin},"")', st.MONEY),
            "withdraw": (self._withdraw_formula(e["rec_profit"], c), None),
        }
        kinds = {"rec_markup": "snapshot", "rec_pwin": "snapshot", "rec_price": "recommended"}
        for key, (value, fmt) in cells.items():
            kind = kinds.get(key, "result")
            cell = Formula(value) if isinstance(value, str) else value
            self.put(rows[key], col + 1, cell, kind, key=f"out.{key}", fmt=fmt)

    def _withdraw_formula(self, profit: str, cost: str) -> str:
        """Withdraw when criteria are against us or the best expected profit is at or below the
        threshold (both, when the both-reasons input says yes); blank while the cost is 0."""
        crit, both = self.ref("in.criteria_favourable"), self.ref("in.withdraw_requires_both")
        thr = self.ref("in.withdraw_threshold")
        no = ",".join(f'{crit}="{w}"' for w in (WORDS["no"].en, WORDS["no"].zh))
        yes = ",".join(f'{both}="{w}"' for w in (WORDS["yes"].en, WORDS["yes"].zh))
        against, low = f"OR({no})", f"AND(ISNUMBER({profit}),{profit}<={thr})"
        verdict = f"IF(OR({yes}),AND({against},{low}),OR({against},{low}))"
        advice = f'IF({verdict},"{self.word("withdraw")}","{self.word("bid")}")'
        return f'=IF(N({cost})>0,{advice},"")'

    # ------------------------------------------------------------------ cost lines

    def costs(self, row: int) -> int:
        """The cost-lines table (title at ``row``) and the subtotals beside it; returns the
        last row used."""
        lang, lines, name = self.lang, self.model.cost_lines, self.cost_table
        self.section(row, 1, "costs", 6)
        head = row + 1
        names = self.headers(head, 1, COST_HEADERS)
        first = head + 1
        last = first + max(len(lines), 1) - 1
        per_row = f"{name}[[#This Row],[{names[3]}]]*{name}[[#This Row],[{names[4]}]]"
        keys = ("category", "description", "supplier", "quantity", "unit_cost")
        for i in range(last - first + 1):
            ln = lines[i] if i < len(lines) else None
            values = (
                [None] * 5
                if ln is None
                else [
                    category_label(ln.category, lang),
                    ln.description or None,
                    ln.supplier,
                    ln.quantity,
                    ln.unit_cost,
                ]
            )
            for j, (key, value) in enumerate(zip(keys, values, strict=True)):
                fmt = st.COST_FORMATS.get(key)
                self.put(first + i, 1 + j, value, "input", key=f"line.{i}.{key}", fmt=fmt)
            self.put(first + i, 6, Formula(f"={per_row}"), key=f"line.{i}.amount", fmt=st.MONEY2)
        columns = (*(TableColumn(n) for n in names[:5]), TableColumn(names[5], per_row))
        self.table("costs", (head, 1, last, 6), name, columns)
        categories = [category_label(c, lang) for c in CostCategory]
        self.validation(categories, (first, 1, last, 1))
        self._subtotals(row)
        return max(last, head + len(CostCategory) + 1)

    def _subtotals(self, row: int) -> None:
        col = SUBTOTAL_COL
        self.section(row, col, "subtotals", 3)
        self.headers(row + 1, col, SUBTOTAL_HEADERS)
        amount = f"{self.cost_table}[{self.cost_names[5]}]"
        category = f"{self.cost_table}[{self.cost_names[0]}]"
        direct = self.ref("out.direct_cost")
        for i, cat in enumerate(CostCategory):
            r = row + 2 + i
            label = self.put(r, col, category_label(cat, self.lang))
            sumifs = Formula(f"=SUMIFS({amount},{category},{label})")
            sub = self.put(r, col + 1, sumifs, key=f"sub.{cat.value}", fmt=st.MONEY)
            share = Formula(f'=IF({direct}>0,{sub}/{direct},"")')
            self.put(r, col + 2, share, key=f"share.{cat.value}", fmt=st.PCT)
        total = row + 2 + len(CostCategory)
        self.table("subtotals", (row + 1, col, total - 1, col + 2))
        self.put(total, col, self.word("total"), "label", "bold")
        span = f"{self.cells['sub.equipment']}:{self.cells['sub.other']}"
        self.put(total, col + 1, Formula(f"=SUM({span})"), "bold", key="sub.total", fmt=st.MONEY)

    # ------------------------------------------------------------------ competitors

    def competitors(self, row: int, snapshot: WinTable | None) -> int:
        """The competitor table (inputs, then live implied price and position); returns the
        row of the "our price position" line under it."""
        comps = self.model.competitors
        self.section(row, 1, "competitors", len(COMPETITOR_HEADERS))
        head = row + 1
        self.headers(head, 1, COMPETITOR_HEADERS)
        first = head + 1
        last = first + max(len(comps), 1) - 1
        cost, q, rec = (
            self.ref("out.total_cost"),
            self.ref("in.quoted_price"),
            self.ref("out.rec_price"),
        )
        ours = f"IF(ISNUMBER({q}),{q},{rec})"  # the quote, else the recommended price
        medians = () if snapshot is None else snapshot.history_medians
        keys = [h.key for h in COMPETITOR_HEADERS]
        w = {k: self.word(k) for k in ("stated", "ratio_mean", "history_median")}
        for i in range(last - first + 1):
            r = first + i
            comp = comps[i] if i < len(comps) else None
            vals = [None] * 5 if comp is None else [
                comp.name, comp.rank, comp.expected_price, comp.ratio_mean, comp.ratio_sd
            ]  # fmt: skip
            for j in range(5):
                fmt = st.COMPETITOR_FORMATS.get(keys[j])
                self.put(r, 1 + j, vals[j], "input", key=f"comp.{i}.{keys[j]}", fmt=fmt)
            median = medians[i] if i < len(medians) else None
            self.put(r, 6, median, "snapshot", key=f"comp.{i}.median", fmt=st.PCT)
            exp, mean, med = f"C{r}", f"D{r}", f"F{r}"
            implied = (
                f"=IF(ISNUMBER({exp}),{exp},IF(ISNUMBER({mean}),{mean}*{cost},"
                f'IF(ISNUMBER({med}),{cost}*(1+{med}),"")))'
            )
            basis = (
                f'=IF(ISNUMBER({exp}),"{w["stated"]}",IF(ISNUMBER({mean}),"{w["ratio_mean"]}",'
                f'IF(ISNUMBER({med}),"{w["history_median"]}","")))'
            )
            position = (
                f'=IF(ISNUMBER(G{r}),IF(ABS(I{r})<=1E-9*G{r},"{self.word("equal")}",'
                f'IF(I{r}<0,"{self.word("below")}","{self.word("above")}")),"")'
            )
            derived = (
                ("implied", implied, st.MONEY),
                ("basis", basis, None),
                ("difference", f'=IF(ISNUMBER(G{r}),{ours}-G{r},"")', st.MONEY),
                ("difference_pct", f'=IF(N(G{r})<>0,I{r}/G{r},"")', st.PCT),  # no cost: 0
                ("position", position, None),
            )
            for j, (key, formula, fmt) in enumerate(derived):
                centre = ("centre",) if key in ("basis", "position") else ()
                self.put(r, 7 + j, Formula(formula), *centre, key=f"comp.{i}.{key}", fmt=fmt)
        self.table("competitors", (head, 1, last, 11))
        below = last + 1
        self.put(below, 1, self.word("our_position"), "label")
        count = f'1+COUNTIF(K{first}:K{last},"{self.word("above")}")'
        rank = Formula(f'=IF(COUNT(G{first}:G{last})=0,"",{count})')
        self.put(below, 2, rank, "result", "bold", key="our_position")
        return below

    def history(self, row: int) -> int:
        """The P(beat) history table in long form (competitor, markup, probability)."""
        points = [(c.name, m, p) for c in self.model.competitors for m, p in (c.p_beat or ())]
        self.section(row, 1, "history", 3)
        head = row + 1
        self.headers(head, 1, HISTORY_HEADERS)
        first = head + 1
        last = first + max(len(points), 1) - 1
        for j in range(last - first + 1):
            name, m, p = points[j] if j < len(points) else (None, None, None)
            self.put(first + j, 1, name, "input", key=f"hist.{j}.name")
            self.put(first + j, 2, m, "input", key=f"hist.{j}.markup", fmt=st.PCT)
            self.put(first + j, 3, p, "input", key=f"hist.{j}.probability", fmt=st.PCT)
        self.table("history", (head, 1, last, 3))
        return last
