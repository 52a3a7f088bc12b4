"""ExcelFlow's ribbon scripts for xlwings Server: exactly the five ``@xw.script`` functions
(``excelflow.xl.macros.__all__``).

``excelflow serve`` answers 404 to a script call naming anything else (see
``excelflow.server.app``).
"""

from excelflow.xl.macros import *  # noqa: F403
from excelflow.xl.macros import __all__ as __all__
