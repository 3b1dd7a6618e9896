"""``sahara node``: start, stop and list the project's local anvil chains."""

import click

from sahara_dao.core.nodes import managed_node, rpc_chain_id, start_background, stop_background
from sahara_dao.core.settings import get_settings


def _ecosystems(names: tuple[str, ...]) -> list[str]:
    return list(names) or sorted(get_settings().local_chains)


@click.group()
def node() -> None:
    """Local anvil chains, one per ecosystem (ethereum, bsc), each with its own chain id.

    Nodes bind to 127.0.0.1 only and keep their state in the data directory across restarts.
    """


@node.command()
@click.argument("ecosystems", nargs=-1)
def start(ecosystems: tuple[str, ...]) -> None:
    """Start the nodes of ECOSYSTEMS (default: all configured) in the background."""
    for ecosystem in _ecosystems(ecosystems):
        running = managed_node(ecosystem)
        if rpc_chain_id(running.uri) == running.chain_id:
            click.echo(f"{ecosystem}: already running on {running.uri} (chain id {running.chain_id})")
            continue
        started = start_background(ecosystem)
        click.echo(f"{ecosystem}: started on {started.uri} (chain id {started.chain_id}), log {started.log_file}")


@node.command()
@click.argument("ecosystems", nargs=-1)
def stop(ecosystems: tuple[str, ...]) -> None:
    """Stop the background nodes of ECOSYSTEMS (default: all); their state is saved."""
    for ecosystem in _ecosystems(ecosystems):
        if stop_background(ecosystem):
            click.echo(f"{ecosystem}: stopped")
        elif rpc_chain_id((configured := managed_node(ecosystem)).uri) is not None:
            click.echo(f"{ecosystem}: a node answers on {configured.uri} but was not started from this data "
                       "directory (SAHARA_DATA_DIR); stop it where it was started")  # fmt: skip
        else:
            click.echo(f"{ecosystem}: was not running")


@node.command()
def status() -> None:
    """Show which local nodes answer, with their URI and chain id."""
    for ecosystem in _ecosystems(()):
        configured = managed_node(ecosystem)
        answered = rpc_chain_id(configured.uri)
        state = f"running, chain id {answered}" if answered is not None else "stopped"
        click.echo(f"{ecosystem:10} {configured.uri:24} {state}")
