"""Where commands write: never a folder they were not given (``-o /nonexistent/dir/r.txt`` is
one clear line and exit 2), never over an existing file without ``--force``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cli.cli_helpers import AS_OF, run
from conftest import REPO

EXAMPLE_BID = REPO / "tests" / "bid" / "example_bid.json"


def test_output_in_a_missing_folder_is_refused_by_every_command(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path], tmp_path: Path
) -> None:
    sample = make_sample(10)
    missing = tmp_path / "nonexistent" / "dir"
    commands = {
        "validate": ["validate", str(sample), *AS_OF, "-o", str(missing / "r.txt")],
        "validate json": [
            "validate",
            str(sample),
            "--format",
            "json",
            "-o",
            str(missing / "r.json"),
        ],
        "annotate": ["annotate", str(sample), *AS_OF, "-o", str(missing / "c.xlsx")],
        "bid": ["bid", "--json", str(EXAMPLE_BID), "-o", str(missing / "b.xlsx")],
        "template": ["template", "-o", str(missing / "t.xlsx")],
        "mapping": ["mapping", "suggest", str(sample), "-o", str(missing / "m.yaml")],
    }
    for name, argv in commands.items():
        code, out, err = run(capsys, *argv)
        assert out == "", name
        assert code == 2, name
        assert err.count("\n") == 1 and "does not exist" in err, (name, err)
        assert str(missing.parent) in err, name
        assert not missing.parent.exists(), f"{name} created {missing.parent}"
    # a folder given as the output file
    code, _, err = run(capsys, "validate", str(sample), *AS_OF, "-o", str(tmp_path))
    assert code == 2 and "is a folder" in err


def _sheets(path: Path) -> list[str]:
    from openpyxl import load_workbook

    return load_workbook(path, read_only=True).sheetnames


def test_bid_never_replaces_an_existing_file_without_force(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from bid.bid_helpers import pipeline_book

    book = tmp_path / "pipeline.xlsx"
    pipeline_book(book)
    copy = tmp_path / "pipeline.bid.xlsx"
    assert run(capsys, "bid", str(book), "--deal", "D-00001", *AS_OF)[0] == 0
    first = copy.read_bytes()
    # a second deal into the same default file: refused, the first bid kept, the way shown
    code, out, err = run(capsys, "bid", str(book), "--deal", "D-00002", *AS_OF)
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "exists" in err and "--force" in err and "--deal D-00002 --in-place" in err
    assert copy.read_bytes() == first
    # the way the message shows: add the second bid to the copy
    assert run(capsys, "bid", str(copy), "--deal", "D-00002", "--in-place", *AS_OF)[0] == 0
    assert [s for s in _sheets(copy) if s.startswith("Bid")] == ["Bid – D-00001", "Bid – D-00002"]
    # --force replaces it (a copy from the pipeline again: only the new deal's sheet)
    assert run(capsys, "bid", str(book), "--deal", "D-00003", "--force", *AS_OF)[0] == 0
    assert [s for s in _sheets(copy) if s.startswith("Bid")] == ["Bid – D-00003"]
    # -o onto an existing file and a --json workbook are refused alike
    other = tmp_path / "other.xlsx"
    other.write_bytes(first)
    assert run(capsys, "bid", str(book), "--deal", "D-00001", "-o", str(other))[0] == 2
    assert other.read_bytes() == first
    assert run(capsys, "bid", "--json", str(EXAMPLE_BID), "-o", str(other))[0] == 2
    assert run(capsys, "bid", "--json", str(EXAMPLE_BID), "-o", str(other), "--force")[0] == 0


def test_annotate_never_replaces_an_existing_copy_without_force(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(12)
    copy = sample.with_name(f"{sample.stem}.checked.xlsx")
    assert run(capsys, "annotate", str(sample), *AS_OF)[0] == 0
    first = copy.read_bytes()
    code, out, err = run(capsys, "annotate", str(sample), *AS_OF)
    assert code == 2 and out == "" and "exists" in err and "--force" in err
    assert copy.read_bytes() == first
    code, out, _ = run(capsys, "annotate", str(sample), *AS_OF, "--force")
    assert code == 0 and str(copy.resolve()) in out


def test_annotating_a_checked_copy_refreshes_it_never_a_checked_checked_copy(
    capsys: pytest.CaptureFixture[str], make_sample: Callable[..., Path]
) -> None:
    sample = make_sample(12)
    copy = sample.with_name(f"{sample.stem}.checked.xlsx")
    assert run(capsys, "annotate", str(sample), *AS_OF)[0] == 0
    first = copy.read_bytes()
    for extra in ([], ["--force"]):  # its default copy is itself: --force does not write over it
        code, _, err = run(capsys, "annotate", str(copy), *AS_OF, *extra)
        assert code == 2 and "the output is the input; use --in-place" in err
        assert copy.read_bytes() == first
    code, out, _ = run(capsys, "annotate", str(copy), *AS_OF, "--in-place")
    assert code == 0 and "backup" in out
    assert not list(sample.parent.glob("*.checked.checked.*"))


MAVEN_LIKE = """Opp Ref,Rep,Account,Sales Step,Close,Value
OPP-1,Ann,Acme,Bidding,2027-03-01,120000
OPP-2,Bob,Hooli,Proposal,2027-05-01,80000
"""


def test_bid_reads_a_foreign_export_with_mapping(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(MAVEN_LIKE, encoding="utf-8")
    mapping = tmp_path / "export-mapping.json"
    mapping.write_text(
        '{"columns": {"Opp Ref": "deal_id", "Account": "customer", "Rep": "owner",'
        ' "Sales Step": "stage", "Close": "expected_close", "Value": "amount"}}',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "bid", str(export), "--deal", "OPP-1", *AS_OF)
    assert code == 2 and "OPP-1" not in _maybe_sheets(tmp_path / "export.bid.xlsx")
    code, out, err = run(
        capsys, "bid", str(export), "--deal", "OPP-1", "--mapping", str(mapping), *AS_OF
    )
    assert code == 0 and "Bid – OPP-1" in out, err
    assert "Bid – OPP-1" in _sheets(tmp_path / "export.bid.xlsx")


def _maybe_sheets(path: Path) -> str:
    return " ".join(_sheets(path)) if path.exists() else ""
