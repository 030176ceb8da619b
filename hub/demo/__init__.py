"""`journeyhub demo`: the whole loop against the built-in fakes, through the hub's own front doors.

Nothing here writes the database: connections, the cohort, campaigns, recipes and the journey
are made through the JSON API; events arrive signed at /hooks/generic; invites leave by SMTP to
the email fake; people follow the links in those emails and their interviews come back signed
at /hooks/interviews; synthesis, findings and result actions (Jira, Slack) run as the hub runs
them. The summary reads its figures back from the database and from the fakes themselves.
"""
