"""The eligibility rule a hearing or poll of a consultation is given from its form."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from deliberate.accounts.services import FormInvalid
from deliberate.consultations.models import Consultation
from deliberate.identity import eligibility
from deliberate.identity.queries import area_parents
from deliberate.web.i18n import lazy_gettext as _l


async def rule_for(
    session: AsyncSession, consultation: Consultation, area_id: int | None, min_age: int | None
) -> eligibility.EligibilityRule:
    """Verified residents of the chosen area (and below), which must lie within the
    consultation's area; or, with no area, everyone with a confirmed account."""
    if area_id is None:
        return eligibility.EligibilityRule()
    parents = await area_parents(session)
    if area_id not in parents or not eligibility.within(
        area_id, (consultation.area_id,), parents, descendants=True
    ):
        raise FormInvalid({"rule_area": _l("Choose an area within the consultation's area.")})
    return eligibility.EligibilityRule(area_ids=(area_id,), verified=True, min_age=min_age)
