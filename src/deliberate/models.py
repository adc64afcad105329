"""Every table model, imported in one place so that Alembic and the tests see them all."""

from sqlmodel import SQLModel

from deliberate import db as _db  # noqa: F401  (sets the naming convention first)
from deliberate.accounts.models import AccountToken, RecoveryCode, User, UserSession
from deliberate.audit.models import AuditEvent, AuditHead
from deliberate.consultations.models import Consultation, Follower, StageChange
from deliberate.decisions.models import Decision  # noqa: F401  (registers the decision tables)
from deliberate.forums.models import (
    ExpertForum,
    FollowUp,
    ForumInvitation,
    ForumQuestion,
    OpinionAttachment,
    OpinionDraft,
    OpinionVersion,
)
from deliberate.hearings.models import (
    Comment,
    DocumentVersion,
    Endorsement,
    Flag,
    Hearing,
    HearingSession,
    ModerationAction,
    Response,
    Section,
    SpeakerApplication,
    SpeakerCall,
    Statement,
)
from deliberate.identity.models import (
    Area,
    AreaOfficer,
    CensusEntry,
    Committee,
    CommitteeMember,
    ExpertCredential,
    LetterCode,
    Verification,
    VerificationRequest,
)
from deliberate.jobs.models import Job  # noqa: F401  (registers the table)
from deliberate.mail.models import OutboxMessage
from deliberate.minutes.models import Minutes  # noqa: F401  (registers the table)
from deliberate.polls.models import Ballot, Poll, PollOption, Tally, VoterRoll
from deliberate.throttle.models import ThrottleBucket

metadata = SQLModel.metadata

__all__ = [
    "AccountToken",
    "Area",
    "AreaOfficer",
    "AuditEvent",
    "AuditHead",
    "Ballot",
    "CensusEntry",
    "Comment",
    "Committee",
    "CommitteeMember",
    "Consultation",
    "DocumentVersion",
    "Endorsement",
    "ExpertCredential",
    "ExpertForum",
    "Flag",
    "FollowUp",
    "Follower",
    "ForumInvitation",
    "ForumQuestion",
    "Hearing",
    "HearingSession",
    "LetterCode",
    "ModerationAction",
    "OpinionAttachment",
    "OpinionDraft",
    "OpinionVersion",
    "OutboxMessage",
    "Poll",
    "PollOption",
    "RecoveryCode",
    "Response",
    "Section",
    "SpeakerApplication",
    "SpeakerCall",
    "StageChange",
    "Statement",
    "Tally",
    "ThrottleBucket",
    "User",
    "UserSession",
    "Verification",
    "VerificationRequest",
    "VoterRoll",
    "metadata",
]
