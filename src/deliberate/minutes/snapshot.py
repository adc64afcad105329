"""The minutes' record as canonical JSON (pure: no I/O).

:func:`build_snapshot` turns the :class:`~deliberate.minutes.facts.Facts` read at
compile time into one JSON document: the consultation; per hearing the document version,
per section the stance counts and every visible comment with the committee's response
(authors by pseudonym unless they agreed to publish their name), the sessions' record and
the speaker lottery (commitment, seed, result); per expert forum its questions,
declarations and (once released) its opinions, of a confidential forum only each
opinion's letter and SHA-256; per poll its settings hash, tally, turnout and board hash;
the committee's members; the audit log's head. :func:`canonical` is the byte form that
is hashed, attached to the PDF and stored.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from deliberate.hearings import lottery
from deliberate.hearings.speakers import public_record
from deliberate.minutes.facts import Facts

FORMAT = "deliberate-minutes-1"
STANCES = ("support", "oppose", "suggestion", "question")
ROLE_ORDER = {"chair": 0, "secretary": 1, "member": 2}


def canonical(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 (not ASCII-escaped)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def iso(moment: datetime | None) -> str | None:
    """UTC, to the second, ISO 8601 (SQLite gives naive datetimes: they are UTC)."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def build_snapshot(facts: Facts) -> dict[str, Any]:
    c = facts.consultation
    return {
        "format": FORMAT,
        "minutes": {
            "version": facts.version,
            "supersedes": facts.supersedes,
            "compiled_at": iso(facts.now),
        },
        "consultation": {
            "id": c.id,
            "title": c.title,
            "summary": c.summary,
            "stage": c.stage,
            "published_at": iso(c.published_at),
            "area": {"code": facts.area.code, "name": facts.area.name},
            "committee": facts.committee.name,
        },
        "hearings": [_hearing(facts, h) for h in facts.hearings],
        "forums": [_forum(facts, f) for f in facts.forums],
        "polls": [_poll(facts, p) for p in facts.polls],
        "attendance": [
            # Members sit in public office: named, like their votes on the decision page.
            {"role": m.role, **({"deleted": True} if u.deleted_at else {"name": u.display_name})}
            for m, u in sorted(facts.members, key=lambda r: (ROLE_ORDER.get(r[0].role, 9), r[0].id))
        ],
        "audit": {"seq": facts.audit_seq, "head": facts.audit_head},
    }


def _comment(facts: Facts, comment: Any, response: Any) -> dict[str, Any]:
    return {
        "id": comment.id,
        "parent": comment.parent_id,
        "author": facts.people.get(comment.author_id, {"deleted": True}),
        "stance": comment.stance,
        "body": comment.body,
        "created_at": iso(comment.created_at),
        "edited_at": iso(comment.edited_at),
        "endorsements": comment.endorsements,
        "response": None
        if response is None
        else {
            "verdict": response.verdict,
            "explanation": response.explanation,
            "responded_at": iso(response.responded_at),
            "updated_at": iso(response.updated_at),
        },
    }


def _threads(facts: Facts, hearing_id: int) -> dict[int, list[dict[str, Any]]]:
    """Per section id: its visible top-level comments, each followed by its visible
    replies (oldest first); replies whose thread start is not visible come last."""
    roots: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    replies: dict[int, list[tuple[Any, Any]]] = defaultdict(list)
    for comment, response in facts.comments:
        if comment.hearing_id != hearing_id:
            continue
        if comment.parent_id is None:
            roots[comment.section_id].append((comment, response))
        else:
            replies[comment.root_id or comment.parent_id].append((comment, response))
    seen: set[int] = set()
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for section_id, items in roots.items():
        for comment, response in items:
            out[section_id].append(_comment(facts, comment, response))
            for reply, answer in replies.get(comment.id, []):
                out[section_id].append(_comment(facts, reply, answer))
            seen.add(comment.id)
    for root_id, items in replies.items():
        if root_id not in seen:
            for reply, answer in items:
                out[reply.section_id].append(_comment(facts, reply, answer))
    return out


def _hearing(facts: Facts, hearing: Any) -> dict[str, Any]:
    documents = [d for d in facts.documents if d.hearing_id == hearing.id]
    numbers = {d.id: d.number for d in documents}
    current = documents[-1] if documents else None
    threads = _threads(facts, hearing.id)
    sections = []
    for section in facts.sections:
        if section.version_id not in numbers:
            continue
        comments = threads.get(section.id, [])  # type: ignore[arg-type]
        if section.version_id != (current.id if current else None) and not comments:
            continue  # earlier versions appear only where they were commented on
        stances = dict.fromkeys(STANCES, 0)
        for entry in comments:
            if entry["parent"] is None and entry["stance"] in stances:
                stances[entry["stance"]] += 1
        sections.append(
            {
                "version": numbers[section.version_id],
                "number": section.number,
                "heading": section.heading,
                "stances": stances,
                "comments": comments,
            }
        )
    sessions = [s for s in facts.sessions if s.hearing_id == hearing.id]
    call = next((c for c in facts.calls if c.hearing_id == hearing.id), None)
    return {
        "id": hearing.id,
        "title": hearing.title,
        "opens_at": iso(hearing.opens_at),
        "closes_at": iso(hearing.closes_at),
        "rule_sha256": hearing.rule_sha256,
        "document": None
        if current is None
        else {
            "version": current.number,
            "published_at": iso(current.published_at),
            "change_note": current.change_note,
            "body_sha256": sha256(current.body),
        },
        "versions": [
            {"number": d.number, "published_at": iso(d.published_at), "note": d.change_note}
            for d in documents
        ],
        "sections": sections,
        "sessions": [_session(facts, s) for s in sessions],
        "speaker_lottery": _lottery(call) if call is not None else None,
    }


def _session(facts: Facts, sitting: Any) -> dict[str, Any]:
    return {
        "starts_at": iso(sitting.starts_at),
        "place": sitting.place,
        "agenda": sitting.agenda,
        "attendance": sitting.attendance,
        "attendance_note": sitting.attendance_note,
        "closed_at": iso(sitting.closed_at),
        "statements": [
            {"speaker": s.speaker, "spoken_at": iso(s.spoken_at), "summary": s.summary}
            for s in facts.statements
            if s.session_id == sitting.id
        ],
    }


def _lottery(call: Any) -> dict[str, Any]:
    record = dict(public_record(call))
    drawn = call.drawn_at is not None and call.secret and call.public_value
    record["seed"] = (
        lottery.seed(call.secret, call.public_value, call.applicants_sha256 or "").hex()
        if drawn
        else None
    )
    record["committed_at"] = iso(call.committed_at)
    record["drawn_at"] = iso(call.drawn_at)
    return record


def _released(facts: Facts, forum: Any) -> bool:
    deadline = forum.deadline if forum.deadline.tzinfo else forum.deadline.replace(tzinfo=UTC)
    return facts.now >= deadline


def _expert(forum: Any, invitation: Any, user: Any, credential: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "letter": invitation.letter,
        "status": invitation.status,
        "declared": invitation.conflicts is not None,
    }
    if forum.publication == "confidential":
        return entry
    entry["conflicts"] = invitation.conflicts
    if forum.publication == "named":
        entry["name"] = user.display_name if user is not None and user.deleted_at is None else None
        if credential is not None:
            entry["title"] = credential.title
            entry["organisation"] = credential.organisation
    if credential is not None:
        entry["field"] = credential.field
    return entry


def _forum(facts: Facts, forum: Any) -> dict[str, Any]:
    invitations = [row for row in facts.invitations if row[0].forum_id == forum.id]
    released = _released(facts, forum)
    confidential = forum.publication == "confidential"
    opinions = []
    if released:
        letters = {i.id: i.letter for i, _u, _c in invitations}
        latest: dict[int, Any] = {}
        for version in facts.opinions:
            if version.invitation_id in letters:
                latest[version.invitation_id] = version  # ordered by number: last wins
        for invitation_id, version in sorted(latest.items(), key=lambda kv: letters[kv[0]]):
            entry: dict[str, Any] = {
                "expert": letters[invitation_id],
                "version": version.number,
                "sha256": version.sha256,
                "submitted_at": iso(version.submitted_at),
            }
            if not confidential:
                entry["content"] = json.loads(version.content)
                entry["follow_ups"] = [
                    {
                        "question": f.question,
                        "asked_at": iso(f.asked_at),
                        "answer": f.answer,
                        "answered_at": iso(f.answered_at),
                    }
                    for f in facts.follow_ups
                    if f.invitation_id == invitation_id
                ]
            opinions.append(entry)
    return {
        "id": forum.id,
        "title": forum.title,
        "deadline": iso(forum.deadline),
        "publication": forum.publication,
        "released": released,
        "content_withheld": confidential,
        "questions": [
            {"number": q.number, "text": q.text} for q in facts.questions if q.forum_id == forum.id
        ],
        "experts": [_expert(forum, i, u, c) for i, u, c in invitations],
        "opinions": opinions,
    }


def _poll(facts: Facts, poll: Any) -> dict[str, Any]:
    tally = next((t for t in facts.tallies if t.poll_id == poll.id), None)
    return {
        "id": poll.id,
        "title": poll.title,
        "question": poll.question,
        "method": poll.method,
        "opens_at": iso(poll.opens_at),
        "closes_at": iso(poll.closes_at),
        "settings_sha256": poll.settings_sha256,
        "tie_break_seed": poll.tie_break_seed,
        "closed_at": iso(poll.closed_at),
        "options": [
            {"id": o.id, "position": o.position, "label": o.label, "cost": o.cost}
            for o in facts.options
            if o.poll_id == poll.id
        ],
        "tally": None
        if tally is None
        else {
            "result": json.loads(tally.result),
            "result_sha256": tally.result_sha256,
            "board_sha256": tally.board_sha256,
            "ballots": tally.ballots,
            "roll": tally.roll,
            "computed_at": iso(tally.computed_at),
        },
    }
