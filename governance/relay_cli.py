"""``sahara gov relay ...``, ``sahara gov sign-vote`` and ``sahara gov sign-delegation``: the gasless
vote relay from the command line (logic in governance/relay.py)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import connect, is_local, next_timestamp
from sahara_dao.core.db import session_scope
from sahara_dao.core.deployments import COMPLETE, DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import format_tokens, to_seconds
from sahara_dao.governance import relay, relay_send
from sahara_dao.governance.errors import DeploymentError, RelayError
from sahara_dao.governance.lifecycle import Support
from sahara_dao.governance.models import RelayedSignature, RelayKind

network_option = click.option(
    "--network", default="ethereum:local:foundry", show_default=True,
    help="Ape network choice ECOSYSTEM:NETWORK:PROVIDER, e.g. bsc:local:foundry.",
)  # fmt: skip
config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
    help="Relay budget file (default: governance/relay.yaml or SAHARA_RELAY_FILE).",
)  # fmt: skip
out_option = click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the envelope here (default: stdout).",
)
account_help = (
    "Ape account alias (`ape accounts import ALIAS`); on local chains dev:N picks development account N "
    "(default dev:0)."
)


@contextmanager
def _contracts(network: str) -> Iterator[relay.RelayContracts]:
    from ape import chain

    with connect(network):
        record = DeploymentStore(get_settings().deployments_dir).load(chain.chain_id)
        if record is None or record.status != COMPLETE:
            raise DeploymentError(
                f"no complete deployment on chain {chain.chain_id}: run `sahara deploy --network {network}`"
            )
        yield relay.RelayContracts.from_record(record)


def _config(config_file: Path | None) -> relay.RelayConfig:
    return relay.load_relay_config(config_file or get_settings().relay_file)


def _describe(row: RelayedSignature) -> str:
    if row.kind == RelayKind.VOTE:
        what = f"vote {Support(row.support).name.lower()} by {row.signer} on {row.proposal_id}"
        if row.reason is not None:
            what += f' ("{row.reason[:40]}")'
    else:
        what = f"delegation of {row.signer} to {row.delegatee}"
    weight = f", {format_tokens(row.weight)} SAHARA" if row.weight else ""
    outcome = f"{row.code}: {row.detail}" if row.code else (row.tx_hash or "")
    return f"#{row.id} {row.status:8} {what}{weight} {outcome}".rstrip()


@click.group("relay")
def relay_group() -> None:
    """Gasless voting: take signed ballots and delegations, check them, relay them in batches.

    \b
    A ballot is the EIP-712 document a wallet signs for castVoteBySig (Ballot, or ExtendedBallot
    with a reason), with its signature; `sahara gov sign-vote` makes one with an Ape account.
    The relay checks every signature before spending gas, and pays for Multicall3 batches.
    """


@relay_group.command("submit")
@click.argument("ballot_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@network_option
@config_option
def submit_cmd(ballot_file: Path, network: str, config_file: Path | None) -> None:
    """Check the signed ballots or delegations in BALLOT_FILE and queue the valid ones.

    BALLOT_FILE holds one envelope or a JSON list of them. Each is stored once (the same signature
    twice is one entry): pending, or rejected with the reason. Nothing is sent: `sahara gov relay run`
    does that.
    """
    try:
        documents = json.loads(ballot_file.read_text())
    except json.JSONDecodeError as exc:
        raise RelayError(f"{ballot_file} is not JSON: {exc}") from None
    documents = documents if isinstance(documents, list) else [documents]
    config = _config(config_file)
    with _contracts(network) as contracts, session_scope() as session:
        rows = [relay.submit(session, contracts, document, config=config) for document in documents]
    for row in rows:
        click.echo(_describe(row))
    rejected = sum(row.status == "rejected" for row in rows)
    click.echo(f"{len(rows) - rejected} accepted, {rejected} rejected")


@relay_group.command("run")
@network_option
@click.option("--account", default=None, help="Relayer that pays the gas. " + account_help)
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Signatures per Multicall3 transaction (default: batch_size of the relay file, 50).")  # fmt: skip
@config_option
def run_cmd(network: str, account: str | None, batch_size: int | None, config_file: Path | None) -> None:
    """Relay every pending ballot and delegation of the chain in Multicall3 batches.

    Each batch is checked again and simulated first; calls that would fail are reported, not sent.
    Rerunning is safe: a batch whose transaction was recorded is resolved from the chain, never sent twice.
    """
    config = _config(config_file)
    with _contracts(network) as contracts, session_scope() as session:
        relayer = load_account(account, local=is_local(network))
        report = relay_send.relay_pending(session, contracts, relayer, config=config, batch_size=batch_size,
                                     progress=click.echo)  # fmt: skip
        for row in report.rejected + report.failed:
            click.echo(_describe(row))
    click.echo(
        f"{len(report.cast)} cast, {len(report.failed)} failed, {len(report.rejected)} rejected in "
        f"{report.sent} transaction{'' if report.sent == 1 else 's'} (gas {report.gas_used:,})"
    )


@relay_group.command("status")
@network_option
@click.option("--all", "show_all", is_flag=True, help="List every entry, not only the latest 20.")
def status_cmd(network: str, show_all: bool) -> None:
    """Count the relay's ballots and delegations by status and list the latest ones with their reasons."""
    from ape import chain

    with connect(network), session_scope() as session:
        counts, rows = relay.relay_status(session, chain.chain_id)
        if not rows:
            click.echo(
                f"no signatures submitted for chain {chain.chain_id}: `sahara gov relay submit BALLOT.json`"
            )
            return
        click.echo(", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
        for row in rows if show_all else rows[:20]:
            click.echo(_describe(row))


def _write(envelope: dict, out: Path | None) -> None:
    text = json.dumps(envelope, indent=2)
    if out is None:
        click.echo(text)
    else:
        out.write_text(text + "\n")
        click.echo(f"wrote {out}", err=True)


@click.command("sign-vote")
@click.argument("proposal_id", type=int)
@click.argument("support", type=click.Choice(["for", "against", "abstain"], case_sensitive=False))
@network_option
@click.option("--account", default=None, help="Voter that signs. " + account_help)
@click.option("--reason", default=None, help="Reason carried with the vote (signs an ExtendedBallot).")
@click.option(
    "--nonce",
    type=int,
    default=None,
    help="Nonce to sign (default: the voter's next, keyed on the proposal).",
)
@out_option
def sign_vote_cmd(proposal_id: int, support: str, network: str, account: str | None, reason: str | None,
                  nonce: int | None, out: Path | None) -> None:  # fmt: skip
    """Sign a ballot on PROPOSAL_ID with an Ape account, for `sahara gov relay submit` (no gas spent)."""
    with _contracts(network) as contracts:
        voter = load_account(account, local=is_local(network))
        envelope = relay.sign_vote(contracts, voter, proposal_id, int(Support[support.upper()]), reason=reason,
                                   nonce=nonce)  # fmt: skip
    _write(envelope, out)


@click.command("sign-delegation")
@network_option
@click.option("--account", default=None, help="Holder that delegates. " + account_help)
@click.option(
    "--to", "delegatee", default=None, help="Delegate to this address (default: the holder itself)."
)
@click.option(
    "--expires-in",
    default="1d",
    show_default=True,
    help="Validity of the signature: seconds or 30m / 12h / 7d.",
)
@out_option
def sign_delegation_cmd(network: str, account: str | None, delegatee: str | None, expires_in: str,
                        out: Path | None) -> None:  # fmt: skip
    """Sign a delegation of your SAHARA votes with an Ape account, for `sahara gov relay submit`."""
    seconds = to_seconds(expires_in, "--expires-in")
    with _contracts(network) as contracts:
        holder = load_account(account, local=is_local(network))
        envelope = relay.sign_delegation(contracts, holder, delegatee or holder.address,
                                         expiry=next_timestamp() + seconds)  # fmt: skip
    _write(envelope, out)
