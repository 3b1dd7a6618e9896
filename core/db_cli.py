"""``sahara db``: create, upgrade and inspect the service's database."""

import click

from sahara_dao.core import db as database


@click.group("db")
def db() -> None:
    """The service's database (SQLite under the data directory, or DATABASE_URL)."""


@db.command()
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def upgrade(revision: str) -> None:
    """Create the database or bring its schema up to date (safe to rerun)."""
    engine = database.get_engine()
    before = database.current_revision(engine)
    database.migrate(engine, revision)
    after = database.current_revision(engine)
    url = database.redacted_url(database.database_url())
    click.echo(f"{url}: {before or 'empty'} -> {after}" if before != after else f"{url}: already at {after}")


@db.command()
def status() -> None:
    """Print the database URL (without password), its schema revision and the latest one."""
    engine = database.get_engine()
    current, head = database.current_revision(engine), database.head_revision()
    click.echo(f"database  {database.redacted_url(database.database_url())}")
    click.echo(f"revision  {current or 'none (run: sahara db upgrade)'}")
    click.echo(f"latest    {head}" + ("" if current == head else "  (behind: run sahara db upgrade)"))

