"""What each process of the concurrency test runs: ``excelflow validate --record`` on its files."""

from __future__ import annotations


def validate_and_record(url: str, files: list[str], as_of: str) -> list[int]:
    """Run ``excelflow validate FILE --record --history URL`` per file; the exit codes."""
    from excelflow.cli import main

    codes = []
    for path in files:
        argv = ["validate", path, "--record", "--history", url, "--as-of", as_of, "--statistics"]
        codes.append(main(argv))
    return codes
