"""The ids Mixpanel gives people, declared so the hub resolves profiles by them."""

from connectors.sdk import IdentityKind

MIXPANEL_DISTINCT_ID = IdentityKind(
    "mixpanel_distinct_id", "a Mixpanel profile's distinct_id", per_account=True
)
"""Unique only inside one project: two projects' "user-42" may be two different people."""
