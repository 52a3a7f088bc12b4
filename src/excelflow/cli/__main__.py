"""``python -m excelflow.cli``: the same as the ``excelflow`` command."""

from excelflow.cli import console

console()
