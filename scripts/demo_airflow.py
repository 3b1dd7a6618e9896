"""`make demo AIRFLOW=1`: the demo's epoch settled and its labelers paid by the real DAGs, each run
with `airflow dags test` (sahara_dao.core.dag_runs), instead of direct calls. Called from
scripts/demo.py's hook after the markets and the inference batch; the outcome is the same: one root
per chain published once and verified from its epoch file, every contributor's claim, labelers paid
exactly once.

The DAGs settle scheduled epochs (the data interval is the epoch window), so the chains' clocks are
moved to the end of the epoch in which the demo sold its licenses; `make demo AIRFLOW=1` keeps its
own data directory (var/demo-airflow) because the plain demo settles unscheduled windows.
"""

import json

from sqlmodel import select

from sahara_dao.core.accounts import load_account
from sahara_dao.core.chain import connect, next_timestamp
from sahara_dao.core.dag_runs import run_dag_test
from sahara_dao.core.db import session_scope
from sahara_dao.core.errors import SaharaError
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import format_tokens
from sahara_dao.token.epochs import epoch_window, read_epoch_file
from sahara_dao.token.labeling import ingest_labeling, period_of, period_window, upsert_tasks
from sahara_dao.token.models import Epoch, PayoutBatch
from sahara_dao.token.settlement import ROOT_PUBLISHED, ChainContext, claim, claim_proof


def _current_epoch() -> int:
    settings = get_settings()
    return (next_timestamp() - settings.epoch_origin) // settings.epoch_seconds + 1


def settle_and_pay(markets: dict, records: dict, params, say) -> None:
    """Per chain (their clocks differ: the proposal moved ethereum's by days), every epoch from the
    last settled one to the one now running, in order, with the DAG's `chain` Param; then the same
    runs again, which change nothing; then the contributors' claims and the labelers' day."""
    from ape import chain

    networks = {ecosystem: f"{ecosystem}:local:foundry" for ecosystem in markets}
    runs = []
    for ecosystem, network in networks.items():
        with connect(network):
            ctx = ChainContext()
            _, pending_epoch, _, activates_at = ctx.vault.pendingRoot()
            if pending_epoch:  # a chain reloaded before the last root activated: only one root can be pending
                chain.mine(timestamp=max(activates_at, next_timestamp()))
            with session_scope() as session:
                last = session.exec(select(Epoch).where(Epoch.chain_id == ctx.chain_id).order_by(Epoch.epoch.desc())).first()
            current = _current_epoch()
            chain.mine(timestamp=max(epoch_window(current)[1], next_timestamp()))  # the epoch is over
        first = current if last is None else last.epoch + (last.status != "computed")  # a run cut short: finish it
        for number in range(first, current + 1):
            runs.append((ecosystem, number))
    for again in (False, True):
        for ecosystem, number in runs:
            start, end = epoch_window(number)
            if not again:
                say(f"  {ecosystem:9} epoch {number} [{start}, {end}): airflow dags test royalty_settlement "
                    f"(conf chain={ecosystem})")  # fmt: skip
            run_dag_test("royalty_settlement", end, conf=json.dumps({"chain": ecosystem}))
    say("  the same runs again: nothing published twice")
    for ecosystem, number in runs:
        if number == max(n for e, n in runs if e == ecosystem):
            _claims(ecosystem, networks[ecosystem], number, markets[ecosystem], params, say)

    at = max(_chain_time(network) for network in networks.values())
    period = period_of(at)
    say(f"7. labeling payouts of {period}: airflow dags test labeling_payouts (twice)")
    _store_labeling(records, at, period)
    run_dag_test("labeling_payouts", period_window(period)[1])
    run_dag_test("labeling_payouts", period_window(period)[1])
    with session_scope() as session:
        for ecosystem, record in records.items():
            batches = list(session.exec(select(PayoutBatch).where(PayoutBatch.chain_id == record.chain_id,
                                                                  PayoutBatch.period == period)))  # fmt: skip
            paid = [b for b in batches if b.status == "paid"]
            say(f"  {ecosystem:9} {len(paid)} of {len(batches)} batches paid once, "
                f"{format_tokens(sum(b.total for b in paid))} SAHARA to {sum(b.count for b in paid)} labelers")  # fmt: skip
            if len(paid) != len(batches):
                raise SaharaError(f"labelers on {ecosystem} were not all paid")


def _chain_time(network: str) -> int:
    with connect(network):
        return next_timestamp()


def _claims(ecosystem: str, network: str, number: int, market: dict, params, say) -> None:
    from ape import chain

    with connect(network):
        ctx = ChainContext()
        with session_scope() as session:
            row = session.get(Epoch, (ctx.chain_id, number))
        if row is None or row.status != "verified":
            raise SaharaError(f"epoch {number} on {ecosystem} is {row.status if row else 'missing'}, not verified")
        published = ctx.published_root(number)
        logs = ctx.chain.provider.web3.eth.get_logs({"address": ctx.vault.address, "fromBlock": 0, "toBlock": "latest",
                                                     "topics": [ROOT_PUBLISHED, "0x" + number.to_bytes(32, "big").hex()]})  # fmt: skip
        if len(logs) != 1:
            raise SaharaError(f"epoch {number} on {ecosystem} was published {len(logs)} times, not once")
        say(f"  {ecosystem:9} epoch {number}: {format_tokens(row.earned)} SAHARA split, root {row.root} "
            f"published once (tx {published.tx_hash[:12]}…), verified from {row.epoch_file.rsplit('/', 1)[-1]}")  # fmt: skip
        chain.mine(deltatime=params.economy.claim_activation_delay + 1)
        earned = read_epoch_file(row.epoch_file)["outputs"]["earned"]
        paid_total = 0
        for account in earned:
            before = ctx.token.balanceOf(account)
            if claim_proof(ctx, account).claimable:
                claim(ctx, account, load_account("dev:9", local=True))
            paid_total += ctx.token.balanceOf(account) - before
        say(f"  {'':9} {len(earned)} accounts claimed {format_tokens(paid_total)} SAHARA")
        if paid_total != sum(int(v) for v in earned.values()):
            raise SaharaError(f"the claims on {ecosystem} did not pay exactly the epoch's split")


def _store_labeling(records: dict, at: int, period: str) -> None:
    from demo import LABELERS

    with session_scope() as session:
        for record in records.values():
            task = f"{record.chain_id}-{period}-street-signs"
            upsert_tasks(session, [{"task_key": task, "chain_id": record.chain_id, "title": "Label street signs",
                                    "created_at": at}], received_at=at)  # fmt: skip
            ingest_labeling(session, [{"result_key": f"{task}-{dev}", "task_key": task, "items": items,
                                       "labeler": load_account(f"dev:{dev}", local=True).address,
                                       "gold_total": gold, "gold_correct": right, "submitted_at": at}
                                      for dev, (items, gold, right) in LABELERS.items()], received_at=at)  # fmt: skip
