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
