"""A real ``excelflow serve``: HTTPS on 127.0.0.1 with a test CA (trustme), ExcelFlow tokens.

One server for the module (it takes a few seconds to start); the fixture always stops it. The
licence key ``noncommercial`` is set for the server process here, in the tests only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from defusedxml.ElementTree import fromstring
from openpyxl import load_workbook

from excelflow.server import tokens
from excelflow.xl import macros
from xl.book_payload import book_payload, run_script
from xl.test_udfs_check import AS_OF, HEADER_EN, engine_rows, workbook
from xl.udf_payload import call, cell, officejs_rows, payload, serial

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parents[2]
OFFICE = "{http://schemas.microsoft.com/office/appforoffice/1.1}"
BT = "{http://schemas.microsoft.com/office/officeappbasictypes/1.0}"
SCRIPTS = {
    "validate_pipeline",
    "grade_deals",
    "refresh_dashboard",
    "bid_analysis",
    "insert_template_sheets",
}
MAX_BODY_MB = 8


@dataclass
class Server:
    """A running server: where it is, how to trust it, a good token."""

    url: str
    context: ssl.SSLContext
    token: str
    log: Path

    def request(
        self,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One HTTPS request; returns status, headers (lower-case names) and body."""
        data = raw if raw is not None else None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        if token is not None:
            req.add_header("Authorization", f"Bearer {token}")
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, context=self.context, timeout=120) as resp:
                return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()

    def json(self, path: str, body: Any = None, **kw: Any) -> Any:
        """A request that must succeed; its JSON body."""
        status, _, content = self.request(path, body, **kw)
        assert status == 200, (status, content[:500])
        return json.loads(content)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``excelflow serve --auth tokens --cert --key`` on a free port; stopped afterwards."""
    tmp = tmp_path_factory.mktemp("serve")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp / "server.pem", tmp / "server-key.pem"
    leaf.private_key_pem.write_to_path(str(key))
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    token_file = tmp / "tokens.json"
    token = tokens.add(token_file, "tester")
    port = free_port()
    env = {**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial", "HOME": str(tmp)}
    for name in [n for n in env if n.startswith("XLWINGS_") and n != "XLWINGS_LICENSE_KEY"]:
        del env[name]  # the test session's XLWINGS_ON_SERVER etc. are not the server's business
    log = tmp / "server.log"
    command = [
        sys.executable, "-m", "excelflow.cli", "serve", "--host", "127.0.0.1",
        "--port", str(port), "--auth", "tokens", "--tokens-file", str(token_file),
        "--cert", str(cert), "--key", str(key), "--max-body-mb", str(MAX_BODY_MB),
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    running = Server(f"https://127.0.0.1:{port}", context, token, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"excelflow serve exited {proc.returncode}:\n{log.read_text()}")
            try:
                if running.request("/")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError, ssl.SSLError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"excelflow serve did not answer:\n{log.read_text()}")
            time.sleep(0.3)
        yield running
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_manifest_is_ours_with_the_five_buttons(server: Server) -> None:
    status, _, content = server.request("/manifest")
    assert status == 200
    root = fromstring(content)
    assert root.findtext(f"{OFFICE}ProviderName") == "ExcelFlow developers"
    assert root.find(f"{OFFICE}DisplayName").get("DefaultValue") == "ExcelFlow"  # type: ignore[union-attr]
    assert root.findtext(f"{OFFICE}Id") == "4e0c7b9a-5d21-4f6e-a8b3-7c1d2e9f0a35"
    text = content.decode()
    assert "xlwings.org" not in text and "Hello World" not in text and "hello-ribbon" not in text
    strings = {s.get("id"): s.get("DefaultValue") for s in root.iter(f"{BT}String")}
    assert strings["Tab.Label"] == "ExcelFlow / 销售流程"
    assert strings["Functions.Namespace"] == "EF"
    actions = {e.text for e in root.iter() if e.tag.endswith("FunctionName")}
    assert actions == {s.replace("_", "-") for s in SCRIPTS}
    assert any(e.tag.endswith("TaskpaneId") for e in root.iter())
    ribbon = server.request("/static/js/ribbon.js")[2].decode()
    for script in SCRIPTS:  # each button id is bound to the script of the same name
        assert f'associate("{script.replace("_", "-")}", excelflowRibbon("{script}"))' in ribbon
    icons = [i.get("DefaultValue") for i in root.iter(f"{BT}Image") if i.get("DefaultValue")]
    assert icons and all("/static/images/icons/excelflow-" in str(i) for i in icons)
    status, _, png = server.request("/static/images/icons/excelflow-32.png")
    assert status == 200 and png.startswith(b"\x89PNG")


def test_functions_metadata_lists_exactly_our_functions_with_help(server: Server) -> None:
    from excelflow.xl import udfs

    meta = server.json("/xlwings/custom-functions-meta")
    names = {f["name"] for f in meta["functions"]}
    assert names == {n.upper() for n in udfs.__all__} and len(names) == 13
    assert all(f.get("description") for f in meta["functions"])
    scripts = server.json("/xlwings/custom-scripts-meta")
    assert {s["function_name"] for s in scripts} == SCRIPTS


def test_calls_need_a_valid_token(server: Server) -> None:
    body = payload("ef_grade", cell("2026-12-20"), cell(0.8), cell(serial(AS_OF)))
    path = "/xlwings/custom-functions-call"
    assert server.request(path, body)[0] == 401
    assert server.request(path, body, token="ef_00000000_wrong")[0] == 401
    assert server.request(path, body, token=server.token[:-2] + "xx")[0] == 401
    assert server.request(path, body, token=server.token)[0] == 200
    book = {"client": "Office.js", "version": "0", "book": {}, "names": [], "sheets": []}
    assert server.request("/xlwings/custom-scripts-call/grade_deals", book)[0] == 401
    # authentication comes first: an anonymous call with an empty body is 401, not 400
    for route in ("custom-scripts-call/validate_pipeline", "custom-functions-call"):
        status, headers, _ = server.request(f"/xlwings/{route}", {})
        assert status == 401 and headers.get("www-authenticate") == "Bearer", route
        assert server.request(f"/xlwings/{route}", {}, token="ef_00000000_wrong")[0] == 401
    assert server.request("/xlwings/custom-scripts-call/validate_pipeline", raw=b"")[0] == 401


def test_only_our_scripts_can_be_called(server: Server) -> None:
    book = {"client": "Office.js", "version": "0", "book": {}, "names": [], "sheets": []}
    for name in ("__class__", "hello_world", "xw", "macros"):
        status, _, _ = server.request(f"/xlwings/custom-scripts-call/{name}", book, token="x")
        assert status == 404, name


def test_cors_allows_only_the_servers_own_origin(server: Server) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    path = "/xlwings/custom-functions-call"
    status, headers, _ = server.request(
        path, method="OPTIONS", headers={**preflight, "Origin": "https://evil.example"}
    )
    assert status == 400 and "access-control-allow-origin" not in headers
    status, headers, _ = server.request(
        path, method="OPTIONS", headers={**preflight, "Origin": server.url}
    )
    assert status == 200 and headers["access-control-allow-origin"] == server.url


def test_request_size_is_limited(server: Server) -> None:
    big = b"[" + b"0," * (MAX_BODY_MB * 1024 * 1024 // 2) + b"0]"
    status, _, _ = server.request("/xlwings/custom-functions-call", raw=big, token=server.token)
    assert status == 413


def test_ef_grade_answers_like_the_engine(server: Server) -> None:
    cases = [
        (AS_OF + dt.timedelta(days=30), 0.8),
        (AS_OF + dt.timedelta(days=150), 0.5),
        (AS_OF + dt.timedelta(days=300), 0.25),
        (AS_OF + dt.timedelta(days=500), 0.9),
    ]
    for close, probability in cases:
        args = (cell(serial(close)), cell(probability), cell(serial(AS_OF)))
        got = server.json(
            "/xlwings/custom-functions-call", payload("ef_grade", *args), token=server.token
        )
        assert got["result"] == call("ef_grade", *args)
    assert [
        server.json(
            "/xlwings/custom-functions-call",
            payload("ef_grade", cell(serial(c)), cell(p), cell(serial(AS_OF))),
            token=server.token,
        )["result"][0][0]
        for c, p in cases
    ] == ["A", "B", "C", "D"]


@pytest.mark.slow
def test_ef_check_on_2000_deals_gives_the_engines_findings(server: Server, tmp_path: Path) -> None:
    path, grid = workbook(tmp_path, n=2000)
    body = payload("ef_check", officejs_rows(grid), cell("en"), cell(serial(AS_OF)))
    result = server.json("/xlwings/custom-functions-call", body, token=server.token)["result"]
    assert result[0] == HEADER_EN
    assert result[1:] == engine_rows(path)
    assert len(grid) == 2001 and len(result) > 100  # generated deals break rules on purpose
    assert max(int(r[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")) for r in result[1:] if r[1]) > 1900


def test_validate_pipeline_on_the_template_gives_the_scripts_actions(server: Server) -> None:
    book = book_payload(
        load_workbook(REPO / "templates" / "pipeline.xlsx", data_only=True), name="pipeline.xlsx"
    )
    args = [None, AS_OF.isoformat()]
    got = server.json(
        "/xlwings/custom-scripts-call/validate_pipeline", {**book, "args": args}, token=server.token
    )
    actions = [{k: v for k, v in a.items() if v is not None} for a in got["actions"]]
    expected = run_script(macros, "validate_pipeline", book, args)
    assert [a["func"] for a in actions] == [a["func"] for a in expected]
    assert actions == expected
    alert = [a for a in actions if a["func"] == "alert"][-1]
    assert "Traceback" not in alert["args"][0]


def test_task_pane_and_auth_script_are_ours(server: Server) -> None:
    status, _, page = server.request("/taskpane.html")
    text = page.decode()
    assert status == 200 and "ExcelFlow · 销售流程" in text
    assert 'id="excelflow-signin"' in text and "/static/js/signin.js" in text
    auth = server.request("/static/js/auth.js")[2].decode()
    assert 'localStorage.getItem("excelflow.token")' in auth and "test-token" not in auth
