"""The ids Amplitude gives people, declared so the hub resolves profiles by them.

Amplitude's `user_id` is the id your product gives a person, so it resolves as the hub's own
USER_ID kind; `amplitude_id` is Amplitude's own number for a person within one project.
"""

from connectors.sdk import IdentityKind

AMPLITUDE_ID = IdentityKind("amplitude_id", "an Amplitude user's amplitude_id", per_account=True)
