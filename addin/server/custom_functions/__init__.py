"""ExcelFlow's worksheet functions for xlwings Server: exactly the 13 ``EF_*`` functions.

xlwings Server registers every ``@xw.func`` it finds in this package; only the names in
``excelflow.xl.udfs.__all__`` are imported here, so nothing else is callable.
"""

from excelflow.xl.udfs import *  # noqa: F403
from excelflow.xl.udfs import __all__ as __all__
