"""The Atom feed of a decision's progress (``/decisions/{id}/feed.atom``): one entry for
the decision, one per implementation item (its current status, flagged when overdue) and
one per progress update. Built with consultations.feed, in the reader's language."""

from __future__ import annotations

from datetime import date

from deliberate.consultations.feed import Entry, Feed
from deliberate.consultations.posters import clamp
from deliberate.db import as_utc
from deliberate.decisions.labels import status_label
from deliberate.decisions.queries import DecisionView
from deliberate.decisions.tracking import is_overdue
from deliberate.web.i18n import gettext as _

SUMMARY = 300  # characters


def decision_feed(
    view: DecisionView, *, base: str, lang: str, today: date, author: str, plain: str
) -> Feed:
    """``plain``: the decision's text as plain text (the summary of its entry)."""
    d = view.decision
    page = f"{base}/decisions/{d.id}"
    entries = [
        Entry(
            id=page,
            title=_("Decision adopted on %(date)s", date=d.adopted_on.isoformat()),
            link=page,
            updated=as_utc(d.recorded_at),
            published=as_utc(d.recorded_at),
            summary=clamp(plain, SUMMARY),
            author=author,
        )
    ]
    for row in view.items:
        item = row.item
        status = status_label(item.status)
        if is_overdue(item, today):
            status = _("%(status)s, overdue", status=status)
        entries.append(
            Entry(
                id=f"{page}#item-{item.id}",
                title=_("Item “%(item)s”: %(status)s", item=item.title, status=status),
                link=f"{page}#item-{item.id}",
                updated=as_utc(item.updated_at),
                published=as_utc(item.created_at),
                summary=_(
                    "Responsible: %(unit)s. Deadline: %(deadline)s.",
                    unit=item.responsible_unit,
                    deadline=item.deadline.isoformat(),
                ),
                author=author,
            )
        )
        for update in row.updates:
            entries.append(
                Entry(
                    id=f"{page}#update-{update.id}",
                    title=_(
                        "Item “%(item)s”: %(status)s (%(date)s)",
                        item=item.title,
                        status=status_label(update.status),
                        date=update.happened_on.isoformat(),
                    ),
                    link=f"{page}#item-{item.id}",
                    updated=as_utc(update.recorded_at),
                    published=as_utc(update.recorded_at),
                    summary=clamp(update.note, SUMMARY),
                    author=author,
                )
            )
    entries.sort(key=lambda e: (e.updated, e.id), reverse=True)
    return Feed(
        id=f"{page}/feed.atom",
        title=_("Decision on “%(title)s”: progress", title=view.consultation.title),
        link=page,
        self_link=f"{page}/feed.atom",
        updated=as_utc(d.recorded_at),
        entries=tuple(entries),
        lang=lang,
    )
