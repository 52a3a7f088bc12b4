"""The notes at the foot of a Bid sheet (说明), in Chinese or English.

They say which figure is which (margin vs markup), what recalculates live and what is a snapshot,
where the win-probability models come from, and what the analysis could not do for this bid.
"""

from __future__ import annotations

import datetime as dt

from excelflow.bid.analysis import WinTable
from excelflow.bid.model import BidModel
from excelflow.bid.sheet.layout import WIN_MODEL_NAMES
from excelflow.pipeline.ruleset import Lang, Text

_FIXED: tuple[Text, ...] = (
    Text(
        "毛利率 = (价格 − 成本) / 价格；加价率 = (价格 − 成本) / 成本。总成本 C = 直接成本 × "
        "(1 + 管理费用率)；目标毛利率价格 = C / (1 − 目标毛利率)；底价 = C / (1 − 最低毛利率)。",
        "Margin = (price − cost) / price; markup = (price − cost) / cost. Total cost C = direct "
        "cost × (1 + overhead rate); price at target margin = C / (1 − target margin); floor "
        "price = C / (1 − minimum margin).",
    ),
    Text(
        "实时公式：黑色数字都是 Excel 公式——修改数量、单价、毛利率、预算或报价，合计、价格、"
        "毛利、期望利润、价格位置和投标建议会立即重算。在成本明细表内插入行即可增加成本项，"
        "金额和分类小计自动跟随。",
        "Live: every black figure is an Excel formula — change a quantity, a unit cost, a "
        "margin, the budget or the quoted price and the totals, prices, margins, expected "
        "profits, positions and the bid/withdraw advice recalculate. Add cost lines inside the "
        "table; line totals and subtotals follow.",
    ),
    Text(
        "赢率模型：Friedman (1956) P(赢) = Π P(胜过对手 i)；Gates (1967) P(赢) = 1 / (1 + "
        "Σ (1 − P_i) / P_i)；正态模型：最低竞争加价率 ~ N(均值, 标准差)，P(赢) = 1 − Φ((m − "
        "均值) / 标准差)。历史概率按加价率线性插值，超出历史范围时取端点值（标为“超出历史数据”）。"
        "期望利润 = (价格 − 成本) × P(赢)。",
        "P(win): Friedman (1956) P(win) = Π P(beat competitor i); Gates (1967) P(win) = "
        "1 / (1 + Σ (1 − P_i) / P_i); normal model: the lowest competing markup ~ N(mean, sd), "
        "P(win) = 1 − Φ((m − mean) / sd). P(beat) histories are interpolated linearly and held "
        "flat outside their range (marked 'outside history'). Expected profit = (price − cost) "
        "× P(win).",
    ),
    Text(
        "投标建议：采购标准对我方不利，或最佳期望利润不高于放弃阈值时，建议放弃（“两项理由同时"
        "成立才放弃”为“是”时需两者同时成立）。",
        "Bid or withdraw: withdraw when the purchasing criteria are against us or the best "
        "expected profit is at or below the withdraw threshold (both, when 'Withdraw only if "
        "both reasons hold' is Yes).",
    ),
)


def sheet_notes(
    model: BidModel,
    snapshot: WinTable | None,
    problems: list[Text],
    lang: Lang,
    when: dt.date | None = None,
) -> list[str]:
    """The notes for one Bid sheet, one paragraph per list item.

    Args:
        model: The bid written on the sheet.
        snapshot: Its P(win) snapshot, None when the inputs do not allow one.
        problems: What the analysis could not do (shown last).
        lang: Chinese or English.
        when: The date the snapshot was taken (shown in the snapshot note).
    """
    day = (when or dt.date.today()).isoformat()
    snap = Text(
        f"快照（灰色斜体，excelflow bid 于 {day} 写入）：加价率网格、各加价率的赢率、"
        "历史中位加价率、推荐加价率及其赢率。赢率只取决于竞争对手数据，最佳加价率与成本无关，"
        "所以修改成本后它们仍然正确；修改竞争对手、历史概率、最低毛利率、赢率模型或加价率网格后，"
        "请重新运行 excelflow bid。",
        f"Snapshot (grey italic, written by excelflow bid on {day}): the markup grid, P(win) per "
        "markup, history medians, and the recommended markup with its P(win). P(win) depends "
        "only on the competitor data and the best markup does not depend on cost, so they stay "
        "right when costs change; after changing competitors, the P(beat) history, the minimum "
        "margin, the win model or the markup grid, run excelflow bid again.",
    )
    out = [_FIXED[0](lang), _FIXED[1](lang), snap(lang), _FIXED[2](lang), _FIXED[3](lang)]
    if snapshot is not None:
        if snapshot.selected is None:
            used = Text(
                "本投标没有可用的赢率模型（需要每个对手的历史概率或报价/成本比，或最低竞争加价率的"
                "均值和标准差），推荐报价取目标毛利率价格。",
                "No win-probability model is available for this bid (it needs a P(beat) history "
                "or a price ÷ cost ratio for every competitor, or the mean and sd of the lowest "
                "competing markup); the recommended price is the price at target margin.",
            )
        else:
            name = WIN_MODEL_NAMES[snapshot.selected]
            used = Text(
                f"本表采用的赢率模型：{name.zh}。",
                f"Win-probability model used here: {name.en}.",
            )
        out.append(used(lang))
    for comp in model.competitors:
        if not comp.has_win_data:
            skipped = Text(
                f"竞争对手「{comp.name}」没有胜率数据，因此未使用 Friedman 和 Gates 模型。",
                f"Competitor '{comp.name}' has no win data, so Friedman and Gates are skipped.",
            )
            out.append(skipped(lang))
    if model.criteria_favourable is None:
        out.append(
            Text(
                "尚未评估采购标准是否对我方有利（第3阶段关键节点），投标建议只看期望利润。",
                "Whether the purchasing criteria favour us (milestone 3) is not assessed; the "
                "advice rests on expected profit alone.",
            )(lang)
        )
    out.extend(p(lang) for p in problems)
    return out
