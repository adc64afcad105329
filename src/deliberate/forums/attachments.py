"""PDF attachments to opinions: checked by their content (not their name or declared
type), stored under the data directory by a server-chosen name, never executed or shown
inline. Reading one is as sealed as the opinion it belongs to."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from deliberate.accounts.auth import Auth
from deliberate.accounts.services import FormInvalid
from deliberate.audit import services as audit
from deliberate.db import Database
from deliberate.errors import NotFound
from deliberate.forums import queries
from deliberate.forums.models import ForumInvitation, OpinionAttachment
from deliberate.forums.permissions import allowed, require
from deliberate.web.i18n import lazy_gettext as _l

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_OPINION = 10
DIRECTORY = "forum-files"
NO_FILE = _l("Choose a PDF file to attach.")


def is_pdf(data: bytes) -> bool:
    """A PDF starts with its header (allowed within the first 1,024 bytes) and ends with
    an end-of-file marker; an HTML page or a script renamed ``.pdf`` has neither."""
    head = data[:1024].lstrip()
    return head.startswith((b"%PDF-1.", b"%PDF-2.")) and b"%%EOF" in data[-2048:]


def clean_filename(name: str) -> str:
    """What to show and offer as the download name: no path, no control characters,
    at most 120 characters, ending in ``.pdf``."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C" and ch not in '"<>:|?*')
    base = " ".join(base.split()).strip(". ") or "attachment"
    stem = base[:-4] if base.lower().endswith(".pdf") else base
    return stem[:116] + ".pdf"


def check(data: bytes) -> None:
    if len(data) > MAX_BYTES:
        raise FormInvalid(
            {"file": _l("The file is larger than 10 MB (%(size)s MB).") % {"size": _mb(len(data))}}
        )
    if not data:
        raise FormInvalid({"file": NO_FILE})
    if not is_pdf(data):
        raise FormInvalid({"file": _l("Only PDF files can be attached; this file is not a PDF.")})


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


def path_of(data_dir: Path, attachment: OpinionAttachment) -> Path:
    return data_dir / DIRECTORY / attachment.stored_name


async def add(
    database: Database,
    data_dir: Path,
    actor: Auth,
    forum_id: int,
    filename: str,
    data: bytes,
    *,
    now: datetime | None = None,
) -> OpinionAttachment:
    moment = now or datetime.now(UTC)
    check(data)
    stored_name = secrets.token_hex(16) + ".pdf"
    directory = data_dir / DIRECTORY
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / stored_name
    try:
        return await _add(database, actor, forum_id, filename, data, target, stored_name, moment)
    except BaseException:
        target.unlink(missing_ok=True)  # nothing half-written: no file without its row
        raise


async def _add(
    database: Database,
    actor: Auth,
    forum_id: int,
    filename: str,
    data: bytes,
    target: Path,
    stored_name: str,
    moment: datetime,
) -> OpinionAttachment:
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, moment, lock=True)
        require(loaded.standing, "forum.write")
        invitation = loaded.own
        assert invitation is not None and invitation.id is not None
        if len(await queries.attachments_of(session, invitation.id)) >= MAX_PER_OPINION:
            raise FormInvalid({"file": _l("An opinion can have at most 10 attachments.")})
        _write(target, data)
        attachment = OpinionAttachment(
            invitation_id=invitation.id,
            stored_name=stored_name,
            filename=clean_filename(filename),
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_at=moment,
        )
        session.add(attachment)
        await session.flush()
        await audit.record(
            session,
            actor.user.public_id,
            "forum.attached",
            subject=f"forum:{forum_id}",
            payload={"letter": invitation.letter, "sha256": attachment.sha256},
            now=moment,
        )
    return attachment


def _write(target: Path, data: bytes) -> None:
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


async def remove(
    database: Database,
    actor: Auth,
    forum_id: int,
    attachment_id: int,
    *,
    now: datetime | None = None,
) -> None:
    """Off the draft; the file stays, since a submitted version may cite it."""
    moment = now or datetime.now(UTC)
    async with database.write() as session:
        loaded = await queries.load(session, actor, forum_id, moment, lock=True)
        require(loaded.standing, "forum.write")
        attachment = await session.get(OpinionAttachment, attachment_id)
        if attachment is None or loaded.own is None or attachment.invitation_id != loaded.own.id:
            raise NotFound()
        attachment.removed_at = moment
        session.add(attachment)


async def readable(
    database: Database, actor: Auth | None, forum_id: int, attachment_id: int, *, now: datetime
) -> OpinionAttachment:
    """The attachment, if the actor wrote it or may read the forum's opinions."""
    async with database.read() as session:
        loaded = await queries.load(session, actor, forum_id, now)
        attachment = (
            await session.exec(
                select(OpinionAttachment).where(col(OpinionAttachment.id) == attachment_id)
            )
        ).first()
        if attachment is None:
            raise NotFound()
        own = loaded.own is not None and attachment.invitation_id == loaded.own.id
        invitation = await session.get(ForumInvitation, attachment.invitation_id)
        if invitation is None or invitation.forum_id != forum_id:
            raise NotFound()
        if not own:
            if not allowed(loaded.standing, "forum.read_opinions"):
                raise NotFound()
            versions = await queries.versions_of(session, attachment.invitation_id)
            if not any(attachment.sha256 in version.content for version in versions):
                raise NotFound()  # never part of a submitted opinion
    return attachment
