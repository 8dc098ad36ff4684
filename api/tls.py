"""HTTPS for the service: checking a certificate and key pair before uvicorn is given them, and making a
self-signed pair for a local consortium.

- `check_pair` loads the pair as the server will (`ssl.SSLContext.load_cert_chain`), so a missing file, a key of
  another certificate or a wrong format is a message, not a traceback at start-up.
- `self_signed_pair` writes `<folder>/cert.pem` and `<folder>/key.pem` (the key readable by its owner only): an
  ECDSA P-256 key and a certificate valid for 397 days (the CA/Browser Forum's longest) naming `localhost`,
  `127.0.0.1` and `::1`, marked as its own CA so that a client can trust it by that one file
  (`curl --cacert cert.pem`, `httpx.Client(verify=...)`). An existing pair still valid for a day is kept.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ledger.errors import ConfigurationError

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
VALID_DAYS = 397
LOCAL_NAMES = ("localhost",)
LOCAL_ADDRESSES = ("127.0.0.1", "::1")


def _key_usage() -> object:
    from cryptography import x509

    return x509.KeyUsage(digital_signature=True, key_cert_sign=True, content_commitment=False,
                         key_encipherment=False, data_encipherment=False, key_agreement=False, crl_sign=False,
                         encipher_only=False, decipher_only=False)  # fmt: skip


def check_pair(certfile: Path, keyfile: Path) -> None:
    """Raise `ConfigurationError` unless `certfile` and `keyfile` load as one TLS server certificate and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except FileNotFoundError as exc:
        raise ConfigurationError(f"TLS file not found: {exc.filename}") from None
    except (ssl.SSLError, OSError) as exc:
        raise ConfigurationError(f"{certfile} and {keyfile} are no TLS certificate and key pair: {exc}") from None


def self_signed_pair(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate and key for the local machine in `folder` (made when absent or expiring)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    now = datetime.now(UTC)
    if cert_path.is_file() and key_path.is_file():
        try:
            existing = x509.load_pem_x509_certificate(cert_path.read_bytes())
            if existing.not_valid_after_utc > now + timedelta(days=1):
                check_pair(cert_path, key_path)
                return cert_path, key_path
        except (ValueError, ConfigurationError):
            pass  # unreadable or mismatched: made again
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hurong local service"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hurong 互认")])  # fmt: skip
    alternatives: list[x509.GeneralName] = [x509.DNSName(n) for n in LOCAL_NAMES]
    alternatives += [x509.IPAddress(ipaddress.ip_address(a)) for a in LOCAL_ADDRESSES]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(_key_usage(), critical=True)  # type: ignore[arg-type]
        .sign(key, hashes.SHA256())
    )
    descriptor = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()))  # fmt: skip
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
