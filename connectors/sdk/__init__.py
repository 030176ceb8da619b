"""The connector SDK: everything a connector folder imports, and nothing of the hub's internals.

A connector declares itself (`spec`), parses what its system sends (`events`, `parsing`,
`signing`), lists and pages what it pulls (`sources`, `paginate`) and what it is pushed
(`pushes`), names the ids its people carry (`identity`), and calls out through the hub's one
outbound path (re-exported here).
"""

from connectors.sdk.channels import Channel, Message, Receipt, Recipient
from connectors.sdk.events import (
    AnswerDialect,
    InboundRequest,
    JourneyEvent,
    Parsed,
    PayloadError,
    Rejected,
    SignatureError,
    TrackingReceiver,
    WebhookReceiver,
)
from connectors.sdk.identity import ANONYMOUS_ID, EMAIL, USER_ID, IdentityKind
from connectors.sdk.paginate import PaginationLoop, paginate
from connectors.sdk.pushes import CohortPush, PushKind
from connectors.sdk.sources import CohortInfo, CohortSource, Member
from connectors.sdk.spec import (
    Capability,
    CheckResult,
    ConfigField,
    ConfigProblem,
    Connector,
    ConnectorSpec,
    FieldType,
    check,
)
from hub.outbound import (
    CREDENTIALS_REJECTED,
    RATE_LIMITED,
    ConfigError,
    ErrorResolution,
    ErrorTable,
    FailureType,
    HttpClient,
    HttpError,
    Outbound,
    RateLimited,
    ResponseAction,
    TransientError,
    WaitHint,
    classify_exception,
    guarded_connection,
    number,
    outbound,
)

__all__ = [
    "ANONYMOUS_ID",
    "CREDENTIALS_REJECTED",
    "EMAIL",
    "RATE_LIMITED",
    "USER_ID",
    "AnswerDialect",
    "Capability",
    "Channel",
    "CheckResult",
    "CohortInfo",
    "CohortPush",
    "CohortSource",
    "ConfigError",
    "ConfigField",
    "ConfigProblem",
    "Connector",
    "ConnectorSpec",
    "ErrorResolution",
    "ErrorTable",
    "FailureType",
    "FieldType",
    "HttpClient",
    "HttpError",
    "IdentityKind",
    "InboundRequest",
    "JourneyEvent",
    "Member",
    "Message",
    "Outbound",
    "PaginationLoop",
    "Parsed",
    "PushKind",
    "PayloadError",
    "RateLimited",
    "Receipt",
    "Recipient",
    "Rejected",
    "ResponseAction",
    "SignatureError",
    "TrackingReceiver",
    "TransientError",
    "WaitHint",
    "WebhookReceiver",
    "check",
    "classify_exception",
    "guarded_connection",
    "number",
    "outbound",
    "paginate",
]
