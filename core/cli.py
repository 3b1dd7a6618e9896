"""The ``sahara`` command line. Each part registers its commands under the entry-point group
``sahara_dao.commands`` (see pyproject.toml), so this root never imports a domain package."""

import logging
import sys
from importlib.metadata import entry_points

import click

from sahara_dao.core.errors import SaharaError

COMMAND_GROUP = "sahara_dao.commands"


class LazyGroup(click.Group):
    """Loads a command only when it runs or when help lists it, so ``--help`` stays fast."""

    def _entry_points(self):
        return {ep.name: ep for ep in entry_points(group=COMMAND_GROUP)}

    def list_commands(self, ctx):
        return sorted(set(super().list_commands(ctx)) | set(self._entry_points()))

    def get_command(self, ctx, name):
        if (command := super().get_command(ctx, name)) is not None:
            return command
        entry = self._entry_points().get(name)
        return entry.load() if entry else None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show Ape's transaction logs.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """sahara: governance DAO and token operations of the SAHARA AI-asset economy.

    \b
    Typical local session:
      sahara node start            start the local ethereum and bsc anvil nodes
      sahara deploy --network ethereum:local:foundry
      sahara index --network ethereum:local:foundry
      sahara gov proposals --network ethereum:local:foundry
      sahara node stop

    Settings come from SAHARA_* environment variables (for example SAHARA_DATA_DIR).
    """
    ctx.obj = {"verbose": verbose}
    if not verbose:
        logging.getLogger("ape").setLevel(logging.WARNING)
        try:
            from ape.logging import logger

            logger.set_level("WARNING")
        except ImportError:  # pragma: no cover - Ape is part of the app environment
            pass


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except SaharaError as exc:
        click.secho(f"error: {exc}", fg="red", err=True)
        sys.exit(1)
