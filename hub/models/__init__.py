"""All tables, importable from one place so Alembic's comparison sees the whole schema."""

from hub.models.cohort import Cohort, CohortMember, StagedMember
from hub.models.core import ApiToken, Connection, Event, Identity, Outbox, Profile, Run, RunStep
from hub.models.identity import ProfileMerge

__all__ = [
    "ApiToken",
    "Cohort",
    "CohortMember",
    "Connection",
    "Event",
    "Identity",
    "Outbox",
    "Profile",
    "ProfileMerge",
    "Run",
    "RunStep",
    "StagedMember",
]
