"""The ids Intercom gives people, declared so the hub resolves profiles by them."""

from connectors.sdk import IdentityKind

INTERCOM_CONTACT = IdentityKind("intercom_contact", "an Intercom contact's id", per_account=True)
