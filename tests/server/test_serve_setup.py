"""``excelflow serve`` without a server: tokens, the development CA, and every refusal."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography import x509

from excelflow.cli import main
from excelflow.server import devcert, launch, tokens


def test_a_token_is_shown_once_and_stored_only_as_a_salted_hash(tmp_path: Path) -> None:
    path = tmp_path / "tokens.json"
    alice, bob = tokens.add(path, "alice"), tokens.add(path, "bob")
    text = path.read_text()
    assert alice.split("_", 2)[2] not in text and bob.split("_", 2)[2] not in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    entries = json.loads(text)["tokens"]
    assert len({e["salt"] for e in entries}) == 2
    assert tokens.verify(path, alice) == "alice" and tokens.verify(path, bob) == "bob"
    for bad in (
        "",
        "alice",
        alice[:-1],
        alice + "x",
        "ef_" + alice[3:11] + "_x",
        bob[:12] + alice[12:],
    ):
        assert tokens.verify(path, bad) is None, bad
    with pytest.raises(tokens.TokenError, match="already"):
        tokens.add(path, "alice")
    tokens.remove(path, "alice")
    assert tokens.verify(path, alice) is None and tokens.verify(path, bob) == "bob"
    with pytest.raises(tokens.TokenError, match="no token"):
        tokens.remove(path, "alice")


def test_token_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "t.json"
    assert main(["serve", "token", "--tokens-file", str(path), "add", "carol"]) == 0
    token = capsys.readouterr().out.strip()
    assert tokens.verify(path, token) == "carol"
    assert main(["serve", "--tokens-file", str(path), "token", "list"]) == 0
    assert capsys.readouterr().out.startswith("carol\t")
    assert main(["serve", "token", "--tokens-file", str(path), "add", "carol"]) == 2
    assert main(["serve", "token", "--tokens-file", str(path), "remove", "carol"]) == 0
    assert tokens.load(path) == []


def test_dev_cert_is_signed_by_its_ca_for_loopback_and_kept(tmp_path: Path) -> None:
    made = devcert.ensure(tmp_path, ["excel.example.test"])
    ca = x509.load_pem_x509_certificate(made.ca.read_bytes())
    leaf = x509.load_pem_x509_certificate(made.cert.read_bytes())
    leaf.verify_directly_issued_by(ca)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(sans.get_values_for_type(x509.DNSName)) == {"localhost", "excel.example.test"}
    assert {str(ip) for ip in sans.get_values_for_type(x509.IPAddress)} == {"127.0.0.1", "::1"}
    assert stat.S_IMODE(made.key.stat().st_mode) == 0o600
    again = devcert.ensure(tmp_path, ["excel.example.test"])
    assert again.cert.read_bytes() == made.cert.read_bytes()  # nothing to trust again
    devcert.ensure(tmp_path, ["other.example.test"])  # a new name: new leaf, same CA
    assert made.ca.read_bytes() == again.ca.read_bytes()
    assert str(made.ca) in devcert.trust_instructions(made.ca)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "refusing to start without sign-in"),
        (["--insecure-no-auth", "--host", "0.0.0.0", "--dev-cert"], "non-loopback"),
        (["--auth", "tokens", "--insecure-no-auth", "--dev-cert"], "not both"),
        (["--auth", "tokens", "--dev-cert"], "no tokens"),
        (["--auth", "entraid", "--dev-cert"], "XLWINGS_AUTH_ENTRAID_CLIENT_ID"),
        (["--insecure-no-auth"], "HTTPS"),
        (["--insecure-no-auth", "--cert", "c.pem"], "go together"),
        (["--insecure-no-auth", "--dev-cert", "--http"], "HTTPS"),
    ],
)
def test_serve_refuses_to_start_open(
    args: list[str], says: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["serve", "--tokens-file", str(tmp_path / "none.json"), *args])
    assert code == 2
    assert says in capsys.readouterr().err


def test_serve_without_a_licence_key_says_what_it_costs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("XLWINGS_LICENSE_KEY")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert main(["serve", "--insecure-no-auth", "--dev-cert"]) == 2
    err = capsys.readouterr().err
    assert "noncommercial" in err and "paid xlwings licence" in err


def test_server_environment_limits_cors_to_the_servers_origin(tmp_path: Path) -> None:
    options = launch.ServeOptions(
        "127.0.0.1", 8443, "tokens", tmp_path, tmp_path / "t.json", 1024, ["https://x.test"]
    )
    env = options.environment()
    assert json.loads(env["XLWINGS_AUTH_PROVIDERS"]) == ["excelflow"]
    assert json.loads(env["XLWINGS_CORS_ALLOW_ORIGINS"]) == [
        "https://127.0.0.1:8443",
        "https://x.test",
    ]
    assert launch.origin("::1", 443) == "https://[::1]"
    assert (launch.project_dir() / "custom_functions" / "__init__.py").is_file()


def test_a_public_host_names_the_manifest_and_the_allowed_origin(tmp_path: Path) -> None:
    options = launch.ServeOptions(
        "0.0.0.0", 8443, "entraid", tmp_path, tmp_path / "t.json", 1024, [], "excel.example.test"
    )
    env = options.environment()
    assert env["XLWINGS_HOSTNAME"] == "excel.example.test"
    assert json.loads(env["XLWINGS_AUTH_PROVIDERS"]) == ["entraid"]
    assert json.loads(env["XLWINGS_CORS_ALLOW_ORIGINS"])[0] == "https://excel.example.test"
