from dataclasses import replace
from datetime import UTC, datetime

from deliberate.audit.chain import GENESIS, EventContent, canonical_json, event_hash, verify_chain

AT = datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def chain(n: int) -> list[tuple[EventContent, str, str]]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        content = EventContent(seq, AT, f"actor{seq}", "test.event", "", canonical_json({"n": seq}))
        digest = event_hash(prev, content)
        rows.append((content, prev, digest))
        prev = digest
    return rows


def test_canonical_json_is_stable() -> None:
    assert canonical_json({"b": 1, "a": "中"}) == '{"a":"中","b":1}'


def test_intact_chain_verifies() -> None:
    assert verify_chain(chain(5)) is None
    assert verify_chain([]) is None


def test_altered_content_is_found() -> None:
    rows = chain(5)
    content, prev, digest = rows[2]
    rows[2] = (replace(content, payload='{"n":999}'), prev, digest)
    broken = verify_chain(rows)
    assert broken is not None and broken.seq == 3


def test_deleted_event_is_found() -> None:
    rows = chain(5)
    del rows[1]
    broken = verify_chain(rows)
    assert broken is not None and broken.seq == 3


def test_rewritten_suffix_does_not_link() -> None:
    rows = chain(3)
    content, _prev, _digest = rows[1]
    forged = replace(content, actor="someone else")
    rows[1] = (forged, rows[0][2], event_hash(rows[0][2], forged))
    broken = verify_chain(rows)
    assert broken is not None and broken.seq == 3


def test_verification_resumes_across_batches() -> None:
    rows = chain(6)
    assert verify_chain(rows[:3]) is None
    assert verify_chain(rows[3:], expected_seq=4, expected_prev=rows[2][2]) is None
    assert verify_chain(rows[3:], expected_seq=4, expected_prev=GENESIS) is not None
