"""ExcelFlow bearer tokens: a file of salted hashes; the token itself is shown once.

A token reads ``ef_<id>_<secret>``: ``id`` finds its entry, ``secret`` (32 random bytes) is
checked against ``scrypt(secret, salt)``. The file (JSON, mode 0600) never holds a token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ENV_FILE = "EXCELFLOW_TOKENS_FILE"
"""Environment variable naming the token file (``excelflow serve`` sets it for the server)."""

_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class TokenError(ValueError):
    """The token file cannot be used, or a name is taken / unknown."""


@dataclass(frozen=True)
class TokenEntry:
    """One issued token as stored: who it is for and how to check it."""

    id: str
    name: str
    salt: str
    hash: str
    created: str


def default_path() -> Path:
    """``$EXCELFLOW_TOKENS_FILE``, else ``~/.config/excelflow/tokens.json`` (XDG)."""
    if os.environ.get(ENV_FILE):
        return Path(os.environ[ENV_FILE])
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "excelflow" / "tokens.json"


def _digest(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT).hex()


def load(path: Path) -> list[TokenEntry]:
    """The entries in ``path`` (none when it does not exist).

    Raises:
        TokenError: the file is not a token file.
    """
    if not path.exists():
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return [TokenEntry(**entry) for entry in data["tokens"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise TokenError(f"{path}: not an ExcelFlow token file ({exc})") from exc


def _save(path: Path, entries: list[TokenEntry]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body: dict[str, Any] = {"version": 1, "tokens": [e.__dict__ for e in entries]}
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(body, out, indent=2)
    os.replace(tmp, path)


def add(path: Path, name: str) -> str:
    """Issue a token for ``name``, store its salted hash and return the token (shown once).

    Raises:
        TokenError: ``name`` is empty or already has a token.
    """
    name = name.strip()
    entries = load(path)
    if not name:
        raise TokenError("a token needs a name (who or what uses it)")
    if any(e.name == name for e in entries):
        raise TokenError(f"{name!r} already has a token: remove it first")
    token_id = secrets.token_hex(4)
    while any(e.id == token_id for e in entries):
        token_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    entries.append(TokenEntry(token_id, name, salt.hex(), _digest(secret, salt), created))
    _save(path, entries)
    return f"ef_{token_id}_{secret}"


def remove(path: Path, name: str) -> None:
    """Revoke ``name``'s token.

    Raises:
        TokenError: no token has that name.
    """
    entries = load(path)
    kept = [e for e in entries if e.name != name]
    if len(kept) == len(entries):
        raise TokenError(f"no token named {name!r}")
    _save(path, kept)


def verify(path: Path, token: str) -> str | None:
    """The name the token was issued to, or None when it is not a valid token."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "ef" or not parts[2]:
        return None
    for entry in load(path):
        if hmac.compare_digest(entry.id, parts[1]):
            expected = _digest(parts[2], bytes.fromhex(entry.salt))
            return entry.name if hmac.compare_digest(expected, entry.hash) else None
    return None
