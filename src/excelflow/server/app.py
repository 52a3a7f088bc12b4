"""The ASGI app ``excelflow serve`` runs: xlwings Server's app behind ExcelFlow's guard.

Import this only after :func:`excelflow.server.launch.server_environment` is in ``os.environ``:
xlwings Server reads its settings (project folder, auth providers, CORS origins) on import.

The guard answers 413 to a request body above ``$EXCELFLOW_MAX_BODY_BYTES``, 404 to a script
call naming anything but a ``@script`` of the project's ``custom_scripts`` (xlwings Server
itself would look up any attribute of that module), and 401 to a call of ``/xlwings/…`` without
valid credentials before its body is read: xlwings Server's script route parses the book before
it authenticates, so an anonymous ``{}`` got 400 instead of 401.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from xlwings_server.config import settings
from xlwings_server.main import main_app

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_ENV = "EXCELFLOW_MAX_BODY_BYTES"
DEFAULT_MAX_BODY = 64 * 1024 * 1024


def script_names() -> frozenset[str]:
    """The ``@script`` functions of the project's ``custom_scripts`` package."""
    # the project's package: xlwings Server put the project folder on sys.path
    module = importlib.import_module("custom_scripts")
    return frozenset(name for name, obj in vars(module).items() if hasattr(obj, "__xlscript__"))


async def _reply(send: Send, code: int, text: str, extra: dict[str, str] | None = None) -> None:
    body = json.dumps({"detail": text}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    for name, value in (extra or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    await send({"type": "http.response.start", "status": code, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _refused(headers: dict[bytes, bytes]) -> Any:
    """The HTTPException (401, or 400 for a wrong Auth-Provider header) xlwings Server's own
    authentication raises for these request headers; None when they sign in."""
    from fastapi import HTTPException
    from xlwings_server.dependencies import authenticate

    token = headers.get(b"authorization", b"").decode("latin-1")
    provider = headers.get(b"auth-provider")
    try:
        await authenticate(token, provider.decode("latin-1") if provider is not None else None)
    except HTTPException as exc:
        return exc
    return None


class Guard:
    """Body-size limit and script allow-list in front of ``app`` (plain ASGI)."""

    def __init__(self, app: ASGIApp, max_body: int, scripts: frozenset[str], app_path: str = ""):
        self.app, self.max_body, self.scripts = app, max_body, scripts
        self.script_prefix = f"{app_path}/xlwings/custom-scripts-call/"
        self.calls_prefix = f"{app_path}/xlwings/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(self.script_prefix) and path[len(self.script_prefix) :] not in (
            self.scripts
        ):
            await _reply(send, 404, "no such script")
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            await _reply(send, 413, f"request body larger than {self.max_body} bytes")
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        if path.startswith(self.calls_prefix) and settings.auth_providers:
            refused = await _refused(headers)
            if refused is not None:
                await _reply(send, refused.status_code, str(refused.detail), refused.headers)
                return
        chunks: list[bytes] = []
        size = 0
        while True:  # read the whole body (the routes parse all of it anyway), counting bytes
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                await _reply(send, 413, f"request body larger than {self.max_body} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


app = Guard(
    main_app,
    int(os.environ.get(MAX_BODY_ENV) or DEFAULT_MAX_BODY),
    script_names(),
    settings.app_path,
)
