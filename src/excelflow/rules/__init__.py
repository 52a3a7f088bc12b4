"""The rule registry: every check has a stable code, a dotted name, a severity and a docstring.

A rule is a plain function ``check(ctx) -> hits`` where ``hits`` is a small frame with the deal
positions (``pos``; -1 when no deal row is concerned), the field whose cell the finding sits on
(``field``; None for a whole-column problem) and the parameters its message needs. Optional
columns ``at_sheet``, ``at_row``, ``at_cell``, ``at_value`` and ``at_deal`` point a finding
somewhere other than the deal's own cell (a Rules or Bid sheet); None keeps the default.
The engine turns hits into findings; rules never
loop over deals in Python.

Register with::

    @rule("SG01", "stage_gate.milestone_missing", Severity.WARNING,
          Text(zh="…{stage}…", en="…{stage}…"))
    def forced_advance(ctx: Context) -> pd.DataFrame:
        \"\"\"First line: the description shown by ``excelflow rules list``.\"\"\"
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import pandas as pd

from excelflow.pipeline.findings import Severity
from excelflow.pipeline.normalize import Pipeline
from excelflow.pipeline.ruleset import Lang, RuleSet, Text
from excelflow.rules.titles import TITLES

if TYPE_CHECKING:
    from excelflow.bid.entry import BidEntry

Check = Callable[["Context"], pd.DataFrame]


@dataclass(frozen=True)
class Rule:
    """A registered check."""

    code: str
    name: str
    severity: Severity
    message: Text
    check: Check

    @property
    def family(self) -> str:
        """The two-letter family (SG, EV, GR, CL, DQ, BD, HX)."""
        return self.code[:2]

    @property
    def title(self) -> Text:
        """Its short title in both languages (:mod:`excelflow.rules.titles`), shown beside the
        code on sheets; the dotted name when the code has none."""
        return TITLES.get(self.code, Text(self.name, self.name))

    @property
    def description(self) -> str:
        """First line of the check's docstring."""
        return (self.check.__doc__ or "").strip().splitlines()[0] if self.check.__doc__ else ""

    @property
    def doc(self) -> str:
        """The whole docstring, dedented."""
        import inspect

        return inspect.cleandoc(self.check.__doc__ or "")


REGISTRY: dict[str, Rule] = {}


def rule(code: str, name: str, severity: Severity, message: Text) -> Callable[[Check], Check]:
    """Register ``check`` under ``code``; codes are unique and never reused."""

    def register(check: Check) -> Check:
        if code in REGISTRY:
            raise ValueError(f"rule code {code} registered twice")
        REGISTRY[code] = Rule(code, name, severity, message, check)
        return check

    return register


@dataclass(frozen=True)
class WorkbookInputs:
    """What a check reads from the workbook besides its deals (nothing, for a bare table).

    Attributes:
        rules_sheet_problems: The workbook's Rules sheet problems (DQ08), each a dict with
            ``sheet``, ``row``, ``cell``, ``value``, ``column``, ``message_zh``, ``message_en``.
        bids: Deal ID -> the first Bid sheet naming the deal, read and analysed (BD01-BD04).
        bid_sheets: Every Bid sheet, a duplicate or unknown deal carrying a problem (BD05).
    """

    rules_sheet_problems: Sequence[Mapping[str, Any]] = ()
    bids: Mapping[str, BidEntry] = field(default_factory=dict)
    bid_sheets: Sequence[BidEntry] = ()


@dataclass(frozen=True)
class Context:
    """What a check sees: the normalized deals, computed per-deal metrics, rule set and date.

    Attributes:
        pipeline: The normalized deal table.
        ruleset: The rule set in force.
        as_of: "Today" for the date checks.
        deals: The engine's per-deal metrics (one row per deal).
        evaluation: Per-deal evaluation score, result and factors answered (EV rules).
        missing: Per-deal missing milestone parts (SG01).
        inputs: The workbook's Rules-sheet problems and Bid sheets.
        planned: Per deal and milestone part, the date it is planned for (a date after
            ``as_of``; NaT otherwise). None: nothing is planned.
        done: Per deal and milestone part, reached by ``as_of`` (ticked, or dated no later).
            None: as ticked.
        previous: The last recorded snapshot of this workbook's deals
            (:data:`excelflow.rules.history.PREVIOUS_COLUMNS`), for the HX rules; None when
            no history is kept or nothing was recorded before.
    """

    pipeline: Pipeline
    ruleset: RuleSet
    as_of: pd.Timestamp
    deals: pd.DataFrame
    evaluation: pd.DataFrame
    missing: pd.DataFrame
    inputs: WorkbookInputs = WorkbookInputs()
    planned: pd.DataFrame | None = None
    done: pd.DataFrame | None = None
    previous: pd.DataFrame | None = None

    def reached(self, key: str) -> np.ndarray:
        """Per deal: milestone part ``key`` is reached by the as-of date."""
        if self.done is not None:
            out: np.ndarray = self.done[key].to_numpy(dtype=bool)
            return out
        from excelflow.pipeline.fields import milestone_key

        ticked: np.ndarray = self.frame[milestone_key(key)].to_numpy(dtype=bool)
        return ticked

    @property
    def frame(self) -> pd.DataFrame:
        """The typed input columns, one row per deal."""
        return self.pipeline.frame

    @property
    def is_open(self) -> pd.Series:
        """Deals the gate checks apply to (status open)."""
        return self.deals["is_open"]


def hits(mask: Any, field: Any, **params: Any) -> pd.DataFrame:
    """Build a hits frame for the rows where ``mask`` is true.

    ``field`` and the params may be scalars (same for every hit) or per-deal Series/arrays
    (taken at the hits).
    """
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    data: dict[str, Any] = {"pos": positions}
    for name, value in {"field": field, **params}.items():
        if isinstance(value, pd.Series):
            data[name] = value.iloc[positions].to_numpy()
        elif isinstance(value, np.ndarray):
            data[name] = value[positions]
        elif type(value) is str and len(positions):  # the str column a list of it gives
            data[name] = pd.array([value], dtype="str").take(np.zeros(len(positions), np.intp))
        else:
            data[name] = [value] * len(positions)
    return pd.DataFrame(data)


def stage_names(ruleset: RuleSet, stages: pd.Series) -> np.ndarray:
    """Each deal's stage name (a :class:`Text`, None where unknown), looked up in one take."""
    names = np.empty(len(ruleset.stages) + 2, dtype=object)  # Text is a tuple: fill one by one
    for st in ruleset.stages:
        names[st.number] = st.name
    numbers = stages.to_numpy(dtype=float, na_value=np.nan)
    index = np.clip(np.where(np.isnan(numbers), 0, numbers).astype(int), 0, len(names) - 1)
    out: np.ndarray = names[index]
    return out


def label_column(names: Sequence[str | None], codes: np.ndarray) -> Any:
    """``names[codes]`` as a frame column: the str dtype pandas infers for text with blanks,
    built from the few names rather than by inferring every cell (object when none shown is
    text, as inference gives)."""
    labels = np.asarray(names, dtype=object)
    shown = labels[np.bincount(codes, minlength=len(labels)) > 0]
    if pd.api.types.infer_dtype(shown, skipna=True) == "string":
        return pd.array(labels, dtype="str").take(codes)
    return labels[codes]


def no_hits() -> pd.DataFrame:
    """An empty hits frame."""
    return pd.DataFrame({"pos": np.zeros(0, dtype=int), "field": []})


class Coded(NamedTuple):
    """A column as codes into its distinct values: ``uniques[codes]``, code -1 a blank. The
    values may repeat in ``uniques`` (the same text for two codes); none of them is blank."""

    codes: np.ndarray
    uniques: np.ndarray

    def expand(self) -> np.ndarray:
        """The column itself, an object array (blanks as None)."""
        values = np.empty(len(self.uniques) + 1, dtype=object)
        values[:-1] = self.uniques
        out: np.ndarray = values[self.codes]
        return out


def render(message: Text, params: Mapping[str, Any], size: int) -> dict[Lang, np.ndarray]:
    """``message`` for ``size`` findings, in both languages (see :func:`render_coded`)."""
    coded = render_coded(message, params, size)
    return {lang: coded[lang].expand() for lang in coded}


def render_coded(message: Text, params: Mapping[str, Any], size: int) -> dict[Lang, Coded]:
    """``message`` for ``size`` findings, in both languages — formatted once per distinct
    combination of the values its placeholders name, not once per finding, and given back as
    codes into those combinations' messages.

    Placeholders name columns of ``params`` (arrays or Series of length ``size``, or
    :class:`Coded` columns); :class:`Text` values are shown in the message's language; format
    specs (``{score:.0f}``) apply as in ``str.format``; blanks render as an empty string.
    """
    langs: tuple[Lang, ...] = ("zh", "en")
    parsed = {lang: list(string.Formatter().parse(message(lang))) for lang in langs}
    combo = np.zeros(size, dtype=np.intp)  # which distinct combination of values each finding has
    distinct: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per placeholder: codes, values
    names = {name for pieces in parsed.values() for _, name, _, _ in pieces if name is not None}
    for key in sorted(names):
        value = params[key]
        if isinstance(value, Coded):
            codes, uniques = value
            blank = np.append(np.asarray(pd.isna(uniques), dtype=bool), True)
            codes = np.where(blank[codes], -1, codes)
        else:
            codes, uniques = _factorized(value)
        codes = np.where(codes < 0, len(uniques), codes)  # a blank shows as ""
        distinct[key] = codes, np.asarray(uniques, dtype=object)
        combo = pd.factorize(combo * (len(uniques) + 1) + codes)[0]
    _, first = np.unique(combo, return_index=True)  # one finding standing for each combination
    out = {}
    for lang, pieces in parsed.items():
        pattern = ""  # the message with each placeholder as a bare {}, filled per combination
        fills = []
        for literal, name, spec, _conv in pieces:
            pattern += literal.replace("{", "{{").replace("}", "}}")
            if name is not None:
                pattern += "{}"
                codes, uniques = distinct[name]
                texts = [_format_one(u, spec or "", lang) for u in uniques] + [""]
                fills.append([texts[c] for c in codes[first]])
        per_combo = (
            [pattern.format(*shown) for shown in zip(*fills, strict=True)]
            if fills
            else [pattern] * len(first)
        )
        out[lang] = Coded(combo, np.array(per_combo, dtype=object))
    return out


def _factorized(value: Any) -> tuple[np.ndarray, Any]:
    """``pd.factorize(value)``, without hashing each value when all are one (a rule's constant
    parameter: a stage name, a recommendation)."""
    values = value.to_numpy() if isinstance(value, pd.Series) else value
    if isinstance(values, np.ndarray) and values.dtype == object and len(values):
        first = values[0]
        if first is not None and not (isinstance(first, float) and first != first):
            probe = np.empty((), dtype=object)  # compared as one object (a Text is a tuple)
            probe[()] = first
            same = values[:64] == probe
            if isinstance(same, np.ndarray) and same.dtype == bool and same.all():
                same = values == probe
                if same.dtype == bool and same.all():
                    return np.zeros(len(values), dtype=np.intp), values[:1]
    codes, uniques = pd.factorize(value, use_na_sentinel=True)
    return codes, uniques


def _format_one(value: Any, spec: str, lang: Lang) -> str:
    if isinstance(value, Text):
        return format(value(lang), spec)
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return format(str(value), "")


def load_all() -> dict[str, Rule]:
    """Import every rule family so the registry is complete, and return it."""
    from excelflow.rules import (  # noqa: F401
        bid,
        closing,
        evaluation,
        gates,
        grading,
        history,
        quality,
        sheet_quality,
    )

    return REGISTRY
