"""Input checks shared by the bid model: one error type that names the bad field, and guards.

Every check returns the value as a float (or raises :class:`BidError` naming the path), so model
code reads ``x = check_positive(value, "budget")`` and never meets a NaN downstream.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = [
    "BidError",
    "check_finite",
    "check_markup",
    "check_positive",
    "check_probability",
    "check_rank",
    "check_sd",
]


class BidError(ValueError):
    """An invalid bid input, named by its path: ``competitors[1].p_beat[0]: probability 1.2 ...``.

    Attributes:
        path: Where the problem is (``cost_lines[2].unit_cost``); empty for the whole model.
        problem: What is wrong, without the path.
        errors: Every problem found as ``path: problem`` lines (more than one after schema checks).
    """

    def __init__(self, path: str, problem: str, errors: Sequence[str] = ()) -> None:
        self.path = path
        self.problem = problem
        first = f"{path}: {problem}" if path else problem
        self.errors: tuple[str, ...] = tuple(errors) or (first,)
        extra = len(self.errors) - 1
        super().__init__(first + (f" (+{extra} more)" if extra > 0 else ""))

    def under(self, prefix: str) -> BidError:
        """Return this error with its path nested under ``prefix`` (``cost_lines[2]``)."""
        if not self.path:
            path = prefix
        elif self.path.startswith("["):
            path = prefix + self.path
        else:
            path = f"{prefix}.{self.path}"
        return BidError(path, self.problem)


def check_finite(value: float, path: str) -> float:
    """Return ``value`` as a float, or raise :class:`BidError` if it is NaN or infinite.

    Args:
        value: The number to check.
        path: Field name used in the error message.
    """
    x = float(value)
    if not math.isfinite(x):
        raise BidError(path, f"{x} is not a finite number")
    return x


def check_probability(value: float, path: str) -> float:
    """Return ``value`` if it is a probability in 0..1, else raise :class:`BidError`.

    Args:
        value: The probability.
        path: Field name used in the error message.
    """
    p = check_finite(value, path)
    if not 0.0 <= p <= 1.0:
        raise BidError(path, f"probability {p:g} is outside 0..1")
    return p


def check_positive(value: float, path: str) -> float:
    """Return ``value`` if it is finite and > 0, else raise :class:`BidError`."""
    x = check_finite(value, path)
    if x <= 0.0:
        raise BidError(path, f"{x:g} must be greater than 0")
    return x


def check_markup(markup: float, path: str) -> float:
    """Return ``markup`` if it is finite and above −1 (a positive price), else raise."""
    m = check_finite(markup, path)
    if m <= -1.0:
        raise BidError(path, f"markup {m:g} must be above -1 (the price would be 0 or negative)")
    return m


def check_sd(sd: float, path: str) -> float:
    """Return ``sd`` if it is a finite standard deviation >= 0, else raise :class:`BidError`."""
    s = check_finite(sd, path)
    if s < 0.0:
        raise BidError(path, f"standard deviation {s:g} is negative")
    return s


def check_rank(rank: int | None, path: str) -> None:
    """Raise :class:`BidError` unless ``rank`` is None or a whole number >= 1."""
    if rank is not None and (isinstance(rank, bool) or not isinstance(rank, int) or rank < 1):
        raise BidError(path, f"{rank!r} must be a whole number >= 1")
