"""Column mappings for foreign exports (``schemas/mapping.schema.json``).

A mapping renames a source's columns to ExcelFlow fields and translates its values, e.g. a CRM's
``deal_stage`` column feeding both ``stage`` ("Prospecting" -> 1) and ``status`` ("Won" -> won).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from excelflow.pipeline.fields import all_fields, fold, header_index
from excelflow.pipeline.resources import schema_path, shipped_mappings
from excelflow.pipeline.ruleset import RuleSet, RuleSetError, schema_errors


class MappingError(RuleSetError):
    """A mapping file could not be loaded; ``errors`` lists every problem as ``path: problem``."""

    def __init__(self, source: str, errors: list[str]) -> None:
        super().__init__(source, errors)
        self.args = (f"{source}: invalid mapping: {'; '.join(self.errors[:5])}",)


@dataclass(frozen=True)
class ColumnMapping:
    """A parsed, validated mapping. Keys of ``columns``/``values`` are folded for matching."""

    columns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    units: Mapping[str, str] = field(default_factory=dict)
    not_required_for_open: frozenset[str] = frozenset()
    deal_key: tuple[str, ...] = ()
    ignore_columns: frozenset[str] = frozenset()
    sheet: str | None = None
    header_row: int | None = None
    source: str = "<none>"


EMPTY_MAPPING = ColumnMapping()

DATE_ORDERS: dict[str, tuple[str, ...]] = {
    "MDY": ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m.%d.%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p"),
    "DMY": ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y %H:%M"),
    "YMD": ("%Y/%m/%d", "%Y.%m.%d", "%y/%m/%d"),
}
"""A mapping's ``date_order`` as the strptime formats it adds."""


def load_mapping(
    source: str | Path | Mapping[str, Any], ruleset: RuleSet, *, schema_checked: bool = False
) -> ColumnMapping:
    """Load and validate a mapping file (JSON or YAML) or an already parsed document;
    ``schema_checked``: the document is known to pass the JSON schema (a shipped mapping whose
    digest is recorded, see :func:`load_shipped`), so jsonschema is neither loaded nor run.

    Raises:
        MappingError: unreadable, not JSON/YAML, not valid against the schema, or naming a field
            ExcelFlow does not know.
    """
    if isinstance(source, Mapping):
        doc: Any = source
        name = "<mapping>"
    else:
        path = Path(source)
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(name, [f"cannot read file: {exc}"]) from None
        try:
            if path.suffix.lower() in (".yaml", ".yml"):
                import yaml

                doc = yaml.safe_load(text)
            else:
                doc = json.loads(text)
        except Exception as exc:
            raise MappingError(name, [str(exc).splitlines()[0]]) from None
    errors = [] if schema_checked else schema_errors(doc, "mapping.schema.json")
    if errors:
        raise MappingError(name, errors)
    index = header_index(ruleset)
    keys = {f.key for f in all_fields(ruleset)}

    def resolve(target: str, where: str) -> str:
        if target in keys:
            return target
        key = index.get(fold(target))
        if key is None:
            errors.append(f"{where}: {target!r} is not an ExcelFlow field or known header")
            return target
        return key

    columns: dict[str, tuple[str, ...]] = {}
    for src, target in doc.get("columns", {}).items():
        targets = [target] if isinstance(target, str) else list(target)
        columns[fold(src)] = tuple(resolve(t, f"columns.{src}") for t in targets)
    values: dict[str, dict[str, Any]] = {}
    for target, table in doc.get("values", {}).items():
        values[resolve(target, f"values.{target}")] = {fold(str(k)): v for k, v in table.items()}
    defaults = {resolve(k, f"defaults.{k}"): v for k, v in doc.get("defaults", {}).items()}
    units = {resolve(k, f"units.{k}"): v for k, v in doc.get("units", {}).items()}
    from excelflow.pipeline.units import unit_of  # pandas: not loaded before a file is read

    for key, label in units.items():
        if unit_of(label) is None:
            errors.append(f"units.{key}: {label!r} is not a unit ExcelFlow knows")
    optional = frozenset(
        resolve(k, f"not_required_for_open[{i}]")
        for i, k in enumerate(doc.get("not_required_for_open", ()))
    )
    deal_key = tuple(resolve(k, f"deal_key[{i}]") for i, k in enumerate(doc.get("deal_key", ())))
    if errors:
        raise MappingError(name, errors)
    return ColumnMapping(
        columns=columns,
        values=values,
        defaults=defaults,
        date_formats=(
            *doc.get("date_formats", ()),
            *DATE_ORDERS.get(doc.get("date_order", ""), ()),
        ),
        units=units,
        not_required_for_open=optional,
        deal_key=deal_key,
        ignore_columns=frozenset(fold(c) for c in doc.get("ignore_columns", ())),
        sheet=doc.get("sheet"),
        header_row=doc.get("header_row"),
        source=name,
    )


VALIDATED_SHIPPED = {
    "dynamics365": "12236c6a06390de8b50e0e9672e7191d4f850476c466448124cc638b17743ce4",
    "hubspot": "6c8644d27286d30e7f56e3b16a00315dbbbe570ccf621148d9e55b29384c0451",
    "maven-crm": "48b6612886329f86abd1eca3a3a296b809286239f67af97d17c9bb5a717faad3",
    "pipedrive": "563f67a01b2136ae1749d7509d670c0aea4020380f98904a7529adeb53d7c221",
    "salesforce": "2a581924c31573e9b4b2f84c64414a97b80da3172ce89876ed2263b7fa10e63f",
}
"""Shipped mapping name -> :func:`shipped_digest` of the files that passed the JSON schema.

A shipped mapping whose file and the mapping schema still hash to this value is loaded without
jsonschema (importing and running it costs ~0.1 s, paid by every messy file whose stage values
ExcelFlow does not read: the report's hint tries each shipped mapping); any other digest (an
edited file) is validated in full. ``tests/test_crm_mappings.py`` validates the files with
jsonschema and fails, printing the new digests, when this table is stale."""


def shipped_digest(path: Path) -> str:
    """SHA-256 over a mapping file and the mapping schema's file (both as bytes)."""
    digest = hashlib.sha256(path.read_bytes())
    digest.update(b"\0")
    digest.update(schema_path("mapping.schema.json").read_bytes())
    return digest.hexdigest()


def load_shipped(name: str, ruleset: RuleSet) -> ColumnMapping:
    """The shipped mapping ``name`` (``salesforce``…; a key of
    :func:`~excelflow.pipeline.resources.shipped_mappings`), validated against the schema only
    when its digest is not the recorded one.

    Raises:
        MappingError: the file cannot be read or is invalid.
        KeyError: no shipped mapping has that name.
    """
    path = shipped_mappings()[name]
    try:
        checked = shipped_digest(path) == VALIDATED_SHIPPED.get(name)
    except OSError:
        checked = False  # load_mapping says why it cannot be read
    return load_mapping(path, ruleset, schema_checked=checked)
