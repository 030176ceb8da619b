"""The ids HubSpot gives people, declared so the hub resolves profiles by them."""

from connectors.sdk import IdentityKind

HUBSPOT_CONTACT = IdentityKind("hubspot_contact", "a HubSpot contact's record id", per_account=True)
