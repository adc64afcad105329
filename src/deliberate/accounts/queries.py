from __future__ import annotations

from sqlalchemy import bindparam, exists, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.auth import Auth
from deliberate.accounts.models import RecoveryCode, User, UserSession
from deliberate.identity.models import AreaOfficer, CommitteeMember, ExpertCredential

USERS_PER_PAGE = 50


# Built once: every request with a session cookie runs it, and building the statement
# (three EXISTS subqueries) cost as much as running it.
AUTH_BY_TOKEN_HASH = (
    select(
        UserSession,
        User,
        exists().where(CommitteeMember.user_id == User.id),
        exists().where(AreaOfficer.user_id == User.id),
        exists().where(ExpertCredential.user_id == User.id),
    )
    .join(User, col(User.id) == UserSession.user_id)
    .where(UserSession.token_hash == bindparam("token_hash"), col(User.deleted_at).is_(None))
)


async def auth_for_token_hash(session: AsyncSession, token_hash: str) -> Auth | None:
    """The session, its user and their privileged roles, in one query."""
    row = (await session.exec(AUTH_BY_TOKEN_HASH, params={"token_hash": token_hash})).first()
    if row is None:
        return None
    user_session, user, member, officer, expert = row
    return Auth(
        user=user, session=user_session, committee_member=member, officer=officer, expert=expert
    )


async def user_by_login(session: AsyncSession, kind: str, value: str) -> User | None:
    column = User.email if kind == "email" else User.phone
    return (
        await session.exec(select(User).where(column == value, col(User.deleted_at).is_(None)))
    ).first()


async def sessions_of(session: AsyncSession, user_id: int) -> list[UserSession]:
    return list(
        (
            await session.exec(
                select(UserSession)
                .where(UserSession.user_id == user_id)
                .order_by(col(UserSession.last_seen_at).desc())
            )
        ).all()
    )


async def unused_recovery_codes(session: AsyncSession, user_id: int) -> int:
    return (
        await session.exec(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, col(RecoveryCode.used_at).is_(None))
        )
    ).one()


async def search_users(session: AsyncSession, text: str, *, page: int = 1) -> list[User]:
    query = select(User).where(col(User.deleted_at).is_(None))
    text = text.strip()
    if text:
        pattern = f"%{text.lower()}%"
        query = query.where(
            or_(
                func.lower(User.email).like(pattern),
                col(User.phone).like(pattern),
                func.lower(User.display_name).like(pattern),
            )
        )
    query = query.order_by(col(User.id)).offset((page - 1) * USERS_PER_PAGE).limit(USERS_PER_PAGE)
    return list((await session.exec(query)).all())
