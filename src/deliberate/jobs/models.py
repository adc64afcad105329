"""One table, ``job``: what to do (kind and payload), how far it got (state, progress,
message) and who has it (claimed_by, until lease_until)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from deliberate.columns import text, utc


class JobState(StrEnum):
    queued = "queued"  # waiting, claimable from not_before
    running = "running"  # claimed; claimable again once lease_until has passed
    done = "done"
    failed = "failed"  # every attempt used up


STATES_SQL = ", ".join(f"'{s.value}'" for s in JobState)
MAX_ERROR = 500
MAX_MESSAGE = 64
MAX_WORKER_ID = 128


class Job(SQLModel, table=True):
    """A job is claimed by one worker at a time, for a lease the worker renews while it
    runs; a job whose lease ran out (its worker died) is claimable again. Each claim
    counts as an attempt. Completing is a compare-and-set on (claimed_by, attempts), so
    of two workers that both ran a job only one can complete it."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(f"state IN ({STATES_SQL})", name="state"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress"),
        Index("ix_job_state_not_before", "state", "not_before"),  # queued and due
        Index("ix_job_state_lease_until", "state", "lease_until"),  # running, lease over
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64)  # e.g. "minutes.render"
    payload: str = Field(sa_column=text())  # canonical JSON
    state: str = Field(default=JobState.queued.value, max_length=16)
    progress: int = 0  # percent
    message: str = Field(default="", max_length=MAX_MESSAGE)  # a message key, translated on display
    attempts: int = 0  # claims so far
    max_attempts: int = 3
    created_at: datetime = Field(sa_column=utc(nullable=False))
    not_before: datetime = Field(sa_column=utc(nullable=False))  # earliest (next) run
    claimed_at: datetime | None = Field(default=None, sa_column=utc())
    lease_until: datetime | None = Field(default=None, sa_column=utc())
    claimed_by: str | None = Field(default=None, max_length=MAX_WORKER_ID)
    finished_at: datetime | None = Field(default=None, sa_column=utc())
    error: str | None = Field(default=None, max_length=MAX_ERROR)  # the last one
    result: str | None = Field(default=None, sa_column=text(nullable=True))  # JSON

    @property
    def finished(self) -> bool:
        return self.state in (JobState.done, JobState.failed)
