"""The ids Salesforce gives people, declared so the hub resolves profiles by them."""

from connectors.sdk import IdentityKind

SALESFORCE_CONTACT = IdentityKind("salesforce_contact", "a Salesforce Contact id", per_account=True)
SALESFORCE_LEAD = IdentityKind("salesforce_lead", "a Salesforce Lead id", per_account=True)
