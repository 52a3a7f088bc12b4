"""The bid model as a JSON document (``bid.schema.json``, ``excelflow bid --json bid.json``).

:func:`load_bid` validates a document against the schema, then builds the model (whose own checks
name the JSON path of any bad value); :func:`model_to_dict` is its inverse and
:func:`bid_to_dict` turns a :class:`~excelflow.bid.result.BidResult` into plain JSON data.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import fields
from enum import StrEnum
from os import PathLike
from pathlib import Path
from typing import Any

from excelflow.bid.checks import BidError
from excelflow.bid.competitors import Competitor
from excelflow.bid.model import BidModel, CostLine
from excelflow.bid.result import BidResult
from excelflow.pipeline.resources import load_schema
from excelflow.pipeline.ruleset import schema_errors

__all__ = ["SCHEMA_NAME", "bid_to_dict", "load_bid", "model_to_dict"]

SCHEMA_NAME = "bid.schema.json"


def _nested(prefix: str, factory: Any, **kwargs: Any) -> Any:
    try:
        return factory(**kwargs)
    except BidError as exc:
        raise exc.under(prefix) from None


def _check_lengths(doc: Any) -> None:
    """Refuse an over-long list before the schema walks every item of it (100k competitors
    would take minutes): the limits are the schema's own ``maxItems``."""
    if not isinstance(doc, Mapping):
        return
    for key, spec in load_schema(SCHEMA_NAME)["properties"].items():
        most = spec.get("maxItems") if isinstance(spec, Mapping) else None
        items = doc.get(key)
        if most is not None and isinstance(items, list) and len(items) > most:
            problem = f"{len(items):,} items, over the maximum of {most:,}"
            raise BidError(key, problem, [f"{key}: {problem}"])


MAX_BID_BYTES = 16 * 1024**2
"""The largest bid JSON file read (the schema bounds its lists and numbers)."""


def load_bid(data: Mapping[str, Any] | str | PathLike[str]) -> BidModel:
    """Build a :class:`BidModel` from a ``bid.schema.json`` document or a path to one.

    Raises:
        BidError: unreadable file, invalid JSON, a schema violation or an invalid value; the
            message names the JSON path (``cost_lines[2].unit_cost: ...``) and ``errors`` lists
            every schema problem.
    """
    if isinstance(data, Mapping):
        doc: Any = data
    else:
        path = Path(data)
        try:
            if path.stat().st_size > MAX_BID_BYTES:
                raise BidError(str(path), f"refused: larger than {MAX_BID_BYTES // 1024**2} MiB")
            doc = json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise BidError(str(path), f"cannot read file: {exc.strerror or exc}") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BidError(str(path), f"not valid UTF-8 JSON: {exc}") from None
        except ValueError as exc:  # a number of more than 4300 digits
            raise BidError(str(path), f"not valid JSON: {str(exc).split(';')[0]}") from None
        except RecursionError:
            raise BidError(str(path), "not valid JSON: nested too deeply") from None
    _check_lengths(doc)
    errors = schema_errors(doc, SCHEMA_NAME)
    if errors:
        where, _, problem = errors[0].partition(": ")
        raise BidError(where, problem, errors)
    lines = tuple(
        _nested(
            f"cost_lines[{i}]",
            CostLine,
            category=d["category"],
            description=d.get("description", ""),
            quantity=d["quantity"],
            unit_cost=d.get("unit_cost"),
            supplier=d.get("supplier"),
        )
        for i, d in enumerate(doc["cost_lines"])
    )
    comps = tuple(
        _nested(
            f"competitors[{i}]",
            Competitor,
            name=d["name"],
            rank=d.get("rank"),
            p_beat=None
            if d.get("p_beat") is None
            else tuple((pt["markup"], pt["probability"]) for pt in d["p_beat"]),
            ratio_mean=d.get("ratio_mean"),
            ratio_sd=d.get("ratio_sd"),
            expected_price=d.get("expected_price"),
        )
        for i, d in enumerate(doc.get("competitors", []))
    )
    simple = {k: v for k, v in doc.items() if k in _SIMPLE_KEYS and v is not None}
    return BidModel(cost_lines=lines, competitors=comps, **simple)


_SIMPLE_KEYS = frozenset(f.name for f in fields(BidModel)) - {"cost_lines", "competitors"}


def _plain(x: Any, path: str = "") -> Any:
    """Dataclasses, enums and tuples to JSON data; a non-finite float raises (never NaN)."""
    if hasattr(x, "__dataclass_fields__"):
        return {k: _plain(getattr(x, k), f"{path}.{k}") for k in x.__dataclass_fields__}
    if isinstance(x, StrEnum):
        return x.value
    if isinstance(x, Mapping):
        return {str(k): _plain(v, f"{path}.{k}") for k, v in x.items()}
    if isinstance(x, tuple | list):
        return [_plain(v, f"{path}[{i}]") for i, v in enumerate(x)]
    if isinstance(x, float) and not math.isfinite(x):
        raise BidError(path.lstrip("."), f"internal error: {x} in the result")
    return x


def model_to_dict(model: BidModel) -> dict[str, Any]:
    """The ``bid.schema.json`` document for ``model`` (None values left out); inverse of load."""
    doc: dict[str, Any] = _plain(model)
    for comp in doc["competitors"]:
        if comp["p_beat"] is not None:
            comp["p_beat"] = [{"markup": m, "probability": p} for m, p in comp["p_beat"]]
    for part in (doc, *doc["cost_lines"], *doc["competitors"]):
        for key in [k for k, v in part.items() if v is None]:
            del part[key]
    return doc


def bid_to_dict(result: BidResult) -> dict[str, Any]:
    """``result`` as plain JSON data (lists, dicts, str, finite floats, bool, None).

    Raises:
        BidError: a non-finite number slipped into the result (a bug; never silently NaN).
    """
    out: dict[str, Any] = _plain(result)
    return out
