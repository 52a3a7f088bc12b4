"""``excelflow serve``: the Excel add-in's server (xlwings Server running ``addin/server``), and
``excelflow serve token add|list|remove`` for its sign-in tokens.

The server never starts open by accident: it needs an auth choice (``--auth tokens`` or
``--auth entraid``; ``--insecure-no-auth`` only on a loopback address) and HTTPS (``--cert`` and
``--key``, or ``--dev-cert``; plain ``--http`` only on loopback, e.g. behind a TLS proxy).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from excelflow.cli.common import EXIT_ERROR, EXIT_OK, visible_log_config

LICENCE = (
    "xlwings Server needs an xlwings licence key: set XLWINGS_LICENSE_KEY=noncommercial for "
    "noncommercial use (PolyForm Noncommercial); commercial use needs a paid xlwings licence "
    "(https://www.xlwings.org/pricing)."
)


def add_parser(sub: Any) -> None:
    """Register ``serve`` with the subcommands ``sub``."""
    p = sub.add_parser("serve", help="run the Excel add-in's server (xlwings Server)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--auth",
        choices=("tokens", "entraid"),
        help="sign-in: ExcelFlow tokens (serve token add) or Microsoft Entra ID",
    )
    p.add_argument(
        "--insecure-no-auth",
        action="store_true",
        help="no sign-in at all: loopback development only",
    )
    p.add_argument("--cert", type=Path, help="TLS certificate chain (PEM)")
    p.add_argument("--key", type=Path, help="TLS private key (PEM)")
    p.add_argument(
        "--dev-cert",
        action="store_true",
        help="make (once) a local CA and a certificate for this host, and print how to trust it",
    )
    p.add_argument("--cert-dir", type=Path, help="where --dev-cert keeps its files")
    p.add_argument("--http", action="store_true", help="plain HTTP, loopback only (TLS proxy)")
    p.add_argument(
        "--public-host",
        metavar="NAME[:PORT]",
        help="host name (and port) Excel uses, if not --host: the manifest's URLs and CORS",
    )
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="another origin allowed by CORS (repeatable); default: only the server's own",
    )
    p.add_argument("--max-body-mb", type=float, default=64, help="request size limit (64 MB)")
    p.add_argument("--project", type=Path, help="another xlwings Server project folder")
    p.add_argument("--tokens-file", type=Path, help="token file (default ~/.config/excelflow)")
    p.add_argument(
        "--history",
        metavar="PATH|URL",
        help="record every Validate from the ribbon (per workbook and user) in this history "
        "database, a SQLite PATH or a postgresql:// URL, and report HX findings; default: "
        "$EXCELFLOW_HISTORY if set, else no history",
    )
    tsub = p.add_subparsers(dest="serve_command", metavar="token")
    tok = tsub.add_parser("token", help="manage sign-in tokens")
    tok.add_argument("--tokens-file", type=Path, dest="tokens_file_sub", help="token file")
    tact = tok.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    tact.add_parser("add", help="issue a token and print it once").add_argument(
        "name", help="a name for the token: who or what uses it"
    )
    tact.add_parser("remove", help="revoke a token").add_argument(
        "name", help="the name the token was issued to"
    )
    tact.add_parser("list", help="names and dates of the issued tokens")


def _fail(message: str) -> int:
    print(f"excelflow serve: {message}", file=sys.stderr)
    return EXIT_ERROR


def _token_command(args: argparse.Namespace) -> int:
    from excelflow.server import tokens

    path = args.tokens_file_sub or args.tokens_file or tokens.default_path()
    try:
        if args.token_command == "add":
            token = tokens.add(path, args.name)
            print(token)
            print(
                f"Token for {args.name!r} stored as a salted hash in {path}. It is shown only "
                "now: give it to that user for the add-in's sign-in.",
                file=sys.stderr,
            )
        elif args.token_command == "remove":
            tokens.remove(path, args.name)
            print(f"Token of {args.name!r} revoked.")
        else:
            for entry in tokens.load(path):
                print(f"{entry.name}\t{entry.created}")
    except tokens.TokenError as exc:
        return _fail(str(exc))
    return EXIT_OK


def _licensed() -> bool:
    return (
        bool(os.environ.get("XLWINGS_LICENSE_KEY"))
        or (Path.home() / ".xlwings" / "xlwings.conf").exists()
    )


def run(args: argparse.Namespace) -> int:
    """Run ``serve`` (or its ``token`` subcommand)."""
    if args.serve_command == "token":
        return _token_command(args)
    from excelflow.server import launch, tokens

    loopback = args.host in launch.LOOPBACK
    if importlib.util.find_spec("xlwings_server") is None:
        return _fail("xlwings Server is not installed: pip install 'excelflow-sales[server]'")
    if not _licensed():
        return _fail(LICENCE)
    if args.insecure_no_auth and args.auth:
        return _fail("choose --auth or --insecure-no-auth, not both")
    if args.insecure_no_auth and not loopback:
        return _fail("--insecure-no-auth is refused on a non-loopback address")
    if not args.auth and not args.insecure_no_auth:
        return _fail(
            "refusing to start without sign-in: use --auth tokens (excelflow serve token add "
            "NAME) or --auth entraid (see README), or --insecure-no-auth on loopback"
        )
    tokens_file = args.tokens_file or tokens.default_path()
    if args.auth == "tokens" and not tokens.load(tokens_file):
        return _fail(f"no tokens in {tokens_file}: run `excelflow serve token add NAME` first")
    if args.auth == "entraid" and not (
        os.environ.get("XLWINGS_AUTH_ENTRAID_CLIENT_ID")
        and os.environ.get("XLWINGS_AUTH_ENTRAID_TENANT_ID")
    ):
        return _fail("--auth entraid needs XLWINGS_AUTH_ENTRAID_CLIENT_ID and _TENANT_ID")
    if bool(args.cert) != bool(args.key):
        return _fail("--cert and --key go together")
    if sum((bool(args.cert), args.dev_cert, args.http)) != 1:
        return _fail("choose HTTPS with --cert/--key or --dev-cert (or --http on loopback)")
    if args.http and not loopback:
        return _fail("--http is refused on a non-loopback address: Office.js needs HTTPS")
    if args.insecure_no_auth:
        print("!" * 78, file=sys.stderr)
        print(
            "!! --insecure-no-auth: NO SIGN-IN. Anyone who can reach this port can run\n"
            "!! ExcelFlow's functions and scripts. Loopback development only.",
            file=sys.stderr,
        )
        print("!" * 78, file=sys.stderr)
    cert, key = args.cert, args.key
    if args.dev_cert:
        from excelflow.server import devcert

        public = args.public_host or ""
        public = public.rsplit(":", 1)[0] if public.count(":") == 1 else public  # name:port
        hosts = [h for h in (args.host, public) if h and h not in ("0.0.0.0", "::")]
        made = devcert.ensure(args.cert_dir or devcert.default_dir(), hosts)
        cert, key = made.cert, made.key
        print(devcert.trust_instructions(made.ca), file=sys.stderr)
    history = None
    if args.history:
        from excelflow.history import HistoryError, open_store, store_url

        try:
            open_store(args.history)  # fails now, in one line, rather than on every Validate
        except HistoryError as exc:
            return _fail(str(exc))
        history = store_url(args.history)
    options = launch.ServeOptions(
        host=args.host,
        port=args.port,
        auth=args.auth,
        project=(args.project or launch.project_dir()).resolve(),
        tokens_file=tokens_file.resolve(),
        max_body=int(args.max_body_mb * 1024 * 1024),
        extra_origins=args.allow_origin,
        public_host=args.public_host,
        history=history,
    )
    os.environ.update(options.environment())
    scheme = "http" if args.http else "https"
    print(f"ExcelFlow add-in: {scheme}://{args.host}:{args.port}/manifest", file=sys.stderr)
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    uvicorn.run(
        "excelflow.server.app:app",
        host=args.host,
        port=args.port,
        ssl_certfile=str(cert) if cert else None,
        ssl_keyfile=str(key) if key else None,
        server_header=False,
        # the pane loads ~40 files over a few keep-alive sockets; uvicorn's 5 s default closes
        # an idle one while the browser is sending on it, and after a few such races Chromium
        # gives up on the file (net::ERR_TOO_MANY_RETRIES, seen once in CI under load)
        timeout_keep_alive=75,
        log_level="info",
        log_config=visible_log_config(LOGGING_CONFIG),  # cell text never reaches it raw
    )
    return EXIT_OK
