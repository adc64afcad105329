"""Minutes fixtures: a rendered PDF/A, the development signing pair, an RSA pair."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from deliberate.devkeys import CA_CERT, SIGNING_DIR, ensure_dev_signing_pair
from deliberate.minutes.pdfa import render_pdf
from deliberate.minutes.signing import load_signer, sign_pdf

HTML = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<style>
  html { font-family: "Noto Sans CJK SC"; }
  @page { @bottom-center { content: "第 " counter(page) " 页"; font-family: "Noto Sans CJK SC"; } }
</style>
</head>
<body>
<h1>幸福社区停车管理办法听证会纪要</h1>
<h2>一、会议概况</h2>
<p>2026年12月1日，居民二十三人到会。</p>
<h2>二、讨论与决定</h2>
<p>与会居民同意试行夜间停车登记。</p>
<footer>本纪要由 Deliberate 生成并签名。</footer>
</body>
</html>"""
TITLE = "幸福社区停车管理办法听证会纪要"
SNAPSHOT = json.dumps(
    {"consultation": 42, "title": TITLE, "version": 1, "decisions": ["试行夜间停车登记"]},
    ensure_ascii=False,
    sort_keys=True,
    separators=(",", ":"),
).encode()
SNAPSHOT_NAME = "minutes.json"


@dataclass(frozen=True)
class Pair:
    key: Path
    cert: Path
    trust: Path  # what a verifier trusts: the CA (development) or the certificate itself


def sign(pdf: bytes, pair: Pair, when: datetime | None = None) -> bytes:
    signer = load_signer(pair.key, pair.cert)
    return sign_pdf(
        pdf, signer, reason="会议纪要发布", location="幸福社区", name="幸福社区居委会", when=when
    )


def flip_signed_byte(signed: bytes) -> bytes:
    """One bit changed inside the first stream's data, well inside the signed range."""
    position = signed.index(b"stream\n") + len(b"stream\n") + 10
    changed = bytearray(signed)
    changed[position] ^= 0x01
    return bytes(changed)


@pytest.fixture(scope="session")
def minutes_pdf() -> bytes:
    """Unsigned PDF/A-3b minutes with the JSON snapshot attached."""
    return render_pdf(
        HTML,
        attachment=SNAPSHOT,
        attachment_name=SNAPSHOT_NAME,
        title=TITLE,
        created=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
    )


@pytest.fixture(scope="session")
def dev_pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    data_dir = tmp_path_factory.mktemp("data")
    key, cert = ensure_dev_signing_pair(data_dir)
    return Pair(key, cert, data_dir / SIGNING_DIR / CA_CERT)


@pytest.fixture(scope="session")
def other_dev_pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """Another deployment's development pair: same names, different keys and CA."""
    data_dir = tmp_path_factory.mktemp("other-data")
    key, cert = ensure_dev_signing_pair(data_dir)
    return Pair(key, cert, data_dir / SIGNING_DIR / CA_CERT)


@pytest.fixture(scope="session")
def rsa_pair(tmp_path_factory: pytest.TempPathFactory) -> Pair:
    """An RSA key and a self-signed certificate, trusted as itself."""
    directory = tmp_path_factory.mktemp("rsa")
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "幸福社区居委会 RSA")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = directory / "rsa.key", directory / "rsa.crt"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return Pair(key_path, cert_path, cert_path)


@pytest.fixture(scope="session")
def signed_pdf(minutes_pdf: bytes, dev_pair: Pair) -> bytes:
    return sign(minutes_pdf, dev_pair)
