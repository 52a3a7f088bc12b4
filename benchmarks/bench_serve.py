"""EF_CHECK over HTTPS through a real ``excelflow serve`` (token auth, a throw-away trustme CA),
as the add-in's custom-functions code posts it, vs the same call through xlwings' dispatcher
in-process (no HTTP) and the engine alone.

The server is started the way ``tests/server/test_serve.py`` starts it and always stopped. The
licence key ``noncommercial`` is set for the server process only (a noncommercial benchmark).
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(tmp: Path) -> Iterator[tuple[str, ssl.SSLContext, str]]:
    """A running ``excelflow serve --auth tokens`` over HTTPS: (url, TLS context, token)."""
    import trustme

    from excelflow.server import tokens

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    cert, key = tmp / "server.pem", tmp / "server-key.pem"
    leaf.private_key_pem.write_to_path(str(key))
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    context = ssl.create_default_context()
    ca.configure_trust(context)
    token_file = tmp / "tokens.json"
    token = tokens.add(token_file, "bench")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XLWINGS_")}
    env |= {"XLWINGS_LICENSE_KEY": "noncommercial", "HOME": str(tmp)}
    command = [
        sys.executable, "-m", "excelflow", "serve", "--host", "127.0.0.1", "--port", str(port),
        "--auth", "tokens", "--tokens-file", str(token_file), "--cert", str(cert),
        "--key", str(key), "--max-body-mb", "64",
    ]  # fmt: skip
    log = tmp / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"excelflow serve exited {proc.returncode}: {log.read_text()}")
            try:
                with urllib.request.urlopen(url + "/", context=context, timeout=10) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, ssl.SSLError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"excelflow serve did not answer: {log.read_text()}")
            time.sleep(0.3)
        yield url, context, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def post(url: str, context: ssl.SSLContext, token: str, body: Any) -> Any:
    req = urllib.request.Request(
        url + "/xlwings/custom-functions-call", data=json.dumps(body).encode(), method="POST"
    )
    req.add_header("Content-Type", "application/json")
    req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, context=context, timeout=300) as resp:
        return json.loads(resp.read())


def main(deals: int = 10_000, repeat: int = 5) -> dict[str, float]:
    """Medians of ``repeat`` interleaved rounds: HTTP, in-process dispatcher, engine alone."""
    import bench_udf

    from excelflow.functions import checks as calc
    from excelflow.xl import convert

    table = bench_udf.officejs_grid(deals)
    body = bench_udf.payload("ef_check", table)
    ruleset = calc.default_ruleset()
    cells = convert.grid(table)
    times: dict[str, list[float]] = {"http": [], "dispatch": [], "engine": []}
    with tempfile.TemporaryDirectory(prefix="ef-serve-") as name, serving(Path(name)) as srv:
        url, context, token = srv
        first = post(url, context, token, body)["result"]
        assert first == bench_udf.dispatch("ef_check", table), "HTTP and dispatcher disagree"
        for _ in range(repeat):
            for kind in times:
                start = time.perf_counter()
                if kind == "http":
                    post(url, context, token, body)
                elif kind == "dispatch":
                    bench_udf.dispatch("ef_check", table)
                else:
                    calc.check_table(cells, ruleset, lang="en", as_of=bench_udf.AS_OF)
                times[kind].append(time.perf_counter() - start)
    out = {k: statistics.median(v) for k, v in times.items()}
    out["findings"] = float(len(first) - 1)
    out["body_mb"] = len(json.dumps(body)) / 1e6
    return out


if __name__ == "__main__":
    print(main())
