"""Test-session setup shared by every test folder.

xlwings picks its server-side dispatcher (``xlwings.server``) once, when it is first imported, and
only when ``XLWINGS_ON_SERVER`` is set; its PRO parts need a licence key. Our open-source test
suite is non-commercial use, so the key ``noncommercial`` is set here — in the test session only,
never in the package.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLWINGS_ON_SERVER", "true")
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
