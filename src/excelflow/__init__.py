"""ExcelFlow: stage-gate checks, A-D grading and bid analysis for B2B sales pipeline workbooks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("excelflow-sales")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
