"""``--dev-cert``: a local certificate authority and a server certificate signed by it.

Office.js add-ins load only over HTTPS, and Excel checks the certificate against the operating
system's trusted roots. For development we make a CA once (``ca.pem``, to be trusted by the
user, see :func:`trust_instructions`) and a certificate for ``localhost``, ``127.0.0.1`` and
``::1`` (plus any ``--host`` name) signed by it. Production uses a real certificate (``--cert``
and ``--key``).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

CA_NAME = "ExcelFlow local development CA"


@dataclass(frozen=True)
class DevCert:
    """The files :func:`ensure` made or found."""

    ca: Path
    cert: Path
    key: Path


def default_dir() -> Path:
    """``$XDG_DATA_HOME/excelflow/devcert`` (``~/.local/share/...``)."""
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "excelflow" / "devcert"


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


def _sans(hosts: list[str]) -> list[object]:
    from cryptography import x509

    names: list[object] = []
    for host in dict.fromkeys(["localhost", "127.0.0.1", "::1", *hosts]):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    return names


def ensure(directory: Path, hosts: list[str] | None = None) -> DevCert:
    """The CA and server certificate in ``directory``, made when missing (or when the server
    certificate lacks one of ``hosts``); the CA is kept so that trusting it once is enough."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    out = DevCert(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    ca_key_path = directory / "ca-key.pem"
    now = dt.datetime.now(dt.UTC)
    pem = serialization.Encoding.PEM
    no_pw = serialization.NoEncryption()
    pkcs8 = serialization.PrivateFormat.PKCS8

    if out.ca.exists() and ca_key_path.exists():
        ca_cert = x509.load_pem_x509_certificate(out.ca.read_bytes())
        ca_key = serialization.load_pem_private_key(ca_key_path.read_bytes(), password=None)
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
        ca_cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        _write_private(ca_key_path, ca_key.private_bytes(pem, pkcs8, no_pw))
        out.ca.write_bytes(ca_cert.public_bytes(pem))
        out.cert.unlink(missing_ok=True)  # a new CA invalidates the old server certificate

    wanted = _sans(hosts or [])
    if out.cert.exists() and out.key.exists():
        old = x509.load_pem_x509_certificate(out.cert.read_bytes())
        have = old.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        if all(n in have for n in wanted) and old.not_valid_after_utc > now + dt.timedelta(days=7):
            return out

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=397))  # browsers refuse longer leaf lifetimes
        .add_extension(x509.SubjectAlternativeName(wanted), critical=False)  # type: ignore[arg-type]
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    _write_private(out.key, key.private_bytes(pem, pkcs8, no_pw))
    out.cert.write_bytes(cert.public_bytes(pem))
    return out


def trust_instructions(ca: Path) -> str:
    """How to make Excel trust the development CA, per operating system."""
    return (
        f"Development certificate authority: {ca}\n"
        "Trust it once on the machine running Excel (then restart Excel):\n"
        f'  Windows:  certutil -user -addstore Root "{ca}"\n'
        "  macOS:    sudo security add-trusted-cert -d -r trustRoot "
        f'-k /Library/Keychains/System.keychain "{ca}"\n'
        f'  Linux:    sudo cp "{ca}" /usr/local/share/ca-certificates/excelflow-dev-ca.crt '
        "&& sudo update-ca-certificates\n"
        "Never share ca-key.pem; for production use --cert/--key with a real certificate."
    )
