"""All tables, importable from one place so Alembic's comparison sees the whole schema."""

from hub.models.admin import AdminUser
from hub.models.ask import AskConversation, AskMessage, AskNote, AskPassage
from hub.models.automation import (
    Campaign,
    CapClaim,
    Decision,
    EvaluatedEvent,
    Invite,
    Recipe,
    RecipeVersion,
    Workspace,
)
from hub.models.cohort import Cohort, CohortMember, StagedMember
from hub.models.core import ApiToken, Connection, Event, Identity, Profile, Run, RunStep
from hub.models.delivery import Outbox
from hub.models.identity import ProfileMerge
from hub.models.insights import (
    CodebookTheme,
    Finding,
    FindingChange,
    FindingPoint,
    FindingWindow,
    InterviewResult,
    SynthesisCall,
)
from hub.models.journeys import Journey, JourneyChange, JourneySnapshot
from hub.models.pacing import PaceSlot
from hub.models.pushes import PushDelivery

__all__ = [
    "AdminUser",
    "ApiToken",
    "AskConversation",
    "AskMessage",
    "AskNote",
    "AskPassage",
    "Campaign",
    "CapClaim",
    "CodebookTheme",
    "Cohort",
    "CohortMember",
    "Connection",
    "Decision",
    "EvaluatedEvent",
    "Event",
    "Finding",
    "FindingChange",
    "FindingPoint",
    "FindingWindow",
    "Identity",
    "InterviewResult",
    "Invite",
    "Journey",
    "JourneyChange",
    "JourneySnapshot",
    "Outbox",
    "PaceSlot",
    "Profile",
    "ProfileMerge",
    "PushDelivery",
    "Recipe",
    "RecipeVersion",
    "Run",
    "RunStep",
    "StagedMember",
    "SynthesisCall",
    "Workspace",
]
