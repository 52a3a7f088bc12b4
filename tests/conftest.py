"""Test-session setup shared by every test folder.

xlwings picks its server-side dispatcher (``xlwings.server``) once, when it is first imported, and
only when ``XLWINGS_ON_SERVER`` is set; its PRO parts need a licence key. Our open-source test
suite is non-commercial use, so the key ``noncommercial`` is set here — in the test session only,
never in the package.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import settings

# The hostile corpus (tests/test_hostile_corpus.py) draws the same examples on every run, so that
# `make test` on a clean clone passes or fails the same way; HYPOTHESIS_PROFILE=random explores
# new examples (what found the 2263 close-date overflow), and a failure prints how to replay it.
settings.register_profile("excelflow", derandomize=True, print_blob=True)
settings.register_profile("random", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "excelflow"))

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 11, 28)


def shared_data_dir() -> Path:
    """Where the real third-party files live: $EXCELFLOW_SHARED_DATA, else ../shared/data beside
    the checkout, else the workplace's /work/shared/data."""
    if "EXCELFLOW_SHARED_DATA" in os.environ:
        return Path(os.environ["EXCELFLOW_SHARED_DATA"])
    for candidate in (REPO.parent / "shared" / "data", Path("/work/shared/data")):
        if candidate.is_dir():
            return candidate
    return REPO.parent / "shared" / "data"


@pytest.fixture
def shared_data() -> Path:
    """The shared real-data folder; skips the test when this checkout has none beside it."""
    path = shared_data_dir()
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path} (set EXCELFLOW_SHARED_DATA)")
    return path


@pytest.fixture
def as_of() -> dt.date:
    """The fixed "today" of the test suite."""
    return AS_OF


@pytest.fixture
def make_sample(tmp_path: Path) -> Callable[..., Path]:
    """Write a generated pipeline (excelflow.workbook.sample) and return its path."""
    from excelflow.pipeline.fields import SHEETS
    from excelflow.workbook.sample import sample_deals, write_sample

    def make(n: int = 40, lang: str = "en", suffix: str = ".xlsx", **kw: object) -> Path:
        headers, rows = sample_deals(n, lang=lang, as_of=AS_OF, **kw)  # type: ignore[arg-type]
        path = tmp_path / f"sample-{lang}-{n}{suffix}"
        return write_sample(path, headers, rows, sheet=SHEETS["deals"](lang))  # type: ignore[arg-type]

    return make
