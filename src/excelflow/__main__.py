"""``python -m excelflow``: the same as the ``excelflow`` command."""

from excelflow.cli import console

console()
