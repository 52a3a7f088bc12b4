"""The ribbon's Validate on a server with a history database: compared with the book's previous
check (HX findings in the Findings sheet and the alert), recorded per workbook and per user;
without the database nothing is read or recorded. Once on SQLite, once on PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from excelflow import history
from excelflow.history import schema
from excelflow.xl import macros_history
from rules.golden import write_case
from xl.macro_support import payload_of, run

DAY0 = dt.date(2026, 9, 1)
FIRST = [{"stage": 2, "m:coach": None}, {"stage": 4}, {"stage": 3, "status": "lost"}]
LATER = [{"stage": 4, "m:coach": None}, {"stage": 2}, {"stage": 3}]


def _validate(tmp_path: Path, rows: list[dict[str, object]], day: dt.date) -> tuple[str, set[str]]:
    book = tmp_path / "team-pipeline.xlsx"
    write_case(book, {"rows": rows}, "en", DAY0)
    _, result = run("validate_pipeline", payload_of(book), "en", day.isoformat())
    text, mode = result.alerts[-1]
    assert mode == "info", text
    shown = {str(v) for sheet in result.sheets for v in sheet.values.values()}
    return text, {code for code in ("HX01", "HX02", "HX03", "HX04") if code in shown}


def test_the_ribbon_records_per_workbook_and_user(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(history.ENV_VAR, store_url)
    token = history.REQUESTER.set("alice")
    try:
        text, codes = _validate(tmp_path, FIRST, DAY0)
        assert "recorded in the history database" in text and codes == set()
        text, codes = _validate(tmp_path, LATER, DAY0 + dt.timedelta(days=7))
    finally:
        history.REQUESTER.reset(token)
    assert "Compared with the last check (2026-09-01): 3 history findings (HX)" in text
    assert codes == {"HX01", "HX02", "HX04"}
    with history.open_store(store_url).engine.connect() as conn:
        rows = conn.execute(sa.select(schema.checks).order_by(schema.checks.c.id)).all()
    assert [(r.file, r.user_name, r.deals) for r in rows] == [
        ("excel:alice/team-pipeline.xlsx", "alice", 3)
    ] * 2
    # another user's book of the same name is another history
    token = history.REQUESTER.set("bob")
    try:
        text, codes = _validate(tmp_path, LATER, DAY0 + dt.timedelta(days=8))
    finally:
        history.REQUESTER.reset(token)
    assert codes == set() and "Compared with" not in text


def test_without_a_history_database_nothing_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(history.ENV_VAR, raising=False)
    text, codes = _validate(tmp_path, FIRST, DAY0)
    assert "history" not in text and codes == set()


def test_an_unreachable_history_database_is_one_line_in_the_alert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(history.ENV_VAR, str(tmp_path / "missing-folder" / "h.sqlite"))
    text, _ = _validate(tmp_path, FIRST, DAY0)
    assert "this check was not recorded" in text and "does not exist" in text
    assert history.ENV_VAR == macros_history.HISTORY_ENV


def test_the_token_provider_names_the_requester(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from excelflow.server import auth, tokens

    path = tmp_path / "tokens.json"
    monkeypatch.setenv(tokens.ENV_FILE, str(path))
    secret = tokens.add(path, "carol")

    async def call() -> str | None:
        await auth.validate_token(f"Bearer {secret}")
        return history.REQUESTER.get()

    assert asyncio.run(call()) == "carol"
    assert history.REQUESTER.get() is None  # set in the request's context only


def test_the_pane_report_says_what_changed_since_the_last_check(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The task pane's "changes since the last check": advanced, went back, new, newly forced
    (HX01), stalled (HX03), re-opened (HX04), with the date of that check; nothing on a first
    check, nothing without a history database."""
    import json

    from excelflow.xl import pane

    book = tmp_path / "team-pipeline.xlsx"

    def pane_report(rows: list[dict[str, object]], day: dt.date) -> dict[str, object]:
        write_case(book, {"rows": rows}, "en", DAY0)
        actions, _ = run("validate_pipeline", payload_of(book), "en", day.isoformat(), "pane")
        (text,) = [a["args"][1] for a in actions if a["func"] == "runMacro"]
        assert [a["args"][0] for a in actions if a["func"] == "runMacro"] == [pane.CALLBACK]
        report: dict[str, object] = json.loads(text)
        return report

    assert pane_report(FIRST, DAY0)["changes"] is None  # no history here yet
    monkeypatch.setenv(history.ENV_VAR, store_url)
    token = history.REQUESTER.set("alice")
    try:
        assert pane_report(FIRST, DAY0)["changes"] is None  # the first recorded check
        later = pane_report([*LATER, {"stage": 1}], DAY0 + dt.timedelta(days=7))
    finally:
        history.REQUESTER.reset(token)
    assert later["changes"] == {
        "since": "2026-09-01",
        "advanced": 1,  # D-001: stage 2 -> 4, Coach still missing
        "went_back": 1,  # D-002: stage 4 -> 2
        "new": 1,  # D-004
        "newly_forced": 1,  # HX01 on D-001
        "stalled": 0,
        "reopened": 1,  # D-003: lost -> open
    }


def test_entra_id_sign_in_names_the_user_in_snapshots_and_changes(
    tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``--auth entraid``: a token signed here (a local key set, as an air-gapped server
    gives xlwings Server's provider) is validated by xlwings Server's own Entra ID code; the
    signed-in user's UPN from its claims is who the ribbon's Validate records, and whose
    previous check the task pane's changes compare with. A token signed by another key is 401."""
    import contextvars
    import importlib
    import json
    import time

    from fastapi import HTTPException
    from joserfc import jwt
    from joserfc.jwk import KeySet, RSAKey
    from xlwings_server.config import settings

    from excelflow.server import auth
    from excelflow.xl import pane

    entraid = importlib.import_module("xlwings_server.auth.entraid")
    tenant, client = "7d1f0c58-0000-4000-8000-00000000c0de", "5a9e3c11-0000-4000-8000-0000000ad0d1"
    monkeypatch.setattr(settings, "auth_entraid_tenant_id", tenant)
    monkeypatch.setattr(settings, "auth_entraid_client_id", client)
    monkeypatch.setattr(settings, "auth_entraid_multitenant", False)
    key = RSAKey.generate_key(2048, parameters={"kid": "ef-test"}, private=True)

    async def key_set() -> dict[str, object]:
        return dict(KeySet([key]).as_dict(private=False))

    monkeypatch.setattr(entraid.jwks, "get_jwks_json", key_set)
    now = int(time.time())
    claims = {
        "ver": "2.0", "aud": client, "iss": f"https://login.microsoftonline.com/{tenant}/v2.0",
        "iat": now, "nbf": now, "exp": now + 3600, "oid": "0f0f0f0f-1111-2222-3333-444455556666",
        "name": "Alice Zhang", "preferred_username": "alice.zhang@contoso.example",
    }  # fmt: skip

    def signed(with_key: RSAKey) -> str:
        return jwt.encode({"alg": "RS256", "kid": "ef-test"}, claims, with_key)

    async def sign_in(token: str) -> contextvars.Context:
        await auth.validate_entraid_token(f"Bearer {token}")
        return contextvars.copy_context()  # the request's context, as the route runs in it

    forged = RSAKey.generate_key(2048, parameters={"kid": "ef-test"}, private=True)
    with pytest.raises(HTTPException) as refused:
        asyncio.run(sign_in(signed(forged)))
    assert refused.value.status_code == 401
    request = asyncio.run(sign_in(signed(key)))
    assert request.run(history.REQUESTER.get) == "alice.zhang@contoso.example"
    assert history.REQUESTER.get() is None

    monkeypatch.setenv(history.ENV_VAR, store_url)
    book = tmp_path / "team-pipeline.xlsx"

    def pane_changes(rows: list[dict[str, object]], day: dt.date) -> object:
        write_case(book, {"rows": rows}, "en", DAY0)
        actions, _ = run("validate_pipeline", payload_of(book), "en", day.isoformat(), "pane")
        (text,) = [a["args"][1] for a in actions if a["func"] == "runMacro"]
        assert [a["args"][0] for a in actions if a["func"] == "runMacro"] == [pane.CALLBACK]
        return json.loads(text)["changes"]

    assert request.run(pane_changes, FIRST, DAY0) is None  # the first recorded check
    changes = request.run(pane_changes, LATER, DAY0 + dt.timedelta(days=7))
    assert isinstance(changes, dict) and changes["since"] == "2026-09-01"
    assert changes["advanced"] == 1 and changes["went_back"] == 1
    with history.open_store(store_url).engine.connect() as conn:
        rows = conn.execute(sa.select(schema.checks).order_by(schema.checks.c.id)).all()
    assert [(r.file, r.user_name) for r in rows] == [
        ("excel:alice.zhang@contoso.example/team-pipeline.xlsx", "alice.zhang@contoso.example")
    ] * 2
    # the claims' fallbacks: a v1.0 token's upn, then the display name
    assert auth.claims_user({"upn": "bob@contoso.example", "name": "Bob"}) == "bob@contoso.example"
    assert auth.claims_user({"name": "Carol\x1b[31m Wu", "oid": "x"}) == "Carol[31m Wu"
    assert auth.claims_user({}) is None
