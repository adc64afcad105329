#!/usr/bin/env python3
"""Re-run a Deliberate speaker lottery from its public record and check every step.

    python3 rerun_lottery.py lottery.json
    python3 rerun_lottery.py https://example.org/api/v1/hearings/42/lottery

Standard library only, and independent of Deliberate's own code, so that it can be read
and audited on its own. The algorithm is described in docs/lottery.md. Exit status: 0 when
the published record matches the recomputation, 1 when it does not.
"""

import hashlib
import json
import sys
import unicodedata
import urllib.request

ALGORITHM = "deliberate-lottery-v1"


def load(source: str) -> dict:
    """Read the record from a file, or from an http(s) address."""
    if source.startswith(("http://", "https://")):
        with urllib.request.urlopen(source, timeout=30) as response:  # noqa: S310 (http(s) only)
            return json.load(response)
    with open(source, encoding="utf-8") as file:
        return json.load(file)


def applicants_sha256(applicants: list) -> str:
    """SHA-256 of [[ticket, stance], ...] sorted by ticket, as compact ASCII JSON."""
    pairs = sorted([a["ticket"], a["stance"]] for a in applicants)
    return hashlib.sha256(json.dumps(pairs, separators=(",", ":")).encode("ascii")).hexdigest()


def rerun(record: dict) -> tuple[list, list]:
    """Recompute (selected, reserve), both in draw order."""
    public_value = " ".join(unicodedata.normalize("NFC", record["public_value"]).split())
    text = "\n".join(
        [ALGORITHM, record["secret"], public_value, applicants_sha256(record["applicants"])]
    )
    seed = hashlib.sha256(text.encode("utf-8")).digest()
    stance = {a["ticket"]: a["stance"] for a in record["applicants"]}

    def key(ticket: int) -> tuple:
        return hashlib.sha256(seed + str(ticket).encode("ascii")).digest(), ticket

    order = sorted(stance, key=key)
    chosen = set()
    for quota_stance in sorted(record["quotas"]):
        of_stance = [t for t in order if stance[t] == quota_stance]
        chosen.update(of_stance[: record["quotas"][quota_stance]])
    free_seats = max(record["seats"] - len(chosen), 0)
    chosen.update([t for t in order if t not in chosen][:free_seats])
    return [t for t in order if t in chosen], [t for t in order if t not in chosen]


def check(record: dict, selected: list, reserve: list) -> list:
    """Compare the record with the recomputation; the failures in plain words."""
    failures = []
    try:
        committed = hashlib.sha256(bytes.fromhex(record["secret"])).hexdigest()
    except ValueError:
        committed = None
    if committed != record["commitment"]:
        failures.append("the secret does not match the commitment published before the draw")
    if applicants_sha256(record["applicants"]) != record["applicants_sha256"]:
        failures.append("the applicant list does not match its published SHA-256")
    published = record["selected"], record["reserve"]
    if selected != published[0]:
        failures.append(f"the speakers should be {selected}, the record says {published[0]}")
    if reserve != published[1]:
        failures.append(f"the waiting list should be {reserve}, the record says {published[1]}")
    return failures


def main(argv: list) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 1
    try:
        record = load(argv[1])
        if record["algorithm"] != ALGORITHM:
            print(f"CHECK FAILED: this script re-runs {ALGORITHM}, not {record['algorithm']!r}.")
            return 1
        selected, reserve = rerun(record)
        failures = check(record, selected, reserve)
    except (OSError, ValueError, LookupError, TypeError, AttributeError) as error:
        print(f"CHECK FAILED: {argv[1]} is not a readable lottery record ({error!r}).")
        return 1
    quotas = ", ".join(f"{s} {n}" for s, n in sorted(record["quotas"].items())) or "none"
    print(f"{len(record['applicants'])} applicants, {record['seats']} seats, quotas: {quotas}.")
    print(f"Public value: {record['public_value']!r}")
    print("Recomputed speakers, in speaking order:", ", ".join(map(str, selected)) or "none")
    print("Recomputed waiting list, in order:", ", ".join(map(str, reserve)) or "none")
    for failure in failures:
        print(f"CHECK FAILED: {failure}.")
    if failures:
        return 1
    print("All checks passed: the commitment, the applicant list and the draw match the record.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
