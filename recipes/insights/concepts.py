"""What customers talk about when they talk about software: topics and the words that name them.

Both synthesisers lean on this: the offline one finds themes through it, and the codebook
uses it to see that "pricing too high" and "too expensive" are one theme whatever wrote
the label. Words are matched by stem (recipes.insights.text.stem); phrases as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from recipes.insights.text import stem, words


@dataclass(frozen=True)
class Concept:
    key: str
    label: str
    stems: frozenset[str]
    phrases: tuple[re.Pattern[str], ...]


_RAW: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "pricing": (
        "Pricing and cost",
        "price prices pricing priced pricey expensive expense cost costs costly cheap cheaper afford "
        "affordable overpriced budget money dollars euros fee fees plan-price subscription-cost "
        "discount value worth paying pay",
        (r"\btoo much\b", r"\$\d", r"€\d", r"per seat", r"\bper user\b"),
    ),
    "onboarding": (
        "Onboarding and setup",
        "onboarding onboard setup set-up configure configuration configuring install installation "
        "installing getting-started walkthrough tutorial wizard first-week first-day",
        (r"\bset(ting)? (it )?up\b", r"\bget(ting)? started\b", r"\bfirst (few )?(days?|weeks?)\b"),
    ),
    "performance": (
        "Speed and performance",
        "slow slowly slower sluggish lag laggy lagging performance speed fast faster loading load "
        "loads latency spinner freezes freeze timeout timeouts",
        (r"\btakes? (forever|ages)\b", r"\bseconds? to (load|open)\b"),
    ),
    "reliability": (
        "Bugs and reliability",
        "bug bugs buggy crash crashes crashed crashing broken error errors glitch glitches outage "
        "outages downtime unstable unreliable reliability lost data-loss fails failed failing",
        (r"\bwent down\b", r"\bstopped working\b", r"\bdoesn'?t work\b", r"\blost (my|our) \w+"),
    ),
    "support": (
        "Customer support",
        "support helpdesk ticket tickets agent agents chat-support service response responded reply "
        "replied customer-success account-manager",
        (r"\bsupport team\b", r"\bgot back to\b", r"\bcustomer service\b"),
    ),
    "missing_features": (
        "Missing features",
        "feature features missing lacks lacking roadmap wishlist request requested capability functionality",
        (r"\bwish (it|you) (had|could)\b", r"\bno way to\b", r"\bcan'?t (even )?\w+ (a|the|my)\b"),
    ),
    "integrations": (
        "Integrations",
        "integration integrations integrate integrates api webhook webhooks zapier slack salesforce "
        "hubspot connector connectors sync syncing plugin plugins",
        (r"\bconnect (it )?to\b", r"\btalk to (our|my) \w+"),
    ),
    "usability": (
        "Ease of use",
        "confusing confused intuitive unintuitive clunky cluttered navigation navigate menu menus "
        "interface ui ux usability learning-curve complicated complex easy easier simple clicks",
        (r"\bhard to (find|use|understand|figure)\b", r"\bfind (anything|things|stuff)\b"),
    ),
    "documentation": (
        "Documentation and help content",
        "documentation docs doc guide guides manual help-center knowledge-base article articles "
        "examples faq tutorials",
        (r"\bhelp (center|centre|docs|articles)\b",),
    ),
    "mobile": (
        "Mobile app",
        "mobile phone iphone android ios app-store tablet ipad smartphone",
        (r"\bon (my|the) phone\b", r"\bmobile app\b"),
    ),
    "billing": (
        "Billing and invoices",
        "billing billed invoice invoices invoicing charge charged charges refund refunds receipt "
        "receipts card credit-card payment payments vat",
        (r"\bcharged (me )?twice\b", r"\bdouble charged\b"),
    ),
    "security": (
        "Security and privacy",
        "security secure privacy private gdpr compliance compliant sso saml 2fa mfa password "
        "passwords permissions audit encryption soc2 soc",
        (r"\bsingle sign[- ]on\b", r"\btwo[- ]factor\b", r"\bsoc ?2\b"),
    ),
    "reporting": (
        "Reporting and export",
        "report reports reporting dashboard dashboards analytics export exports exporting csv "
        "excel chart charts metrics insight insights",
        (r"\bexport (to|it|the|our|my)\b",),
    ),
    "collaboration": (
        "Team collaboration",
        "teammates teammate colleagues colleague collaborate collaboration collaborating coworkers "
        "co-workers together commenting comments mention mentions handoff",
        (
            r"\bwork(ing)? together\b",
            r"\bshar(e|ing) (it|them|boards?|reports?|dashboards?|projects?|files?) with\b",
            r"\b(my|our|the whole) team (can|could|couldn'?t|can'?t|needs?|wants?)\b",
            r"\binvit(e|ing) (my|our|the) (team|colleagues|coworkers)\b",
        ),
    ),
    "competitor": (
        "Switching to a competitor",
        "competitor competitors alternative alternatives switch switched switching moved migrate "
        "migrated cheaper-tool rival",
        (r"\bwent with\b", r"\bmoved to\b", r"\bswitch(ed)? to\b", r"\binstead of (you|this)\b"),
    ),
    "notifications": (
        "Notifications",
        "notification notifications notify alerts alert emails spam inbox reminders reminder digest noisy",
        (r"\btoo many emails\b", r"\bpush notifications?\b"),
    ),
}


@cache
def concepts() -> tuple[Concept, ...]:
    """Single words match by stem; hyphenated ones ("learning-curve") are phrases, space or hyphen."""
    built = []
    for key, (label, vocabulary, phrases) in _RAW.items():
        tokens = vocabulary.split()
        stems = frozenset(stem(token) for token in tokens if "-" not in token)
        joined = [r"\b" + r"[ -]".join(map(re.escape, t.split("-"))) + r"\b" for t in tokens if "-" in t]
        patterns = tuple(re.compile(p, re.IGNORECASE) for p in (*phrases, *joined))
        built.append(Concept(key, label, stems, patterns))
    return tuple(built)


def by_key() -> dict[str, Concept]:
    return {c.key: c for c in concepts()}


def tag(text: str) -> dict[str, int]:
    """The concepts `text` mentions, with how many of its words or phrases name each."""
    stems = [stem(w) for w in words(text)]
    lowered = text.lower()
    found: dict[str, int] = {}
    for concept in concepts():
        hits = sum(s in concept.stems for s in stems) + sum(bool(p.search(lowered)) for p in concept.phrases)
        if hits:
            found[concept.key] = hits
    return found
