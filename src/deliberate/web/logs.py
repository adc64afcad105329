"""Application logging: UTC timestamps, one line per event, CR/LF neutralised so input
cannot forge log lines. Security events go to ``deliberate.security`` with pseudonymous
ids only (never passwords, codes, tokens or identity numbers)."""

from __future__ import annotations

import logging
import time

SECURITY = logging.getLogger("deliberate.security")


class OneLineUTCFormatter(logging.Formatter):
    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        return text.replace("\r", "\\r").replace("\n", "\\n")


def configure(debug: bool) -> None:
    logger = logging.getLogger("deliberate")
    if any(getattr(h, "_deliberate", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(
        OneLineUTCFormatter("%(asctime)sZ %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    )
    handler._deliberate = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if debug else logging.WARNING)
    SECURITY.setLevel(logging.INFO)


def security_event(event: str, *, user: str | None, ip: str | None, **fields: object) -> None:
    extra = " ".join(f"{k}={v}" for k, v in sorted(fields.items()))
    SECURITY.info("%s user=%s ip=%s %s", event, user or "-", ip or "-", extra)
