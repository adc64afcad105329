"""PDF attachments to opinions: recognised by their content, stored by a server-chosen
name, added and removed only while the author may write, and read only as far as the
opinion they belong to: by its author always, by others only after the deadline, only
when a submitted version cites them, and never by the public when confidential."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest
from sqlmodel import select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import FormInvalid
from deliberate.config import Settings
from deliberate.db import Database
from deliberate.errors import Forbidden, NotFound
from deliberate.forums import attachments, services
from deliberate.forums.attachments import MAX_BYTES, check, clean_filename, is_pdf
from deliberate.forums.models import OpinionAttachment
from deliberate.web.i18n import using_locale
from tests.support.forums import (
    AFTER,
    BEFORE,
    LATER,
    ForumWorld,
    answers_for,
    create_forum,
    expert,
    pdf_bytes,
    versions,
    world,
)
from tests.support.hearings import audit_events, count

HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>\n"


def message(error: pytest.ExceptionInfo[FormInvalid]) -> str:
    with using_locale("en"):
        return str(error.value.errors["file"])


# Recognising a PDF


def test_a_real_pdf_is_a_pdf() -> None:
    data = pdf_bytes()
    assert data.startswith(b"%PDF-") and len(data) < 100_000
    assert is_pdf(data)
    check(data)


@pytest.mark.parametrize(
    "data",
    [
        HTML,
        b"",
        random.Random(7).randbytes(4096),
        b"#!/bin/sh\nrm -rf /\n",
        b"%PDF-1.7\n" + b"x" * 100,  # a header and no end
        b"<html>%PDF-1.7 %%EOF</html>",  # the markers, not where they belong
        b"%%EOF",
    ],
    ids=["html", "empty", "random", "script", "no-eof", "markers-inside-html", "eof-only"],
)
def test_what_is_not_a_pdf(data: bytes) -> None:
    assert not is_pdf(data)
    with pytest.raises(FormInvalid):
        check(data)


def test_a_truncated_pdf_is_not_a_pdf() -> None:
    data = pdf_bytes()
    assert not is_pdf(data[: len(data) // 2])


def test_check_says_what_is_wrong() -> None:
    with pytest.raises(FormInvalid) as large:
        check(b"%PDF-1.7\n" + b"0" * (11 * 1024 * 1024) + b"\n%%EOF\n")
    assert "10 MB" in message(large) and "11.0 MB" in message(large)
    with pytest.raises(FormInvalid) as html:
        check(HTML)
    assert message(html) == "Only PDF files can be attached; this file is not a PDF."
    with pytest.raises(FormInvalid) as empty:
        check(b"")
    assert message(empty) == "Choose a PDF file to attach."
    # Exactly 10 MB is still allowed.
    head, tail = b"%PDF-1.7\n", b"\n%%EOF\n"
    check(head + b"0" * (MAX_BYTES - len(head) - len(tail)) + tail)


@pytest.mark.parametrize(
    ("uploaded", "shown"),
    [
        ("报告.pdf", "报告.pdf"),
        ("Report.PDF", "Report.pdf"),
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\wang\\Desktop\\意见.pdf", "意见.pdf"),
        ("/var/www/../x.pdf", "x.pdf"),
        ("a\x00b\nc\td.pdf", "abcd.pdf"),
        ("evil\u202efdp.exe", "evilfdp.exe.pdf"),  # no right-to-left override
        ('"<script>".pdf', "script.pdf"),
        ("page.html", "page.html.pdf"),
        ("", "attachment.pdf"),
        ("...", "attachment.pdf"),
        ("dir/", "attachment.pdf"),
        ("  多个   空格.pdf", "多个 空格.pdf"),
    ],
)
def test_clean_filename(uploaded: str, shown: str) -> None:
    assert clean_filename(uploaded) == shown


def test_clean_filename_is_short_enough_for_its_column() -> None:
    name = clean_filename("长" * 300 + ".pdf")
    assert len(name) == 120 and name.endswith(".pdf")
    assert clean_filename(name) == name


# Adding and removing


def stored_files(settings: Settings) -> list[Path]:
    directory = settings.data_dir / attachments.DIRECTORY
    return sorted(directory.iterdir()) if directory.exists() else []


async def attach(
    database: Database,
    settings: Settings,
    actor: Auth,
    forum_id: int,
    data: bytes,
    filename: str = "结构计算书.pdf",
    *,
    now=BEFORE,
) -> OpinionAttachment:
    return await attachments.add(
        database, settings.data_dir, actor, forum_id, filename, data, now=now
    )


async def test_add_stores_the_file_by_a_random_name(database: Database, settings: Settings):
    w = await world(database, settings)
    data = pdf_bytes("计算书")
    first = await attach(database, settings, w.expert.auth, w.forum_id, data, "../计算书.pdf")
    again = await attach(database, settings, w.expert.auth, w.forum_id, data, "../计算书.pdf")
    assert first.stored_name != again.stored_name
    for made in (first, again):
        assert made.filename == "计算书.pdf"
        assert "计算书" not in made.stored_name and ".." not in made.stored_name
        assert made.stored_name.endswith(".pdf") and len(made.stored_name) >= 32 + 4
        assert (made.size, made.sha256) == (len(data), hashlib.sha256(data).hexdigest())
        path = attachments.path_of(settings.data_dir, made)
        assert path.parent == settings.data_dir / "forum-files"
        assert path.read_bytes() == data
    assert len(stored_files(settings)) == 2
    assert await count(database, OpinionAttachment) == 2
    events = await audit_events(database, "forum.attached")
    assert [json.loads(e.payload) for e in events] == [{"letter": "A", "sha256": first.sha256}] * 2


async def test_a_refused_upload_leaves_no_file_and_no_row(database: Database, settings: Settings):
    w = await world(database, settings)
    unverified = await expert(
        database, settings, w.board, w.forum_id, "qian@example.org", verify=False
    )
    data = pdf_bytes()
    refusals = [
        (w.expert.auth, HTML, BEFORE, FormInvalid),
        (w.expert.auth, b"", BEFORE, FormInvalid),
        (w.expert.auth, data, AFTER, Forbidden),
        (w.resident, data, BEFORE, Forbidden),
        (w.board.chair, data, BEFORE, Forbidden),
        (w.admin, data, BEFORE, Forbidden),
        (unverified.auth, data, BEFORE, Forbidden),
    ]
    for actor, content, moment, error in refusals:
        with pytest.raises(error):
            await attach(database, settings, actor, w.forum_id, content, now=moment)
    with pytest.raises(NotFound):
        await attach(database, settings, w.expert.auth, 999_999, data)
    assert stored_files(settings) == []
    assert await count(database, OpinionAttachment) == 0
    assert await audit_events(database, "forum.attached") == []


async def test_at_most_ten_attachments_on_an_opinion(database: Database, settings: Settings):
    w = await world(database, settings)
    for n in range(attachments.MAX_PER_OPINION):
        await attach(database, settings, w.expert.auth, w.forum_id, pdf_bytes(), f"{n}.pdf")
    with pytest.raises(FormInvalid) as full:
        await attach(database, settings, w.expert.auth, w.forum_id, pdf_bytes(), "11.pdf")
    with using_locale("en"):
        assert str(full.value.errors["file"]) == "An opinion can have at most 10 attachments."
    assert len(stored_files(settings)) == attachments.MAX_PER_OPINION
    assert await count(database, OpinionAttachment) == attachments.MAX_PER_OPINION
    # Removing one makes room again.
    async with database.read() as session:
        some = (await session.exec(select(OpinionAttachment))).first()
    assert some is not None
    await attachments.remove(database, w.expert.auth, w.forum_id, some.id, now=BEFORE)  # type: ignore[arg-type]
    await attach(database, settings, w.expert.auth, w.forum_id, pdf_bytes(), "11.pdf")


async def test_remove_takes_it_off_the_draft_and_keeps_the_file(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    kept = await attach(database, settings, w.expert.auth, w.forum_id, pdf_bytes("留"), "留.pdf")
    gone = await attach(database, settings, w.expert.auth, w.forum_id, pdf_bytes("删"), "删.pdf")
    for actor in (w.second.auth, w.board.chair):
        with pytest.raises((NotFound, Forbidden)):
            await attachments.remove(database, actor, w.forum_id, gone.id, now=BEFORE)  # type: ignore[arg-type]
    with pytest.raises(Forbidden):
        await attachments.remove(database, w.expert.auth, w.forum_id, gone.id, now=AFTER)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await attachments.remove(database, w.expert.auth, w.forum_id, 999_999, now=BEFORE)
    await attachments.remove(database, w.expert.auth, w.forum_id, gone.id, now=BEFORE)  # type: ignore[arg-type]
    async with database.read() as session:
        stored = await session.get(OpinionAttachment, gone.id)
    assert stored is not None and stored.removed_at is not None
    assert attachments.path_of(settings.data_dir, gone).exists()
    version = await services.submit(
        database, w.expert.auth, w.forum_id, answers_for(w.questions, "意见"), now=BEFORE
    )
    assert kept.sha256 in version.content and gone.sha256 not in version.content
    assert '"filename":"留.pdf"' in version.content


# Reading


async def readable_to(
    database: Database, actor: Auth | None, w: ForumWorld, made: OpinionAttachment, now
) -> bool:
    try:
        got = await attachments.readable(database, actor, w.forum_id, made.id, now=now)  # type: ignore[arg-type]
    except NotFound:
        return False
    assert got.id == made.id
    return True


async def opinion_with_attachments(
    database: Database, settings: Settings, w: ForumWorld
) -> tuple[OpinionAttachment, OpinionAttachment]:
    """Expert A submits with one attachment, then attaches another and never submits
    again: the first is part of a submitted version, the second never is."""
    cited = await attach(database, settings, w.expert.auth, w.forum_id, pdf_bytes("提交"))
    await services.submit(
        database, w.expert.auth, w.forum_id, answers_for(w.questions, "意见"), now=BEFORE
    )
    unsent = await attach(database, settings, w.expert.auth, w.forum_id, pdf_bytes("未提交"))
    (version,) = await versions(database, w.expert.invitation.id)
    assert cited.sha256 in version.content and unsent.sha256 not in version.content
    return cited, unsent


@pytest.mark.parametrize("publication", ["named", "anonymised", "confidential"])
async def test_who_reads_an_attachment_and_when(
    database: Database, settings: Settings, publication: str
):
    w = await world(database, settings, publication=publication)
    cited, unsent = await opinion_with_attachments(database, settings, w)
    others: dict[str, Auth | None] = {
        "chair": w.board.chair,
        "member": w.board.member,
        "admin": w.admin,
        "resident": w.resident,
        "other expert": w.second.auth,
        "other committee": w.other,
        "anonymous": None,
    }
    # Sealed: the author only.
    for made in (cited, unsent):
        assert await readable_to(database, w.expert.auth, w, made, BEFORE)
        for name, actor in others.items():
            assert not await readable_to(database, actor, w, made, BEFORE), name
    # Released: the committee always, the rest unless confidential; only what was submitted.
    public = publication != "confidential"
    for moment in (AFTER, LATER):
        assert await readable_to(database, w.expert.auth, w, cited, moment)
        assert await readable_to(database, w.expert.auth, w, unsent, moment)
        for name, actor in others.items():
            expected = name in ("chair", "member") or public
            assert await readable_to(database, actor, w, cited, moment) == expected, name
            assert not await readable_to(database, actor, w, unsent, moment), name


async def test_an_attachment_removed_after_it_was_submitted_stays_on_the_record(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    cited, _unsent = await opinion_with_attachments(database, settings, w)
    await attachments.remove(database, w.expert.auth, w.forum_id, cited.id, now=BEFORE)  # type: ignore[arg-type]
    version = await services.submit(
        database, w.expert.auth, w.forum_id, answers_for(w.questions, "第二版"), now=BEFORE
    )
    assert cited.sha256 not in version.content
    assert await readable_to(database, w.resident, w, cited, AFTER)


async def test_an_attachment_is_read_only_through_its_own_forum(
    database: Database, settings: Settings
):
    w = await world(database, settings)
    cited, _unsent = await opinion_with_attachments(database, settings, w)
    other = await create_forum(
        database,
        w.board,
        w.consultation.id,  # type: ignore[arg-type]
        deadline=BEFORE + (AFTER - BEFORE) / 2,
    )
    for actor in (w.board.chair, w.resident, w.expert.auth):
        with pytest.raises(NotFound):
            await attachments.readable(database, actor, other.id, cited.id, now=LATER)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await attachments.readable(database, w.expert.auth, w.forum_id, 999_999, now=BEFORE)


async def test_a_draft_consultation_hides_attachments_from_the_public(
    database: Database, settings: Settings
):
    w = await world(database, settings, published=False)
    cited, _unsent = await opinion_with_attachments(database, settings, w)
    assert await readable_to(database, w.board.secretary, w, cited, AFTER)
    for actor in (w.resident, w.admin, None):
        assert not await readable_to(database, actor, w, cited, AFTER)
