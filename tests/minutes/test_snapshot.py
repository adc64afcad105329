"""The snapshot: built purely from facts (unit tests), and gathered from a real consultation
on both databases in a fixed number of statements."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from deliberate.accounts.tokens import Keys
from deliberate.config import Settings
from deliberate.consultations.models import Consultation
from deliberate.db import Database
from deliberate.forums.models import ExpertForum, ForumInvitation, OpinionVersion
from deliberate.hearings.models import Comment, DocumentVersion, Hearing, Response, Section
from deliberate.identity.models import Area, Committee
from deliberate.minutes.facts import Facts, gather
from deliberate.minutes.snapshot import build_snapshot, canonical, iso, sha256
from tests.hearings.test_query_counts import Statements
from tests.minutes.world import LATE, minutes_world
from tests.support.hearings import cheap_passwords

__all__ = ["cheap_passwords"]
NOW = datetime(2026, 12, 20, 8, 0, tzinfo=UTC)
EARLIER = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def facts(**changes) -> Facts:
    base = Facts(
        now=NOW,
        consultation=Consultation(
            id=7,
            committee_id=1,
            area_id=1,
            title="停车办法",
            summary="摘要",
            stage="deliberation",
            created_at=EARLIER,
            updated_at=EARLIER,
            published_at=EARLIER,
        ),
        committee=Committee(id=1, area_id=1, name="和谐街道居委会"),
        area=Area(id=1, code="hx-c1", name="幸福社区", kind="community"),
    )
    for key, value in changes.items():
        setattr(base, key, value)
    return base


def hearing_facts() -> Facts:
    hearing = Hearing(
        id=3,
        consultation_id=7,
        title="征求意见稿",
        opens_at=EARLIER,
        closes_at=EARLIER,
        rule="{}",
        rule_sha256="r" * 64,
        created_at=EARLIER,
    )
    v1 = DocumentVersion(id=10, hearing_id=3, number=1, body="旧", published_at=EARLIER)
    v2 = DocumentVersion(id=11, hearing_id=3, number=2, body="新", published_at=EARLIER)
    old = Section(id=100, version_id=10, number=1, heading="旧第一条", body="")
    unused = Section(id=101, version_id=10, number=2, heading="旧第二条", body="")
    new = Section(id=110, version_id=11, number=1, heading="第一条", body="")

    def comment(cid, section, stance, author, parent=None):
        return Comment(
            id=cid,
            hearing_id=3,
            section_id=section,
            parent_id=parent,
            root_id=parent,
            author_id=author,
            stance=stance,
            body=f"意见{cid}",
            created_at=EARLIER,
        )

    answered = Response(
        id=1, comment_id=1, verdict="adopted", explanation="采纳", responded_at=EARLIER
    )
    return facts(
        hearings=[hearing],
        documents=[v1, v2],
        sections=[old, unused, new],
        comments=[
            (comment(1, 100, "support", 50), answered),
            (comment(2, 110, "oppose", 51), None),
            (comment(3, 110, "oppose", 50), None),
            (comment(4, 100, None, 51, parent=1), None),
            (comment(5, 110, None, 50, parent=99), None),  # its thread start is hidden
        ],
        people={50: {"pseudonym": "ABC123"}, 51: {"name": "李四"}},
    )


def test_canonical_is_sorted_compact_utf8_and_hashes_as_bytes() -> None:
    text = canonical({"b": 1, "a": "幸福"})
    assert text == '{"a":"幸福","b":1}'
    assert sha256(text) == __import__("hashlib").sha256(text.encode()).hexdigest()


def test_iso_is_utc_to_the_second() -> None:
    assert iso(datetime(2026, 1, 2, 3, 4, 5, 999)) == "2026-01-02T03:04:05Z"
    assert iso(None) is None


def test_sections_group_comments_with_replies_and_count_stances() -> None:
    snapshot = build_snapshot(hearing_facts())
    [hearing] = snapshot["hearings"]
    assert hearing["document"]["version"] == 2
    assert hearing["document"]["body_sha256"] == sha256("新")
    # The current version's sections, and earlier ones only where commented on.
    assert [(s["version"], s["heading"]) for s in hearing["sections"]] == [
        (1, "旧第一条"),
        (2, "第一条"),
    ]
    old, new = hearing["sections"]
    assert [c["id"] for c in old["comments"]] == [1, 4]
    assert old["comments"][0]["response"]["verdict"] == "adopted"
    assert old["comments"][0]["author"] == {"pseudonym": "ABC123"}
    assert old["comments"][1]["author"] == {"name": "李四"}
    assert old["stances"] == {"support": 1, "oppose": 0, "suggestion": 0, "question": 0}
    assert [c["id"] for c in new["comments"]] == [2, 3, 5]
    assert new["stances"]["oppose"] == 2


def test_the_snapshot_is_deterministic_and_json() -> None:
    one, two = build_snapshot(hearing_facts()), build_snapshot(hearing_facts())
    assert canonical(one) == canonical(two)
    assert json.loads(canonical(one)) == one
    assert one["minutes"] == {
        "version": 1,
        "supersedes": None,
        "compiled_at": "2026-12-20T08:00:00Z",
    }


def forum_facts(publication: str, deadline: datetime) -> Facts:
    forum = ExpertForum(
        id=4,
        consultation_id=7,
        title="结构安全",
        description="",
        deadline=deadline,
        publication=publication,
        created_at=EARLIER,
    )
    invitation = ForumInvitation(
        id=8,
        forum_id=4,
        letter="A",
        address="x@example.org",
        token_sha256="t",
        status="accepted",
        invited_at=EARLIER,
        conflicts="曾为开发商提供咨询",
    )
    opinion = OpinionVersion(
        id=9,
        invitation_id=8,
        number=1,
        content='{"answers":[]}',
        sha256="f" * 64,
        submitted_at=EARLIER,
    )
    return facts(forums=[forum], invitations=[(invitation, None, None)], opinions=[opinion])


def test_released_opinions_are_recorded_in_full() -> None:
    [forum] = build_snapshot(forum_facts("anonymised", EARLIER))["forums"]
    assert forum["released"] and not forum["content_withheld"]
    assert forum["experts"][0]["conflicts"] == "曾为开发商提供咨询"
    assert forum["opinions"][0]["content"] == {"answers": []}
    assert forum["opinions"][0]["sha256"] == "f" * 64


def test_confidential_opinions_only_by_letter_and_hash() -> None:
    [forum] = build_snapshot(forum_facts("confidential", EARLIER))["forums"]
    assert forum["content_withheld"]
    assert forum["opinions"] == [
        {"expert": "A", "version": 1, "sha256": "f" * 64, "submitted_at": iso(EARLIER)}
    ]
    assert "conflicts" not in forum["experts"][0]


def test_sealed_opinions_are_not_recorded() -> None:
    [forum] = build_snapshot(forum_facts("named", NOW + timedelta(days=1)))["forums"]
    assert not forum["released"] and forum["opinions"] == []


# Gathering from the database


async def test_gather_reads_everything_in_a_fixed_number_of_statements(
    database: Database, settings: Settings, cheap_passwords: None
) -> None:
    m = await minutes_world(database, settings)
    keys = Keys(settings.secret_key)
    counter = Statements(database)
    with counter.listening():
        async with database.read() as session:
            found = await gather(session, m.consultation_id, LATE, keys)
    assert counter.count <= 20
    snapshot = build_snapshot(found)
    [hearing] = snapshot["hearings"]
    ids = [c["id"] for s in hearing["sections"] for c in s["comments"]]
    assert m.support.id in ids and m.oppose.id in ids and m.hidden.id not in ids
    first = hearing["sections"][0]
    assert first["stances"]["support"] == 1
    answered = next(c for c in first["comments"] if c["id"] == m.support.id)
    assert answered["response"]["verdict"] == "adopted"
    code = keys.pseudonym(f"consultation:{m.consultation_id}", m.w.alice.user.id)  # type: ignore[arg-type]
    assert answered["author"] == {"pseudonym": code}
    assert hearing["sessions"][0]["statements"][0]["speaker"] == "王阿姨"
    [forum] = snapshot["forums"]
    assert forum["released"] and forum["opinions"][0]["expert"] == "A"
    assert "name" not in forum["experts"][0]  # anonymised
    [poll] = snapshot["polls"]
    assert poll["tally"]["ballots"] == 2 and poll["tally"]["roll"] == 2
    assert len(poll["settings_sha256"]) == 64 and len(poll["tally"]["board_sha256"]) == 64
    assert {a["role"] for a in snapshot["attendance"]} == {"chair", "secretary", "member"}
    chair = next(a for a in snapshot["attendance"] if a["role"] == "chair")
    assert chair == {"role": "chair", "name": m.w.board.chair.user.display_name}  # in office
    assert chair["name"]
    assert snapshot["audit"]["seq"] > 0 and len(snapshot["audit"]["head"]) == 64
    assert len(canonical(snapshot)) > 1000


async def test_names_are_published_only_with_consent(
    database: Database, settings: Settings, cheap_passwords: None
) -> None:
    m = await minutes_world(database, settings, forum=False, poll=False)
    async with database.write() as session:
        user = m.w.alice.user
        user.publish_name = True
        session.add(user)
    async with database.read() as session:
        found = await gather(session, m.consultation_id, LATE, Keys(settings.secret_key))
    comments = [c for s in build_snapshot(found)["hearings"][0]["sections"] for c in s["comments"]]
    by_id = {c["id"]: c["author"] for c in comments}
    assert by_id[m.support.id] == {"name": m.w.alice.user.display_name}
    assert "pseudonym" in by_id[m.oppose.id]


@pytest.mark.parametrize("missing", [999_999])
async def test_gather_of_an_unknown_consultation(
    database: Database, settings: Settings, missing: int
) -> None:
    from deliberate.errors import NotFound

    async with database.read() as session:
        with pytest.raises(NotFound):
            await gather(session, missing, LATE, Keys(settings.secret_key))
