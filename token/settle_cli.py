"""``sahara settle``, ``sahara verify-epoch``, ``sahara proof`` and ``sahara claim``."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import connect, is_local
from sahara_dao.core.units import format_tokens
from sahara_dao.token.settlement import ChainContext, claim_proof, settle, verify_epoch
from sahara_dao.token.settlement import claim as submit_claim

CHAIN_HELP = (
    "Chain: ethereum or bsc for the local anvil nodes, or any Ape network choice "
    "(ECOSYSTEM:NETWORK:PROVIDER, e.g. bsc:mainnet:node)."
)


def network_of(chain: str) -> str:
    """``ethereum`` -> ``ethereum:local:foundry``; a full network choice is kept."""
    return chain if ":" in chain else f"{chain}:local:foundry"


@contextmanager
def on_chain(chain: str) -> Iterator[ChainContext]:
    with connect(network_of(chain)):
        yield ChainContext()


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@click.command("settle")
@click.option("--chain", "chains", multiple=True, required=True, help=CHAIN_HELP + " Repeat for several chains.")
@click.option("--epoch", type=click.IntRange(min=1), help="Epoch number (its window follows the epoch schedule).")
@click.option("--window", nargs=2, type=int, metavar="START END",
              help="Half-open window [START, END) in unix seconds, e.g. an Airflow data interval.")  # fmt: skip
@click.option("--account", help="Signer with the vault's settler role (default on local chains: the operator).")
@click.option("--no-fund", is_flag=True, help="Do not deposit missing pay-per-use fees; fail instead.")
@click.option("--compute-only", is_flag=True, help="Compute and record the epoch, publish nothing.")
def settle_command(chains, epoch, window, account, no_fund, compute_only) -> None:
    """Settle one epoch on each chain: revenue per asset -> lineage -> receipt holders and the
    treasury -> cumulative balances -> Merkle root published to the chain's revenue vault.

    Idempotent: rerunning a settled epoch publishes nothing; a run that stopped halfway resumes.
    Every epoch writes var/epochs/<chain id>/epoch-<n>.json, from which anyone recomputes the root.
    """
    for chain in chains:
        with on_chain(chain) as ctx:
            outcome = settle(ctx, epoch=epoch, window=window, account=account, fund=not no_fund,
                             publish=not compute_only, progress=click.echo)  # fmt: skip
        start, end = outcome.window
        click.echo(
            f"chain {outcome.chain_id} epoch {outcome.epoch} [{_when(start)}, {_when(end)}): {outcome.status}, "
            f"earned {format_tokens(outcome.earned)} SAHARA, cumulative {format_tokens(outcome.total)}, "
            f"root {outcome.root}"
        )


@click.command("verify-epoch")
@click.option("--chain", required=True, help=CHAIN_HELP)
@click.option("--epoch", type=click.IntRange(min=1), required=True)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The epoch file (default var/epochs/<chain id>/epoch-<n>.json).")  # fmt: skip
def verify_epoch_command(chain: str, epoch: int, path: Path | None) -> None:
    """Recompute an epoch's root from its epoch file alone and compare it with the vault's on chain."""
    with on_chain(chain) as ctx:
        result = verify_epoch(ctx, epoch, path)
    click.echo(f"recomputed root  {result.file_root}")
    click.echo(f"on-chain root    {result.chain_root or '(none)'}")
    for problem in result.problems:
        click.echo(f"MISMATCH: {problem}", err=True)
    if not result.ok:
        raise SystemExit(1)
    click.echo(f"epoch {epoch} on chain {result.chain_id}: verified")


@click.command("proof")
@click.argument("address")
@click.option("--chain", required=True, help=CHAIN_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the proof as one JSON object.")
def proof_command(address: str, chain: str, as_json: bool) -> None:
    """Print ADDRESS's cumulative amount, already-claimed amount and Merkle proof under the active root."""
    with on_chain(chain) as ctx:
        proof = claim_proof(ctx, address)
    if as_json:
        click.echo(json.dumps({"account": proof.account, "epoch": proof.epoch, "cumulative": str(proof.cumulative),
                               "claimed": str(proof.claimed), "proof": proof.proof}))  # fmt: skip
        return
    click.echo(f"account     {proof.account}")
    click.echo(f"epoch       {proof.epoch} (active root)" + (f"; epoch {proof.pending_epoch} pending" if proof.pending_epoch else ""))
    click.echo(f"cumulative  {format_tokens(proof.cumulative)} SAHARA ({proof.cumulative})")
    click.echo(f"claimed     {format_tokens(proof.claimed)} SAHARA")
    click.echo(f"claimable   {format_tokens(proof.claimable)} SAHARA")
    click.echo("proof       " + json.dumps(proof.proof))


@click.command("claim")
@click.argument("address", required=False)
@click.option("--chain", required=True, help=CHAIN_HELP)
@click.option("--account", help="Signer that sends the claim (default dev:0 on local chains); the tokens go to ADDRESS.")
def claim_command(address: str | None, chain: str, account: str | None) -> None:
    """Claim ADDRESS's royalties (default: the signer's own) under the vault's active root."""
    with on_chain(chain) as ctx:
        sender = load_account(account, local=is_local(network_of(chain)))
        proof, tx = submit_claim(ctx, address or sender.address, sender)
    click.echo(f"claimed {format_tokens(proof.claimable)} SAHARA for {proof.account} (cumulative "
               f"{format_tokens(proof.cumulative)} up to epoch {proof.epoch}); tx {tx}")  # fmt: skip
