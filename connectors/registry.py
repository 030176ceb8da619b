"""Finds connectors by name: each sub-package of `connectors` that exports `CONNECTOR`.

Adding a system is adding one folder; nothing else changes.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import connectors
from connectors.base import Capability, Connector


class UnknownConnector(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        choices = ", ".join(known) if known else "none are installed"
        super().__init__(f"unknown connector {name!r} (known: {choices})")


@cache
def all_connectors() -> dict[str, Connector]:
    found: dict[str, Connector] = {}
    for module in pkgutil.iter_modules(connectors.__path__):
        if not module.ispkg:
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
