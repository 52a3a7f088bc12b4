"""The ``excelflow`` auth provider for xlwings Server: bearer tokens from :mod:`.tokens`.

xlwings Server imports ``auth.<provider>`` from its project folder and awaits
``validate_token(authorization_header)`` on every function and script call; ours is the
project's ``auth/excelflow.py``, which re-exports :func:`validate_token`. A valid token's user is
its name (also set as :data:`excelflow.history.REQUESTER`, the user a recorded check is
stored under); anything else is 401. Verified tokens are remembered (by their SHA-256) only
while the token file is unchanged, so ``excelflow serve token remove`` takes effect on the next
call.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from fastapi import HTTPException, status
from xlwings_server.models import User

from excelflow.history import REQUESTER
from excelflow.server import tokens

_cache: dict[str, str] = {}
_cache_key: tuple[Path, float, int] | None = None


def _name(token: str) -> str | None:
    global _cache_key
    path = tokens.default_path()
    try:
        stat = path.stat()
    except OSError:
        return None
    key = (path, stat.st_mtime, stat.st_size)
    if key != _cache_key:
        _cache.clear()
        _cache_key = key
    digest = hashlib.sha256(token.encode()).hexdigest()
    if digest not in _cache:
        name = tokens.verify(path, token)
        if name is None:
            return None
        _cache[digest] = name
    return _cache[digest]


async def validate_token(token_string: str) -> Any:
    """The user a request's ``Authorization`` header (``Bearer ef_…`` or the bare token)
    belongs to.

    Raises:
        HTTPException: 401 for a missing, malformed, unknown or revoked token.
    """
    token = token_string.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    name = _name(token) if token else None
    if name is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="ExcelFlow: sign in with a valid token (excelflow serve token add NAME)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    REQUESTER.set(name)  # the ribbon's Validate records its snapshot under this user
    return User(id=f"token:{name}", name=name)
