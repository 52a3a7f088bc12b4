"""ExcelFlow's entry module for xlwings Lite.

xlwings Lite: paste this file into the add-in's ``main.py`` tab and ``requirements.txt`` (beside
it) into its ``requirements.txt`` tab. xlwings Server uses ``addin/server/`` instead
(``excelflow serve``).
Everything here is the package's own code: the worksheet functions (``EF_STAGE`` …
``EF_BEST_MARKUP_NORMAL``) and the five ribbon scripts.
"""

from excelflow.xl.macros import *  # noqa: F403  (the five ribbon scripts, see its __all__)
from excelflow.xl.macros import __all__ as _scripts
from excelflow.xl.udfs import *  # noqa: F403  (the 13 EF_* worksheet functions, see __all__)
from excelflow.xl.udfs import __all__ as _functions

__all__ = [*_functions, *_scripts]
