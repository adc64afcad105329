"""Independent checks of signed minutes with poppler and NSS, shared by the tests.

pdfsig exits 0 whatever it finds, so its report is read. The lines relied on (poppler
22.12): "  - Signature Validation: Signature is Valid." / "... Digest Mismatch." and
"  - Certificate Validation: Certificate is Trusted." (other values: "Certificate issuer is
unknown.", "Certificate issuer isn't Trusted.", ...), "  - Total document signed".
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

VALID = "Signature Validation: Signature is Valid."
MISMATCH = "Signature Validation: Digest Mismatch."
TRUSTED = "Certificate Validation: Certificate is Trusted."


def run(*args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=check, env=env).stdout


def nss_trusting(directory: Path, ca: Path) -> str:
    """A throwaway NSS database in ``directory`` trusting the CA certificate ``ca``."""
    assert shutil.which("certutil"), "certutil missing: scripts/system-deps.sh test"
    directory.mkdir(parents=True, exist_ok=True)
    database = f"sql:{directory}"
    run("certutil", "-N", "--empty-password", "-d", database)
    run("certutil", "-A", "-d", database, "-n", "ca", "-t", "CT,C,C", "-i", str(ca))
    return database


def embedded_cjk_fonts(pdf: Path) -> list[str]:
    """The embedded Noto Sans CJK subsets pdffonts lists; asserts every font is embedded
    (PDF/A): no row says "no" in the emb column."""
    rows = run("pdffonts", str(pdf)).splitlines()[2:]
    assert rows and all(r.split()[-5] == "yes" for r in rows), rows
    names = [r.split()[0] for r in rows if "Noto-Sans-CJK" in r]
    return [n for n in names if re.fullmatch(r"[A-Z]{6}\+Noto-Sans-CJK-SC", n)]
