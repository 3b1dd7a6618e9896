"""``sahara index``: pull the events of a chain's deployed contracts into the database."""

import time

import click

from sahara_dao.core.indexer import ChunkReport, IndexReport, index_network
from sahara_dao.core.settings import get_settings


@click.command("index")
@click.option("--network", default="ethereum:local:foundry", show_default=True,
              help="Ape network choice ECOSYSTEM:NETWORK:PROVIDER whose deployment is indexed.")  # fmt: skip
@click.option("--confirmations", type=click.IntRange(min=0), default=None,
              help="Index only blocks at least this many blocks under the head "
                   "[default: SAHARA_INDEXER_CONFIRMATIONS, else 0 on local chains and 12 elsewhere].")  # fmt: skip
@click.option("--rebuild", is_flag=True,
              help="First drop this chain's stored events, the rows derived from them and the checkpoints "
                   "(after a local chain was reset), then index from the deployment on.")  # fmt: skip
@click.option("--reproject", is_flag=True,
              help="Also run the projections over every stored event of the chain (after a projection "
                   "was added); rows already derived are kept.")  # fmt: skip
def index(network: str, confirmations: int | None, rebuild: bool, reproject: bool) -> None:
    """Pull every event of the deployed contracts of --network into the database.

    \b
    The contracts are those of the chain's deployment record (sahara deploy) and the
    registry's Receipt contract. Every log is stored once in chain_event, keyed by
    (chain id, tx hash, log index), with its decoded arguments as JSON; the economy's
    tables (asset, receipt, lineage_edge, license_offer, license, license_revenue,
    quota_use, published_root, claim) are derived from the events in the same transaction.

    \b
    Resumable: a checkpoint per contract records the last block indexed and its hash;
    a rerun continues there and indexes nothing twice. Reorg-safe: each run reads the
    last SAHARA_INDEXER_REORG_WINDOW blocks (default 64) again and replaces stored rows
    whose block changed or vanished, with what was derived from them.
    """
    settings = get_settings()
    started = time.monotonic()
    click.echo(f"indexing {network} (window {settings.indexer_reorg_window} blocks, "
               f"up to {settings.indexer_chunk_blocks} blocks per request)")  # fmt: skip

    def progress(chunk: ChunkReport) -> None:
        click.echo(f"  {chunk.describe()}")

    report = index_network(network, confirmations=confirmations, rebuild=rebuild, reproject=reproject,
                           progress=progress)  # fmt: skip
    _summary(report, time.monotonic() - started)


def _summary(report: IndexReport, seconds: float) -> None:
    for note in report.notes:
        click.echo(f"  note: {note}")
    click.echo(
        f"chain {report.chain_id}: head {report.head}, indexed up to block {report.target} "
        f"({report.confirmations} confirmations), {report.blocks_read} blocks read in {seconds:.1f} s"
    )
    click.echo(f"  new events       {report.new_events}")
    width = max(map(len, report.inserted), default=0)
    for name in sorted(report.inserted):
        click.echo(f"    {name:{width}}  {report.inserted[name]}")
    click.echo(
        f"  reorged rows     {report.removed} removed, {report.reinserted} of them found again in a new block"
    )
    click.echo(
        "  derived rows     " + (", ".join(f"{t} {n}" for t, n in sorted(report.projected.items())) or "none")
    )
    click.echo(f"  native balances  {report.native_balances} changed (timelock, vault)")
    if report.undecoded:
        click.echo("  not decoded      " + ", ".join(f"{n} {c}" for n, c in sorted(report.undecoded.items())))
