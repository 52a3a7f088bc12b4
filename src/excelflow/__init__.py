"""ExcelFlow: stage-gate checks, A-D grading and bid analysis for B2B sales pipeline workbooks."""

__version__ = "0.1.0"
"""The one place the version is written: hatchling reads it for the wheel (``[tool.hatch.version]``
in pyproject.toml), so start-up needs no ``importlib.metadata`` lookup (~0.1 s, issue 16)."""

__all__ = ["__version__"]
