"""Rule sets: stages, milestones, grade bands, evaluation factors and penalties.

A rule set is a JSON (or YAML) document validated against ``schemas/ruleset.schema.json`` and then
checked for the things a schema cannot say (stage numbers 1..n in order, unique keys and columns, a
catch-all grade band last). Every problem is reported with its JSON path, e.g.
``stages[2].milestones[0].column: required`` — never as a traceback.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, NamedTuple

from excelflow.pipeline.resources import builtin_rulesets, load_schema, ruleset_path, schema_path

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


class RuleSetError(ValueError):
    """A rule set could not be loaded; ``errors`` lists every problem as ``path: problem``."""

    def __init__(self, source: str, errors: Sequence[str]) -> None:
        self.source = source
        self.errors = list(dict.fromkeys(errors))  # a schema may say one thing several times
        shown = "; ".join(self.errors[:5])
        more = f" (+{len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{source}: invalid rule set: {shown}{more}")


class Text(NamedTuple):
    """A label in both report languages (a tuple, so hashing it in bulk stays in C)."""

    zh: str
    en: str

    def __call__(self, lang: Lang) -> str:
        """Return the label in ``lang``."""
        return self.zh if lang == "zh" else self.en

    @classmethod
    def of(cls, data: Mapping[str, str]) -> Text:
        """Build from a ``{"zh": ..., "en": ...}`` mapping."""
        return cls(zh=data["zh"], en=data["en"])


@dataclass(frozen=True)
class Milestone:
    """One part of a stage's key milestone; each part is its own column in the pipeline."""

    key: str
    stage: int
    name: Text
    column: Text
    aliases: tuple[str, ...] = ()
    date_column: Text | None = None
    date_aliases: tuple[str, ...] = ()
    proof: tuple[str, ...] = ()
    """The columns whose content proves the part done, as the rule set names them (field keys;
    ``evaluation factors``: every factor scored; see :func:`proof_key`); all of them filled on
    a deal count as the part being done."""


@dataclass(frozen=True)
class Stage:
    """A sales stage, the milestone parts that gate leaving it, and its default probability."""

    number: int
    key: str
    name: Text
    aliases: tuple[str, ...]
    probability: float | None
    milestones: tuple[Milestone, ...]


@dataclass(frozen=True)
class GradeBand:
    """Grade ``grade`` when days to close <= ``max_days`` and probability >= ``min_probability``."""

    grade: str
    max_days: int | None
    min_probability: float | None
    action: Text


@dataclass(frozen=True)
class Factor:
    """An opportunity-evaluation factor scored on the rule set's scale."""

    key: str
    group: str
    name: Text
    column: Text
    aliases: tuple[str, ...]
    weight: float
    knockout_at_or_below: float | None = None
    knockout_reason: Text | None = None


DEFAULT_FAIL_ACTION = {
    "zh": "评估未通过：降低接触级别",
    "en": "evaluation failed: lower the contact level",
}
"""The action of a deal whose opportunity evaluation failed, whatever its grade (rule set
``evaluation.fail_action``: a text, ``true`` for this one, ``false`` to keep the grade's)."""


DEFAULT_STALL_DAYS = 60
"""Days in one stage before HX03 calls a deal stalled, when a rule set has no ``stall_days``."""


@dataclass(frozen=True)
class RuleSet:
    """A validated rule set, ready for the engine."""

    name: str
    version: str
    title: Text
    stages: tuple[Stage, ...]
    penalty_factor: float
    penalty_per: str
    late_entry_stage: int
    grade_probability: str
    grades: tuple[GradeBand, ...]
    scale_min: float
    scale_max: float
    pass_mark: float
    recommendation: Text
    factors: tuple[Factor, ...]
    required_always: tuple[str, ...] = ("deal_id", "customer")
    required_open: tuple[str, ...] = ("stage", "expected_close", "amount")
    missing_milestone_column: str = "unknown"
    """``unknown``: a milestone whose column the sheet lacks is not checked (no SG01, no
    penalty, the gate is unknown); ``missing``: it counts as not reached on every deal."""
    fail_action: Text | None = None
    """The action shown instead of the grade's when an open deal's evaluation failed or was
    knocked out (the grade itself stays); None: the grade's action stands."""
    closing_finished: tuple[str, ...] = ()
    """Milestone keys that finish the work (CL01); empty: the last stage's milestones."""
    closing_contract: tuple[str, ...] = ()
    """Milestone keys of the signed contract (CL02, CL03); empty: the stage before the last."""
    severities: Mapping[str, str] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    select: tuple[str, ...] = ()
    """Report only findings whose code starts with one of these (``SG``, ``DQ0``); empty: all.
    ``validate --select`` overrides it. Unlike ``disabled``, a rule outside the selection still
    runs (its results feed the grade and gate), only its findings are not reported."""
    ignore: tuple[str, ...] = ()
    """Do not report findings whose code starts with one of these; ``--ignore`` overrides it."""
    stall_days: Mapping[int, int] = field(default_factory=dict)
    """Stage number -> days a deal may stay there before HX03 calls it stalled (``stall_days``;
    absent: :data:`DEFAULT_STALL_DAYS` for every stage); a stage not listed has no limit, a
    number the rule set has no stage for is ignored (a shorter set derived from the standard)."""
    source: str = "builtin:standard"
    document: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def milestones(self) -> tuple[Milestone, ...]:
        """Every milestone part, in stage order."""
        return tuple(m for s in self.stages for m in s.milestones)

    def stage(self, number: int) -> Stage:
        """Return stage ``number`` (1-based)."""
        return self.stages[number - 1]


# --------------------------------------------------------------------------- loading


def load_ruleset(source: str | Path | Mapping[str, Any] | None = None) -> RuleSet:
    """Load a rule set.

    Args:
        source: ``None`` or a built-in name (``"standard"``) for a built-in set, a path to a JSON or
            YAML file, or an already parsed document.

    Raises:
        RuleSetError: the file cannot be read or parsed, or the document is invalid.
    """
    if source is None or (isinstance(source, str) and source in builtin_rulesets()):
        return _builtin("standard" if source is None else str(source))
    if isinstance(source, Mapping):
        return ruleset_from_document(source, "<rule set>")
    path = Path(source)
    return ruleset_from_document(_read_document(path), str(path))


@cache
def _builtin(name: str) -> RuleSet:
    """A built-in rule set, parsed and validated once per process (rule sets are immutable;
    treat ``RuleSet.document`` as read-only, deep-copy it to derive a new set)."""
    path = ruleset_path(name)
    doc = _read_document(path)
    return ruleset_from_document(
        doc, f"builtin:{name}", schema_checked=builtin_digest(name) == VALIDATED_BUILTINS.get(name)
    )


VALIDATED_BUILTINS = {
    "standard": "4e56ac456c4e5194941640315c61410e46d4c0ed1055d5f7a5403b7101321512",
}
"""Built-in rule set name -> :func:`builtin_digest` of the files that passed the JSON schema.

Loading a built-in set whose rule set and schema files still hash to this value skips the
jsonschema validation (a cold-start cost of ~0.1 s for a document that cannot have changed); any
other digest (an edited file) is validated in full. ``tests/test_ruleset.py`` validates the
files with jsonschema and fails, printing the new digest, when this entry is stale."""


def builtin_digest(name: str) -> str:
    """SHA-256 over a built-in rule set's file and the rule set schema's file (both as bytes)."""
    digest = hashlib.sha256(ruleset_path(name).read_bytes())
    digest.update(b"\0")
    digest.update(schema_path("ruleset.schema.json").read_bytes())
    return digest.hexdigest()


def _read_document(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RuleSetError(str(path), [f"cannot read file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError:
        raise RuleSetError(str(path), ["not a UTF-8 text file"]) from None
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RuleSetError(
            str(path), [f"line {exc.lineno} column {exc.colno}: {exc.msg}"]
        ) from None
    except Exception as exc:  # yaml.YAMLError and friends
        raise RuleSetError(str(path), [f"not valid YAML: {exc}".splitlines()[0]]) from None


EVALUATION_FACTORS = "evaluation_factors"
"""The ``proof`` name of "every evaluation factor scored"."""


def proof_key(name: str) -> str:
    """A ``proof`` entry as a field key (``"evaluation factors"`` → ``evaluation_factors``)."""
    return name.strip().replace(" ", "_")


def format_path(path: Iterable[str | int]) -> str:
    """Render a JSON path like ``stages[2].milestones[0].column``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def schema_errors(document: Any, schema_name: str) -> list[str]:
    """Validate ``document`` against a bundled schema; return ``path: problem`` lines."""
    import jsonschema  # here, not at module level: the built-in rule set does without it

    schema = load_schema(schema_name)
    validator = jsonschema.Draft202012Validator(schema)
    errors: list[str] = []
    for err in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path))):
        path = list(err.absolute_path)
        if err.validator == "required":
            missing = [p for p in err.validator_value if p not in (err.instance or {})]
            errors.extend(f"{format_path([*path, m])}: required" for m in missing)
        elif err.validator == "additionalProperties":
            extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
            errors.extend(f"{format_path([*path, e])}: unknown key" for e in extra)
        elif err.validator == "maxItems":
            count, most = len(err.instance), err.validator_value
            errors.append(f"{format_path(path)}: {count:,} items, over the maximum of {most:,}")
        else:  # a message quoting a huge value stays one readable line
            text = err.message if len(err.message) <= 240 else err.message[:239] + "…"
            errors.append(f"{format_path(path)}: {text}")
    errors.extend(f"{format_path(path)}: not a finite number" for path in _non_finite(document))
    return list(dict.fromkeys(errors))  # `required` in several subschemas: each problem once


def _non_finite(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """The paths of NaN and infinite numbers in ``value`` (YAML ``.nan``/``.inf``, JSON ``NaN``):
    the schema's ``number`` accepts them, but no strict JSON reader could read them back."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _non_finite(item, (*path, str(key)))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _non_finite(item, (*path, i))


def _semantic_errors(doc: Mapping[str, Any]) -> list[str]:
    errors: list[str] = []
    stages = doc["stages"]
    for i, st in enumerate(stages):
        if st["number"] != i + 1:
            errors.append(
                f"stages[{i}].number: expected {i + 1} (stages are numbered 1..n in order)"
            )
    seen_keys: dict[str, str] = {}
    seen_cols: dict[str, str] = {}

    def claim(kind: str, value: str, where: str, table: dict[str, str]) -> None:
        folded = value.casefold()
        if folded in table:
            errors.append(f"{where}: duplicate {kind} {value!r} (also at {table[folded]})")
        else:
            table[folded] = where

    for i, st in enumerate(stages):
        claim("stage key", st["key"], f"stages[{i}].key", seen_keys)
        for j, ms in enumerate(st["milestones"]):
            where = f"stages[{i}].milestones[{j}]"
            claim("milestone key", ms["key"], f"{where}.key", seen_keys)
            for lang in LANGS:
                claim("column", ms["column"][lang], f"{where}.column.{lang}", seen_cols)
                if "date_column" in ms:
                    claim(
                        "column", ms["date_column"][lang], f"{where}.date_column.{lang}", seen_cols
                    )
    ev = doc["evaluation"]
    if ev["scale"]["max"] <= ev["scale"]["min"]:
        errors.append("evaluation.scale.max: must be greater than evaluation.scale.min")
    for k, fa in enumerate(ev["factors"]):
        claim("factor key", fa["key"], f"evaluation.factors[{k}].key", seen_keys)
        for lang in LANGS:
            claim("column", fa["column"][lang], f"evaluation.factors[{k}].column.{lang}", seen_cols)
    if sum(f["weight"] for f in ev["factors"]) <= 0:
        errors.append("evaluation.factors: the weights must not all be zero")
    grades = doc["grades"]
    last = grades[-1]
    if "max_days" in last or "min_probability" in last:
        errors.append(
            f"grades[{len(grades) - 1}]: the last band is the catch-all and takes no limits"
        )
    letters = [g["grade"] for g in grades]
    if len(set(letters)) != len(letters):
        errors.append("grades: grade letters must be unique")
    milestone_keys = {ms["key"] for st in stages for ms in st["milestones"]}
    for part in ("finished", "contract"):
        for k, key in enumerate(doc.get("closing", {}).get(part, ())):
            if key not in milestone_keys:
                errors.append(f"closing.{part}[{k}]: {key!r} is not a milestone key")
    late = doc.get("late_entry", {}).get("from_stage")
    if late is not None and late > len(stages):
        errors.append(f"late_entry.from_stage: {late} is beyond the last stage ({len(stages)})")
    return errors


def ruleset_from_document(doc: Any, source: str, *, schema_checked: bool = False) -> RuleSet:
    """Validate a parsed document and build a :class:`RuleSet` from it.

    ``schema_checked``: the document is known to pass the JSON schema (a built-in set whose
    digest was recorded); only the semantic checks run.
    """
    errors: list[str] = [] if schema_checked else schema_errors(doc, "ruleset.schema.json")
    if not errors:
        errors = _semantic_errors(doc)
    if errors:
        raise RuleSetError(source, errors)
    stages = tuple(
        Stage(
            number=st["number"],
            key=st["key"],
            name=Text.of(st["name"]),
            aliases=tuple(st.get("aliases", ())),
            probability=st.get("probability"),
            milestones=tuple(
                Milestone(
                    key=ms["key"],
                    stage=st["number"],
                    name=Text.of(ms["name"]),
                    column=Text.of(ms["column"]),
                    aliases=tuple(ms.get("aliases", ())),
                    date_column=Text.of(ms["date_column"]) if "date_column" in ms else None,
                    date_aliases=tuple(ms.get("date_aliases", ())),
                    proof=tuple(ms.get("proof", ())),
                )
                for ms in st["milestones"]
            ),
        )
        for st in doc["stages"]
    )
    ev = doc["evaluation"]
    factors = tuple(
        Factor(
            key=fa["key"],
            group=fa.get("group", "project"),
            name=Text.of(fa["name"]),
            column=Text.of(fa["column"]),
            aliases=tuple(fa.get("aliases", ())),
            weight=float(fa["weight"]),
            knockout_at_or_below=fa["knockout"]["at_or_below"] if "knockout" in fa else None,
            knockout_reason=Text.of(fa["knockout"]["reason"]) if "knockout" in fa else None,
        )
        for fa in ev["factors"]
    )
    grades = tuple(
        GradeBand(
            grade=g["grade"],
            max_days=g.get("max_days"),
            min_probability=g.get("min_probability"),
            action=Text.of(g["action"]),
        )
        for g in doc["grades"]
    )
    default_title = {"zh": doc["name"], "en": doc["name"]}
    default_rec = {"zh": "放弃或降低接触级别", "en": "give up or lower the contact level"}
    return RuleSet(
        name=doc["name"],
        version=str(doc.get("version", "")),
        title=Text.of(doc.get("title", default_title)),
        stages=stages,
        penalty_factor=float(doc["forced_advance"]["penalty_factor"]),
        penalty_per=doc["forced_advance"].get("penalty_per", "milestone"),
        missing_milestone_column=doc["forced_advance"].get("missing_milestone_column", "unknown"),
        late_entry_stage=int(doc.get("late_entry", {}).get("from_stage", 3)),
        grade_probability=doc.get("grading", {}).get("probability", "adjusted"),
        grades=grades,
        scale_min=float(ev["scale"]["min"]),
        scale_max=float(ev["scale"]["max"]),
        pass_mark=float(ev["pass_mark"]),
        recommendation=Text.of(ev.get("recommendation", default_rec)),
        fail_action=(
            None
            if ev.get("fail_action", True) is False
            else Text.of(
                DEFAULT_FAIL_ACTION if ev.get("fail_action", True) is True else ev["fail_action"]
            )
        ),
        factors=factors,
        required_always=tuple(
            doc.get("required_fields", {}).get("always", ("deal_id", "customer"))
        ),
        required_open=tuple(
            doc.get("required_fields", {}).get("open", ("stage", "expected_close", "amount"))
        ),
        closing_finished=tuple(doc.get("closing", {}).get("finished", ())),
        closing_contract=tuple(doc.get("closing", {}).get("contract", ())),
        severities=dict(doc.get("severities", {})),
        disabled=frozenset(doc.get("disabled", ())),
        select=tuple(doc.get("select", ())),
        ignore=tuple(doc.get("ignore", ())),
        stall_days=(
            {int(k): int(v) for k, v in doc["stall_days"].items()}
            if "stall_days" in doc
            else dict.fromkeys((st.number for st in stages), DEFAULT_STALL_DAYS)
        ),
        source=source,
        document=doc,
    )


# --------------------------------------------------------------------------- describing


def describe(ruleset: RuleSet, lang: Lang = "en") -> str:
    """The rule set as readable text: stages and milestones, grades, evaluation, penalties."""
    from excelflow.pipeline.textutil import pad

    zh = lang == "zh"
    rs = ruleset
    out = [f"{rs.title(lang)}  ({rs.name} {rs.version}; {rs.source})", ""]
    out.append("阶段与关键节点" if zh else "Stages and milestones (gate to leave the stage)")
    for st in rs.stages:
        prob = "" if st.probability is None else f"  {st.probability:.0%}"
        out.append(f"  {st.number}. {st.name(lang)} [{st.key}]{prob}")
        for ms in st.milestones:
            date = f" + {ms.date_column(lang)}" if ms.date_column else ""
            label = "列" if zh else "column"
            out.append(f"       - {ms.name(lang)}  ({label}: {ms.column(lang)}{date})")
    factor, late = f"{rs.penalty_factor:g}", rs.late_entry_stage
    unit = ("关键节点" if rs.penalty_per == "milestone" else "节点部分") if zh else rs.penalty_per
    lo, hi, mark = f"{rs.scale_min:g}", f"{rs.scale_max:g}", f"{rs.pass_mark:g}"
    if zh:
        out += [
            "",
            f"强行推进：每缺一个{unit}，赢率 ×{factor}",
            "缺少关键节点列："
            + ("未知（不检查）" if rs.missing_milestone_column == "unknown" else "视为未达到"),
            f"介入过晚：需定制方案的商机在第 {late} 阶段或之后才介入",
            "",
            "客户分级",
        ]
    else:
        out += [
            "",
            f"Forced advance: probability x{factor} per missing {unit}",
            "A missing milestone column: "
            + (
                "unknown (not checked)"
                if rs.missing_milestone_column == "unknown"
                else "every deal past it lacks the milestone"
            ),
            f"Late entry: custom-solution deals first engaged at stage {late} or later",
            "",
            f"Grades (by {rs.grade_probability} probability)",
        ]
    for band in rs.grades:
        limits = []
        if band.max_days is not None:
            limits.append(f"≤ {band.max_days} {'天' if zh else 'days'}")
        if band.min_probability is not None:
            limits.append(f"≥ {band.min_probability:.0%}")
        cond = ", ".join(limits) or ("其余" if zh else "anything else")
        out.append(f"  {band.grade}: {cond} — {band.action(lang)}")
    out += [
        "",
        f"商机评估：{lo}–{hi} 分制，及格线 {mark}/100"
        if zh
        else f"Evaluation: scores {lo}-{hi}, pass mark {mark}/100",
    ]
    total = sum(f.weight for f in rs.factors) or 1.0
    for fa in rs.factors:
        ko = ""
        if fa.knockout_reason is not None:
            word = "否决" if zh else "knock-out"
            ko = f"  {word} ≤ {fa.knockout_at_or_below:g}: {fa.knockout_reason(lang)}"
        out.append(f"  {pad(fa.name(lang), 24)} {fa.weight / total:>5.0%}{ko}")
    out.append(f"  → {'未通过' if zh else 'fail'}: {rs.recommendation(lang)}")
    return "\n".join(out)
