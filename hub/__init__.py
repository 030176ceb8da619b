"""The platform: `app.create_app()`, settings, database, the inbound and outbound paths, jobs, API and CLI.

Nothing is imported here, so `hub.outbound` (which connectors use through their SDK) can be
imported without pulling in the whole application.
"""
