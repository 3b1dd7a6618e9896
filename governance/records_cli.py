"""``sahara gov proposals / votes / delegates``: what the indexer stored (run ``sahara index`` first)."""

import time

import click
from eth_utils import is_address, to_checksum_address

from sahara_dao.core.chain import connect
from sahara_dao.core.db import session_scope
from sahara_dao.core.units import format_tokens
from sahara_dao.governance import records
from sahara_dao.governance.cli_common import duration, network_option, when
from sahara_dao.governance.lifecycle import Support

chain_id_option = click.option(
    "--chain-id", type=int, default=None,
    help="Read this chain's rows without connecting (states then use this machine's clock).",
)  # fmt: skip


def _chain_and_clock(network: str, chain_id: int | None) -> tuple[int, int]:
    """The chain id and its clock (latest block timestamp); the wall clock with --chain-id."""
    if chain_id is not None:
        return chain_id, int(time.time())
    from ape import chain

    with connect(network):
        return chain.chain_id, chain.blocks.head.timestamp


def _empty(what: str, chain_id: int, network: str) -> None:
    click.echo(f"no {what} indexed for chain {chain_id}: run `sahara index --network {network}` first")


def describe(view: records.ProposalView) -> list[str]:
    """The lines `proposals` prints for one proposal."""
    state = (
        view.state.name.lower()
        if view.state is not None
        else "closed (quorum unknown: index from deployment)"
    )
    bps = view.quorum_progress_bps
    progress = "?" if bps is None else f"{bps // 100}.{bps % 100:02d}%"
    lines = [
        f"{view.proposal_id}",
        f"  {view.title}",
        f"  state {state}; for {format_tokens(view.for_)}, against {format_tokens(view.against)}, "
        f"abstain {format_tokens(view.abstain)} ({view.voters} voters); quorum "
        f"{format_tokens(view.quorum) if view.quorum is not None else '?'} reached {progress}",
    ]
    if view.time_left is not None:
        lines.append(f"  {view.time_left[0]} in {duration(view.time_left[1])}")
    lines.append("  " + "; ".join(f"{step.name} {when(step.at)}" for step in view.timeline))
    return lines


@click.command()
@network_option
@chain_id_option
@click.option("--limit", type=int, default=20, show_default=True, help="Newest proposals to show.")
def proposals(network: str, chain_id: int | None, limit: int) -> None:
    """List proposals from the indexed events: state, tallies, quorum progress, time left, timeline.

    States are derived from the stored events and the chain's clock (see governance/records.py).
    """
    chain_id, now = _chain_and_clock(network, chain_id)
    with session_scope() as session:
        views = records.list_proposals(session=session, chain_id=chain_id, now=now, limit=limit)
    if not views:
        return _empty("proposals", chain_id, network)
    for view in views:
        click.echo("\n".join(describe(view)))


@click.command()
@network_option
@chain_id_option
@click.argument("proposal_id", type=int, required=False)
@click.option("--voter", default=None, help="Instead: every vote of this address, oldest first.")
def votes(network: str, chain_id: int | None, proposal_id: int | None, voter: str | None) -> None:
    """List the votes of PROPOSAL_ID (heaviest first), or of one --voter, with reasons, from the
    indexed events."""
    if (proposal_id is None) == (voter is None):
        raise click.UsageError("give a PROPOSAL_ID or --voter ADDRESS (one of them)")
    chain_id, _ = _chain_and_clock(network, chain_id)
    with session_scope() as session:
        if voter is not None:
            rows = records.voter_history(session=session, chain_id=chain_id, voter=_address(voter))
        else:
            rows = records.proposal_votes(session=session, chain_id=chain_id, proposal_id=proposal_id)
    if not rows:
        return _empty(f"votes by {voter}" if voter else f"votes on proposal {proposal_id}", chain_id, network)
    for vote in rows:
        reason = f'  "{vote.reason}"' if vote.reason else ""
        where = f"proposal {vote.proposal_id}" if voter else vote.voter
        click.echo(f"{where}  {Support(vote.support).name.lower():8} {format_tokens(vote.weight):>24}  "
                   f"{when(vote.occurred_at)}{reason}")  # fmt: skip


def _address(value: str) -> str:
    if not is_address(value):
        raise click.BadParameter(f"{value!r} is not an address", param_hint="--voter")
    return to_checksum_address(value)


@click.command()
@network_option
@chain_id_option
@click.option("--limit", type=int, default=10, show_default=True, help="How many delegates to show.")
def delegates(network: str, chain_id: int | None, limit: int) -> None:
    """Top delegates by voting power, from the token's indexed delegation events."""
    chain_id, _ = _chain_and_clock(network, chain_id)
    with session_scope() as session:
        rows = records.top_delegates(session=session, chain_id=chain_id, limit=limit)
    if not rows:
        return _empty("delegates", chain_id, network)
    for rank, power in enumerate(rows, 1):
        click.echo(f"{rank:3}. {power.delegate}  {format_tokens(power.votes):>24} votes  "
                   f"{power.delegators} delegator(s)")  # fmt: skip
