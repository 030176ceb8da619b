"""The platform: app factory, settings, database, jobs, secrets, API and CLI."""

from hub.app import create_app

__all__ = ["create_app"]
