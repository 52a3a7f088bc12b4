"""Where the xlwings Server project is and the environment the server process gets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from excelflow.server import tokens

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})
AUTH_CHOICES = ("tokens", "entraid")


def project_dir() -> Path:
    """The xlwings Server project: the wheel's ``excelflow/server/project``, else the source
    tree's ``addin/server`` (an editable install)."""
    packaged = Path(__file__).resolve().parent / "project"
    if (packaged / "custom_functions").is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "addin" / "server"


def origin(host: str, port: int) -> str:
    """The server's own HTTPS origin as a browser writes it."""
    shown = "localhost" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"https://{shown}" if port == 443 else f"https://{shown}:{port}"


@dataclass
class ServeOptions:
    """What ``excelflow serve`` was asked for (validated by the CLI)."""

    host: str
    port: int
    auth: str | None  # "tokens", "entraid" or None (only with insecure_no_auth)
    project: Path
    tokens_file: Path
    max_body: int
    extra_origins: list[str] = field(default_factory=list)
    public_host: str | None = None
    history: str | None = None
    """The history database's URL (``--history``): every Validate from the ribbon is compared
    with the book's previous check and recorded there."""

    def environment(self) -> dict[str, str]:
        """The ``XLWINGS_*`` / ``EXCELFLOW_*`` variables the server process runs with."""
        providers = {"tokens": ["excelflow"], "entraid": ["entraid"]}.get(self.auth or "", [])
        origins = [origin(self.host, self.port), *self.extra_origins]
        if self.public_host:
            origins.insert(0, f"https://{self.public_host}")
        env = {
            "XLWINGS_PROJECT_DIR": str(self.project),
            "XLWINGS_AUTH_PROVIDERS": json.dumps(providers),
            "XLWINGS_CORS_ALLOW_ORIGINS": json.dumps(list(dict.fromkeys(origins))),
            tokens.ENV_FILE: str(self.tokens_file),
            "EXCELFLOW_MAX_BODY_BYTES": str(self.max_body),
        }
        if self.public_host:
            env["XLWINGS_HOSTNAME"] = self.public_host
        if self.history:
            env["EXCELFLOW_HISTORY"] = self.history  # = excelflow.history.ENV_VAR
        return env
