"""``sahara quarantine``: list the records held back at intake, and retry them once their cause is fixed."""

import time

import click

from sahara_dao.core.db import session_scope
from sahara_dao.token.quarantine import INTAKES, held, retry


@click.group()
def quarantine() -> None:
    """Records refused at intake (usage, labeling tasks and results), kept with their reason: never
    paid, always counted."""


@quarantine.command("list")
@click.option("--source", type=click.Choice(list(INTAKES)), help="Only this intake.")
@click.option("--chain-id", type=int, help="Only records of this chain id.")
def list_command(source: str | None, chain_id: int | None) -> None:
    """Count the held records by intake and reason."""
    with session_scope() as session:
        counts = held(session, source=source, chain_id=chain_id)
    if not counts:
        click.echo("nothing is held in quarantine")
        return
    for (held_source, reason), count in sorted(counts.items()):
        click.echo(f"{count:>8}  {held_source:14} {reason}")


@quarantine.command("retry")
@click.option("--source", "sources", multiple=True, type=click.Choice(list(INTAKES)),
              help="Retry only this intake (repeatable; default: all).")  # fmt: skip
def retry_command(sources: tuple[str, ...]) -> None:
    """Run the held records through their intake again, after the cause is fixed (for example after
    `sahara index` made their chain or asset known). Accepted records are stored; the others stay
    with their new reason. Conflicting duplicates stay: the first record under a key stands."""
    with session_scope() as session:
        reports = retry(session, received_at=int(time.time()), sources=sources or tuple(INTAKES))
    for source, report in reports.items():
        again = ", ".join(f"{n} {reason}" for reason, n in sorted(report.quarantined.items())) or "none"
        click.echo(f"{source:14} stored {report.stored}, already stored {report.duplicates}, held again: {again}")
