"""Finds connectors by name: each sub-package of `connectors` that exports `CONNECTOR`.

Adding a system is adding one folder; nothing else changes. The hub reaches connectors only
through here, and learns from here which identity kinds exist and which systems have fakes.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import connectors
from connectors.sdk import Capability, Connector
from connectors.sdk.identity import CORE_KINDS, IdentityKind

SDK_PACKAGE = "sdk"


class UnknownConnector(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        choices = ", ".join(known) if known else "none are installed"
        super().__init__(f"unknown connector {name!r} (known: {choices})")


@cache
def all_connectors() -> dict[str, Connector]:
    found: dict[str, Connector] = {}
    for module in pkgutil.iter_modules(connectors.__path__):
        if not module.ispkg or module.name == SDK_PACKAGE:
            continue
        package = importlib.import_module(f"connectors.{module.name}")
        connector = getattr(package, "CONNECTOR", None)
        if isinstance(connector, Connector):
            found[connector.spec.name] = connector
    return dict(sorted(found.items()))


def get_connector(name: str) -> Connector:
    try:
        return all_connectors()[name]
    except KeyError:
        raise UnknownConnector(name, list(all_connectors())) from None


def with_capability(capability: Capability) -> dict[str, Connector]:
    return {n: c for n, c in all_connectors().items() if capability in c.spec.capabilities}


@cache
def identity_kinds() -> dict[str, IdentityKind]:
    """The hub's own kinds and every kind a connector declares; a kind declared twice must agree."""
    kinds = {kind.name: kind for kind in CORE_KINDS}
    for connector in all_connectors().values():
        for kind in connector.spec.identity_kinds:
            if kinds.setdefault(kind.name, kind) != kind:
                raise ValueError(f"identity kind {kind.name!r} is declared twice, differently")
    return kinds


def with_fake() -> dict[str, Connector]:
    """Connectors whose system can be imitated locally (`journeyhub fake NAME`)."""
    return {n: c for n, c in all_connectors().items() if type(c).fake is not Connector.fake}
