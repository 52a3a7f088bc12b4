"""The auth providers of ``excelflow serve``: ``excelflow`` (bearer tokens from :mod:`.tokens`)
and ``entraid`` (xlwings Server's own Entra ID validation, naming the signed-in user).

xlwings Server imports ``auth.<provider>`` from its project folder and awaits
``validate_token(authorization_header)`` on every function and script call; ours is the
project's ``auth/excelflow.py``, which re-exports :func:`validate_token`. A valid token's user is
its name (also set as :data:`excelflow.history.REQUESTER`, the user a recorded check is
stored under); anything else is 401. Verified tokens are remembered (by their SHA-256) only
while the token file is unchanged, so ``excelflow serve token remove`` takes effect on the next
call. With Entra ID (:func:`validate_entraid_token`, the project's ``auth/entraid.py``), the
user is the one the validated token's claims name (UPN, else name, else object id).
"""

from __future__ import annotations

import hashlib
import importlib
import re
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


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

USER_CLAIMS = ("preferred_username", "upn", "unique_name", "email", "name", "oid")
"""The claims that name the signed-in user, first found wins: the UPN of a v2.0 token
(``preferred_username``), of a v1.0 token (``upn``, ``unique_name``), then the display name and
the object id."""


def claims_user(claims: dict[str, Any]) -> str | None:
    """The signed-in user a validated token's claims name (without control characters)."""
    for key in USER_CLAIMS:
        value = claims.get(key)
        if isinstance(value, str):
            name = _CONTROL.sub("", value).strip()
            if name:
                return name
    return None


async def validate_entraid_token(token_string: str) -> Any:
    """xlwings Server's Entra ID provider (signature against the tenant's keys, audience,
    issuer, expiry: all checked there), then the signed-in user from the token's claims as
    :data:`excelflow.history.REQUESTER`, so the ribbon's Validate records its snapshot, and the
    task pane compares, under that user.

    Raises:
        HTTPException: 401 for a token Entra ID's provider refuses.
    """
    entraid: Any = importlib.import_module("xlwings_server.auth.entraid")
    user = await entraid.validate_token(token_string)
    REQUESTER.set(claims_user(dict(user.claims or {})))
    return user
