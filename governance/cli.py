"""``sahara deploy`` and ``sahara gov``: deploy the DAO and drive proposals from the command line."""

from contextlib import contextmanager
from pathlib import Path

import click

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import connect, is_local
from sahara_dao.core.contracts import project
from sahara_dao.core.db import session_scope
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import format_tokens
from sahara_dao.governance import lifecycle, records
from sahara_dao.governance.cli_common import account_option, duration, network_option, when
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.governance.errors import DeploymentError, ProposalError
from sahara_dao.governance.params import load_params
from sahara_dao.governance.propose_cli import propose
from sahara_dao.governance.records_cli import delegates, proposals, votes
from sahara_dao.governance.relay_cli import relay_group, sign_delegation_cmd, sign_vote_cmd
from sahara_dao.token.allocation import load_genesis


@click.command()
@network_option
@account_option
@click.option("--genesis", "genesis_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Genesis allocation file (default: token/genesis.yaml or SAHARA_GENESIS_FILE).")  # fmt: skip
@click.option("--params", "params_file", type=click.Path(dir_okay=False, path_type=Path),
              help="DAO parameters file (default: governance/params.yaml or SAHARA_GOVERNANCE_FILE).")  # fmt: skip
def deploy(network: str, account: str | None, genesis_file: Path | None, params_file: Path | None) -> None:
    """Deploy the SAHARA token, vesting wallets, timelock and governor, and wire their roles.

    Idempotent: the addresses are recorded per chain id in the data directory; a second run checks
    the deployment and changes nothing, and a run cut short resumes where it stopped.
    """
    settings = get_settings()
    genesis = load_genesis(genesis_file or settings.genesis_file)
    params = load_params(params_file or settings.governance_file)
    params.check_against(genesis)
    with connect(network):
        sender = load_account(account, local=is_local(network))
        record = deploy_dao(
            sender=sender, genesis=genesis, params=params, store=DeploymentStore(settings.deployments_dir),
            network=network, local=is_local(network),
            progress=lambda step, detail: click.echo(f"  {step:72} {detail}"),
        )  # fmt: skip
    click.echo(f"deployment on chain {record.chain_id} ({network}): {record.status}")
    for name in ("token", "timelock", "governor"):
        click.echo(f"  {name:9} {record.address(name)}")


@click.group()
def gov() -> None:
    """On-chain governance: delegate, propose, vote, queue, execute, cancel, status; proposals,
    votes and delegates as indexed (`sahara index`); the gasless vote relay."""


gov.add_command(propose)
gov.add_command(proposals)
gov.add_command(votes)
gov.add_command(delegates)
# The gasless vote relay (governance/relay_cli.py).
gov.add_command(relay_group)
gov.add_command(sign_vote_cmd)
gov.add_command(sign_delegation_cmd)



@contextmanager
def _dao(network: str):
    """Connect and yield (token, governor, timelock) of the recorded deployment on that chain."""
    from ape import chain

    with connect(network):
        record = DeploymentStore(get_settings().deployments_dir).load(chain.chain_id)
        if record is None or record.status != "complete":
            raise DeploymentError(
                f"no complete deployment on chain {chain.chain_id}: run `sahara deploy --network {network}`"
            )
        contracts = project()
        yield (
            contracts.SaharaToken.at(record.address("token")),
            contracts.SaharaGovernor.at(record.address("governor")),
            contracts.SaharaTimelock.at(record.address("timelock")),
        )


def _proposals(governor) -> dict[int, lifecycle.Proposal]:
    """Every proposal of the governor, rebuilt from its ProposalCreated events."""
    from ape import chain

    found = {}
    for log in governor.ProposalCreated.range(0, chain.blocks.head.number + 1):
        args = log.event_arguments
        found[args["proposalId"]] = lifecycle.proposal_of(
            args["targets"], args["values"], args["calldatas"], args["description"]
        )
    return found


def _find(governor, proposal_id: int) -> lifecycle.Proposal:
    """The proposal's actions from the indexer's tables, else from the chain's ProposalCreated logs."""
    from ape import chain

    with session_scope() as session:
        proposal = records.proposal_actions(
            session=session, chain_id=chain.chain_id, governor=governor.address, proposal_id=proposal_id
        )
    if proposal is None:
        proposal = _proposals(governor).get(proposal_id)
    if proposal is None:
        raise ProposalError(
            f"no proposal {proposal_id} on governor {governor.address}: list them with `sahara gov proposals`"
        )
    return proposal


@gov.command()
@network_option
@click.argument("proposal_id", type=int)
def status(network: str, proposal_id: int) -> None:
    """State, For/Against/Abstain, quorum progress and time left of PROPOSAL_ID, read from the chain."""
    with _dao(network) as (token, governor, timelock):
        s = lifecycle.status(governor, proposal_id)
        click.echo(f"proposal {proposal_id}\n  {_find(governor, proposal_id).description.splitlines()[0]}")
        click.echo(f"  state {s.state.name.lower()}")
        click.echo(f"  for {format_tokens(s.for_)}, against {format_tokens(s.against)}, "
                   f"abstain {format_tokens(s.abstain)}")  # fmt: skip
        bps = s.quorum_progress_bps
        click.echo(f"  quorum {format_tokens(s.quorum)}: {bps // 100}.{bps % 100:02d}% reached (For + Abstain)")  # fmt: skip
        eta = f", executable {when(s.eta)}" if s.eta else ""
        click.echo(f"  voting {when(s.snapshot)} to {when(s.deadline)}{eta}")
        if s.time_left is not None:
            click.echo(f"  {s.time_left[0]} in {duration(s.time_left[1])}")
        treasury = format_tokens(token.balanceOf(timelock))
        click.echo(f"  treasury (timelock {timelock.address}): {treasury} SAHARA")


@gov.command("delegate")
@network_option
@account_option
@click.option("--to", "delegatee", default=None, help="Delegate to this address (default: yourself).")
def delegate_cmd(network: str, account: str | None, delegatee: str | None) -> None:
    """Delegate your SAHARA votes (to yourself to vote directly)."""
    with _dao(network) as (token, _, _timelock):
        sender = load_account(account, local=is_local(network))
        lifecycle.delegate(token, delegatee or sender.address, sender)
        click.echo(
            f"{sender.address} delegates to {delegatee or 'self'}: {format_tokens(token.getVotes(sender))} votes"
        )


@gov.command()
@network_option
@account_option
@click.argument("proposal_id", type=int)
@click.argument("support", type=click.Choice(["for", "against", "abstain"], case_sensitive=False))
@click.option("--reason", default="", help="Reason recorded with the vote (castVoteWithReason).")
def vote(network: str, account: str | None, proposal_id: int, support: str, reason: str) -> None:
    """Vote on PROPOSAL_ID: for, against or abstain."""
    with _dao(network) as (_, governor, _timelock):
        voter = load_account(account, local=is_local(network))
        lifecycle.cast_vote(governor, proposal_id, lifecycle.Support[support.upper()], voter, reason)
        click.echo(f"{voter.address} voted {support} on {proposal_id}")


@gov.command()
@network_option
@account_option
@click.argument("proposal_id", type=int)
def queue(network: str, account: str | None, proposal_id: int) -> None:
    """Queue a succeeded proposal in the timelock."""
    with _dao(network) as (_, governor, _timelock):
        sender = load_account(account, local=is_local(network))
        lifecycle.queue(governor, _find(governor, proposal_id), sender)
        click.echo(f"proposal {proposal_id} queued; executable after {when(governor.proposalEta(proposal_id))}")


@gov.command()
@network_option
@account_option
@click.argument("proposal_id", type=int)
def execute(network: str, account: str | None, proposal_id: int) -> None:
    """Execute a queued proposal whose timelock delay has passed."""
    with _dao(network) as (_, governor, _timelock):
        sender = load_account(account, local=is_local(network))
        lifecycle.execute(governor, _find(governor, proposal_id), sender)
        click.echo(f"proposal {proposal_id} executed")


@gov.command()
@network_option
@account_option
@click.argument("proposal_id", type=int)
def cancel(network: str, account: str | None, proposal_id: int) -> None:
    """Cancel PROPOSAL_ID as the proposal guardian (any state before execution), or as its proposer
    while it is pending (in any cancelable state once the DAO has removed the guardian)."""
    with _dao(network) as (_, governor, _timelock):
        sender = load_account(account, local=is_local(network))
        lifecycle.cancel(governor, _find(governor, proposal_id), sender)
        click.echo(f"proposal {proposal_id} canceled")
