"""``sahara labeling``: ingest labeling tasks and results, pay labelers per UTC day, show a day's status."""

import time
from pathlib import Path

import click

from sahara_dao.core.db import session_scope
from sahara_dao.core.deployments import DeploymentStore
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import format_tokens
from sahara_dao.token.intake import IntakeReport
from sahara_dao.token.labeling import describe, ingest_file, load_labeling_config
from sahara_dao.token.payouts import (
    BatchStatus,
    PayoutError,
    pay_on_network,
    period_status,
    register_deployed_chains,
)

config_option = click.option(
    "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
    help="Labeling parameters (default: token/labeling.yaml or SAHARA_LABELING_FILE).",
)  # fmt: skip
period_option = click.option(
    "--period", required=True, help="The UTC day to pay, YYYY-MM-DD (results submitted in [00:00, 24:00) UTC)."
)


@click.group()
def labeling() -> None:
    """Labeling payouts: ingest tasks and results, pay each labeler per UTC day in batches, show status.

    \b
    A labeler earns, per day and chain: items x rate_per_item x quality factor, where the
    factor comes from their gold-question accuracy (token/labeling.yaml). Payouts go through the
    PayoutBatcher contract in batches whose ids are derived from (chain id, day, index): a batch is
    paid at most once, and `pay` can be rerun after any failure.
    """


@labeling.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def ingest(file: Path) -> None:
    """Store the tasks and results in FILE (JSON lines or JSON); safe to rerun.

    \b
    JSON lines, one record a line, each with "kind": "task" or "result":
      {"kind": "task", "task_key": "t1", "chain_id": 31337, "title": "street signs", "created_at": 1795219200}
      {"kind": "result", "result_key": "r1", "task_key": "t1", "labeler": "0x...", "items": 40,
       "gold_total": 10, "gold_correct": 9, "submitted_at": 1795220000}
    or one JSON document {"tasks": [...], "results": [...]}. A task's chain must have a deployment
    recorded here (sahara deploy) or be known to the database. Results are stored once per
    result_key; refused records (malformed, unknown task, gold_correct > gold_total, a key reused
    with other content) are quarantined with their reason and never paid.
    """
    with session_scope() as session:
        register_deployed_chains(session, DeploymentStore(get_settings().deployments_dir))
        intake = ingest_file(session, file, received_at=int(time.time()))
    _print_intake("tasks", intake.tasks)
    _print_intake("results", intake.results)


def _print_intake(what: str, report: IntakeReport) -> None:
    updated = f", updated {report.updated}" if report.updated else ""
    click.echo(f"{what:8} stored {report.stored}{updated}, duplicates {report.duplicates}, "
               f"quarantined {report.quarantined_total}")  # fmt: skip
    for reason, count in sorted(report.quarantined.items()):
        click.echo(f"{'':9}{count:>6}  {reason}")


@labeling.command()
@click.option("--network", default="ethereum:local:foundry", show_default=True,
              help="Ape network choice ECOSYSTEM:NETWORK:PROVIDER; labelers are paid on this chain.")  # fmt: skip
@period_option
@click.option("--account", default=None,
              help="Ape account alias of the payout operator (holds PAYER_ROLE; `ape accounts import ALIAS`). "
              "On local chains the default is the development account holding the role (dev:9).")  # fmt: skip
@config_option
def pay(network: str, period: str, account: str | None, config_file: Path | None) -> None:
    """Pay the labelers of one UTC day on one chain: plan, send, reconcile.

    \b
    1. plan: the day's payouts are computed and recorded as batches before anything is sent;
       a rerun uses the recorded plan and reports results that changed since (never pays them);
    2. send: each batch not yet paid is first checked on chain (isPaid), so a batch whose
       transaction went through before a crash is recorded, not sent again;
    3. reconcile: every batch's on-chain state and BatchPaid totals are compared with the database.
    Rerun the same command after any failure: nobody is paid twice, nobody is skipped.
    """
    run = pay_on_network(network, period, account=account, config_file=config_file,
                         progress=lambda line: click.echo(f"  {line}"))
    plan, report, check = run.plan, run.report, run.reconciliation
    click.echo(f"labelers paid {plan.labelers}, total {format_tokens(plan.total)} SAHARA; batches: "
               f"{len(plan.batches)} ({len(report.paid)} paid now, {len(report.recovered)} found paid on chain, "
               f"{len(report.skipped)} skipped as already paid)")  # fmt: skip
    if check.ok:
        click.echo(f"reconciled: {check.paid} batches agree with the chain")
    else:
        click.secho(f"reconciliation found {len(check.mismatches)} mismatches:", fg="red")
        for line in check.mismatches:
            click.echo(f"  {line}")
        raise PayoutError(f"reconciliation found {len(check.mismatches)} mismatches (listed above): investigate "
                          "before paying more")


@labeling.command()
@period_option
@config_option
def status(period: str, config_file: Path | None) -> None:
    """Show one UTC day per chain: recorded batches and their state, or what an unplanned day would pay.

    Reads the database only; `pay` reconciles with the chain.
    """
    config = load_labeling_config(config_file or get_settings().labeling_file)
    with session_scope() as session:
        views = period_status(session, period=period, config=config)
    if not views:
        click.echo(f"{period}: no labeling results and no batches")
    for view in views:
        click.echo(f"chain {view.chain_id}, {period}: {describe(view.computed)}")
        if not view.batches:
            click.echo("  not planned yet: run `sahara labeling pay --period ...` on this chain")
            continue
        paid = sum(1 for planned in view.batches if planned.batch.status == BatchStatus.PAID)
        click.echo(f"  {len(view.batches)} batches, {paid} paid")
        for planned in view.batches:
            batch = planned.batch
            click.echo(f"  {batch.batch_index:>4} {batch.batch_id[:18]}  {batch.status:8} {batch.count:>4} labelers "
                       f"{format_tokens(batch.total):>16} SAHARA  {batch.tx_hash or ''}")  # fmt: skip
        for line in view.drift:
            click.echo(f"  changed since planning: {line}")
