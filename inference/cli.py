"""``sahara infer``: register a model for an asset, run pending inference requests."""

import time
from pathlib import Path

import click
from sqlalchemy import func
from sqlmodel import select

NETWORK = click.option("--network", default="ethereum:local:foundry", show_default=True,
                       help="Ape network choice of the chain whose assets and licenses are served.")  # fmt: skip


@click.group()
def infer() -> None:
    """Inference under on-chain licenses: ONNX models checked against their asset's contentHash,
    batched onnxruntime runs, API quota charged on chain, usage metered exactly once."""


@infer.command()
@NETWORK
@click.option("--asset", "asset_id", type=int, required=True, help="Asset id of the model in the registry.")
@click.argument("model_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def register(network: str, asset_id: int, model_file: Path) -> None:
    """Register MODEL_FILE (ONNX) as the model of an asset.

    The file's sha256 must equal the asset's contentHash in the registry on chain; otherwise it is
    refused. Registering the same file again changes nothing."""
    from sahara_dao.core.chain import connect
    from sahara_dao.core.db import session_scope
    from sahara_dao.core.settings import get_settings
    from sahara_dao.inference.ledger import ChainLedger
    from sahara_dao.inference.store import register_model

    with connect(network):
        ledger = ChainLedger(meter_account=None)
        content_hash = ledger.content_hash(asset_id)
        with session_scope() as session:
            row = register_model(session, models_dir=get_settings().data_dir / "models", source=model_file,
                                 chain_id=ledger.chain_id, asset_id=asset_id, content_hash=content_hash,
                                 registered_at=int(time.time()))  # fmt: skip
    click.echo(f"asset {asset_id} on chain {ledger.chain_id}: model {row.sha256} stored at {row.path}")


def _prices(values: tuple[str, ...]) -> dict[int, int]:
    prices = {}
    for value in values:
        asset, _, amount = value.partition("=")
        if not (asset.isdigit() and amount.isdigit()):
            raise click.BadParameter(f"{value!r}: write ASSET_ID=BASE_UNITS, integers (no decimals)", param_hint="--price")
        prices[int(asset)] = int(amount)
    return prices


@infer.command()
@NETWORK
@click.option("--requests", "requests_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL of requests to take in first (offline runs); each request_id is taken once.")  # fmt: skip
@click.option("--max-batch", type=click.IntRange(min=1),
              help="Rows (or texts) per batch at most [default: SAHARA_INFERENCE_MAX_BATCH_ROWS, 64].")
@click.option("--max-batch-bytes", type=click.IntRange(min=1),
              help="Estimated tensor bytes of one batch at most; a request over it alone fails "
                   "[default: SAHARA_INFERENCE_MAX_BATCH_BYTES, 256 MiB].")
@click.option("--price", "prices", multiple=True, metavar="ASSET=BASE_UNITS",
              help="Pay-per-use price per unit of an asset in base units, over the price file "
                   "(SAHARA_INFERENCE_PRICES_FILE, default inference/prices.yaml); repeatable.")  # fmt: skip
@click.option("--meter-account", default="dev:9", show_default=True,
              help="Account holding METER_ROLE that charges API quotas (dev:N on local chains, else an Ape alias).")  # fmt: skip
def run(network: str, requests_file: Path | None, max_batch: int | None, max_batch_bytes: int | None,
        prices: tuple[str, ...], meter_account: str) -> None:
    """Run every pending inference request of the chain.

    Requests from accounts without a valid license (none, expired, quota exhausted) are rejected
    with the reason; malformed ones fail alone. Batches are bounded by rows and by memory. API
    licenses are charged with one consumeMany, every request that ran is metered once with its unit
    price (rerunning after a crash repeats nothing)."""
    from sahara_dao.core.accounts import load_account
    from sahara_dao.core.chain import connect, is_local
    from sahara_dao.core.db import session_scope
    from sahara_dao.inference.ledger import ChainLedger
    from sahara_dao.inference.models import PENDING, InferenceRequest
    from sahara_dao.inference.providers import default_providers
    from sahara_dao.inference.requests import read_jsonl, submit_requests
    from sahara_dao.inference.runner import run_pending
    from sahara_dao.inference.sinks import load_usage_sinks

    price_map = _prices(prices)
    if requests_file:
        with session_scope() as session:
            taken = submit_requests(session, read_jsonl(requests_file), submitted_at=int(time.time()))
        invalid = ", ".join(f"{n} {reason}" for reason, n in taken.invalid.items()) or "none"
        click.echo(f"taken in: {taken.stored} new, {taken.duplicates} already known, rejected: {invalid}"
                   + (" (kept with the reason: sahara infer rejected)" if taken.invalid else ""))  # fmt: skip
    with connect(network):
        ledger = ChainLedger(load_account(meter_account, local=is_local(network)))
        with session_scope() as session:
            pending = session.exec(select(func.count()).select_from(InferenceRequest).where(
                InferenceRequest.chain_id == ledger.chain_id, InferenceRequest.status == PENDING)).one()  # fmt: skip
        with click.progressbar(length=pending, label="inference", show_pos=True) as bar:
            summary = run_pending(ledger=ledger, providers=default_providers(), prices=price_map,
                                  sinks=load_usage_sinks(), max_batch=max_batch, max_batch_bytes=max_batch_bytes,
                                  progress=bar.update)  # fmt: skip
    rejected = ", ".join(f"{n} {reason}" for reason, n in sorted(summary.rejected.items())) or "none"
    failed = ", ".join(f"{n} {reason}" for reason, n in sorted(summary.failed.items())) or "none"
    click.echo(
        f"requests {summary.requests}, ran {summary.ran} in {summary.batches} batches ({summary.rows} units, "
        f"{summary.memory_splits} split for memory), "
        f"metered {summary.metered}, API calls charged {summary.quota_calls}\n"
        f"rejected: {rejected}\nfailed: {failed}\n"
        f"throughput {summary.throughput:,.0f} requests/s over {summary.seconds:.2f} s; "
        f"provider {', '.join(sorted(summary.providers)) or 'none (nothing ran)'}"
    )


@infer.command()
@click.option("--chain-id", type=int, help="Only records that name this chain id.")
@click.option("--export", "export_file", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="Write the held records to this JSONL file, each with its rejected_key and reason, to correct.")  # fmt: skip
def rejected(chain_id: int | None, export_file: Path | None) -> None:
    """List the request records refused at intake, by reason.

    A record without a usable request_id, chain_id, asset_id or account cannot be metered, so it is
    held here instead of being run. Correct the records (--export writes them out) and take them in
    again with `sahara infer run --requests FILE`: a corrected record with the same request_id or
    rejected_key clears its rejection."""
    import json

    from sahara_dao.core.db import session_scope
    from sahara_dao.inference.requests import rejected_by_reason, rejected_records

    with session_scope() as session:
        counts = rejected_by_reason(session, chain_id=chain_id)
        records = rejected_records(session, chain_id=chain_id) if export_file else []
    if not counts:
        click.echo("no request record is held as rejected")
        return
    for reason, count in sorted(counts.items()):
        click.echo(f"{count:>8}  {reason}")
    if export_file:
        export_file.write_text("".join(json.dumps(record) + "\n" for record in records))
        click.echo(f"{len(records)} records written to {export_file}: correct them, then "
                   f"sahara infer run --requests {export_file}")  # fmt: skip
