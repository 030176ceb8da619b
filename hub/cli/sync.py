"""`journeyhub sync COHORT_ID`: one cohort sync now, in this process."""

from __future__ import annotations

import json
import sys

import click

from hub.cli.common import database_app, finish_jobs


@click.command()
@click.argument("cohort_id", type=int)
def sync(cohort_id: int) -> None:
    """Sync one cohort now, in this process; prints its run's figures as one JSON object."""
    from hub.cohorts.sync import AlreadySyncing, NotSyncable, SyncFailed, run_sync

    app = database_app()
    with app.app_context():
        try:
            outcome = run_sync(cohort_id)
        except (AlreadySyncing, NotSyncable) as exc:
            raise click.ClickException(str(exc)) from None
        except SyncFailed as exc:
            outcome = exc.outcome
    finish_jobs(app)
    figures = {"run_id": outcome.run_id, "cohort_id": cohort_id, "status": outcome.status, **outcome.stats}
    click.echo(json.dumps(figures | {"error": outcome.error}))
    if outcome.status != "succeeded":
        sys.exit(1)
