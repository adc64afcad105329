"""The adapter point for the national network identity service (网号/网证).

That service answers only yes or no to "does this person hold this network identity",
after the person authorises it in the official app. No adapter is built in: connecting
needs a registered relying-party agreement and credentials that only a deployment can
obtain. A deployment implements :class:`NationalIdVerifier` and registers it; until then
the method is not offered on any page. Nothing here pretends to verify anyone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class NationalIdResult:
    confirmed: bool  # the only fact the service gives
    reference: str  # the service's transaction reference, kept in the audit log


class NationalIdVerifier(Protocol):
    """Start: send the person to the service; finish: read the yes/no it returns."""

    def start_url(self, state: str, return_url: str) -> str: ...

    async def finish(self, state: str, response_token: str) -> NationalIdResult: ...


VERIFIER: NationalIdVerifier | None = None  # set by a deployment's adapter, never by us
