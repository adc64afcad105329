"""Seeding shared by the benchmarks: the area tree of a street with three communities, a
committee on the street with its chair (an in-memory Auth past the second factor), and a
published consultation, all through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

AREAS = (
    ("hx", "和谐市", "city", None),
    ("hx-d", "和谐区", "district", "hx"),
    ("hx-s", "幸福街道", "street", "hx-d"),
    ("hx-c1", "幸福里社区", "community", "hx-s"),
    ("hx-c2", "安宁社区", "community", "hx-s"),
    ("hx-c3", "和平社区", "community", "hx-s"),
)
COMMUNITIES = ("hx-c1", "hx-c2", "hx-c3")


@dataclass(frozen=True)
class Board:
    """The areas (code → id), the street's committee and its chair."""

    areas: dict[str, int]
    committee: Any  # deliberate.identity.models.Committee
    chair: Any  # deliberate.accounts.models.User
    chair_auth: Any  # deliberate.accounts.auth.Auth
    context: Any  # deliberate.accounts.services.Context

    @property
    def communities(self) -> list[int]:
        return [self.areas[code] for code in COMMUNITIES]


async def seed_board(database: Any, settings: Any, now: datetime, password_hash: str) -> Board:
    """The areas, the committee on the street and its chair (who never signs in with a
    password: ``password_hash`` is a dummy)."""
    from deliberate.accounts.admin_tasks import add_committee_member
    from deliberate.accounts.auth import Auth
    from deliberate.accounts.models import User, UserSession
    from deliberate.accounts.services import PRIVACY_VERSION, Context
    from deliberate.accounts.tokens import Keys, public_id, session_hash, session_token
    from deliberate.identity.models import Committee
    from deliberate.identity.services import upsert_area

    async with database.write() as session:
        ids = {}
        for code, name, kind, parent in AREAS:
            ids[code] = (
                await upsert_area(session, code=code, name=name, kind=kind, parent_code=parent)  # type: ignore[arg-type]
            ).id
        committee = Committee(area_id=ids["hx-s"], name="幸福街道居民委员会")
        session.add(committee)
        chair = User(
            public_id=public_id(),
            email="chair@bench.example.org",
            display_name="王主任",
            password_hash=password_hash,
            publish_name=True,
            privacy_version=PRIVACY_VERSION,
            privacy_accepted_at=now,
            confirmed_at=now,
            created_at=now,
        )
        session.add(chair)
        await session.flush()
    await add_committee_member(database, user=chair, committee=committee, role="chair")
    chair_auth = Auth(
        user=chair,
        session=UserSession(
            token_hash=session_hash(session_token()),
            user_id=chair.id,  # type: ignore[arg-type]
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=8),
            second_factor_at=now,
        ),
        committee_member=True,
        officer=False,
    )
    context = Context(
        keys=Keys(settings.secret_key), development=True, site_url=settings.public_url
    )
    return Board(ids, committee, chair, chair_auth, context)


async def published_consultation(database: Any, board: Board, **fields: str) -> Any:
    """A consultation of the committee about the street, made and published through the
    services; ``fields`` are its form's fields (title, summary, milestones, ...)."""
    from deliberate.consultations import services as consultation_services
    from deliberate.consultations.forms import parse_consultation

    form = {"committee": str(board.committee.id), "area": str(board.areas["hx-s"]), **fields}
    item = await consultation_services.create(database, board.chair_auth, parse_consultation(form))
    return await consultation_services.advance(
        database,
        board.context,
        board.chair_auth,
        item.id,  # type: ignore[arg-type]
        "draft",
    )
