"""Words for stored poll codes, in the reader's language."""

from __future__ import annotations

from datetime import datetime

from deliberate.phase import Phase, phase
from deliberate.polls.models import Poll
from deliberate.web.i18n import lazy_gettext as _l

METHOD_LABELS = {
    "single": _l("Single choice"),
    "approval": _l("Approval"),
    "ranked": _l("Ranked choice"),
    "score": _l("Score (0 to 5 stars)"),
    "budget": _l("Participatory budget"),
}

METHOD_EXPLANATIONS = {
    "single": _l("Each voter chooses one option. The option with the most votes wins."),
    "approval": _l(
        "Each voter ticks every option they can accept (up to a maximum, if one is set). "
        "The option with the most approvals wins."
    ),
    "ranked": _l(
        "Each voter ranks the options, best first. Instant runoff decides: the option "
        "with the fewest first choices is dropped and its ballots move to their next "
        "choice, until one option has more than half. The Schulze ranking, which compares "
        "every pair of options, is shown beside it."
    ),
    "score": _l(
        "Each voter gives every option from 0 to 5 stars. The option with the highest "
        "mean wins; the median is shown too."
    ),
    "budget": _l(
        "Each voter ticks the projects they support, within the budget. The Method of "
        "Equal Shares decides which projects are funded, sharing the budget fairly among "
        "the voters; the outcome of funding the most supported projects first is shown "
        "beside it for comparison."
    ),
}

STATUS_LABELS = {
    "draft": _l("In preparation: the settings can still change"),
    "frozen": _l("Settings frozen: voting has not opened yet"),
    "open": _l("Open for voting"),
    "due": _l("Voting has ended: the result is being counted"),
    "closed": _l("Closed: the result is published"),
}

# What the officer at the booth is told about the person in front of them.
VOTER_REASONS = {
    "ok": _l("This person may vote."),
    "not_confirmed": _l("This person has not confirmed their account."),
    "not_listed": _l("This person is not on the list of invited people."),
    "not_verified": _l("This person's residence is not verified."),
    "wrong_area": _l("This person's verified address is not in this poll's area."),
    "too_young": _l("This person is too young for this poll."),
}


def status_of(poll: Poll, now: datetime) -> str:
    """Where a poll stands: a key of STATUS_LABELS."""
    if poll.closed_at is not None:
        return "closed"
    if not poll.frozen:
        return "draft"
    where = phase(poll.opens_at, poll.closes_at, now)
    return {Phase.before: "frozen", Phase.open: "open", Phase.closed: "due"}[where]
