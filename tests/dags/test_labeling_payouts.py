"""labeling_payouts end to end with dag.test(): a run that fails halfway (the payer runs dry after
the first batch) and its retry pay every labeler exactly once; the failure raises one alert."""

import calendar
from datetime import date

from conftest import run_dag

BATCH_PAID = "0xcff8d31661efd2cc04997b3544dc298f6fef40780244911bb7ad631252dcc3ec"
EACH = 55 * 10**18  # 100 items x 0.5 SAHARA x 110% (every trap question right)


def _day_end(period: str) -> int:
    return calendar.timegm(date.fromisoformat(period).timetuple()) + 86_400


def test_a_retried_failure_pays_nobody_twice(airflow_db, dagbag, chains):
    """Two batches of two labelers; the payer holds only the first batch's 110 SAHARA: the run pays
    batch 0 and fails. Funded, the retry pays batch 1 only; a third run sends nothing."""
    period = chains["ethereum"]["labeling_period"]
    labelers = [address for (address,) in chains.query(
        "SELECT labeler FROM labeling_result r JOIN labeling_task t ON r.task_key = t.task_key WHERE t.chain_id = ?",
        chains["ethereum"]["chain_id"])]  # fmt: skip
    assert len(labelers) == 4
    before = {a: chains.erc20_balance("ethereum", a) for a in labelers}
    chains.app("fund", "ethereum", "110")
    conf = {"chain": "ethereum"}

    failed, tasks = run_dag(dagbag, "labeling_payouts", _day_end(period), conf)
    assert failed.state == "failed"
    assert tasks[("plan_payouts", 0)].state == "success" and tasks[("pay_batches", 0)].state == "failed"
    states = {task_id: ti.state for (task_id, _), ti in tasks.items()}
    assert states["reconcile_payouts"] == "upstream_failed" and len(tasks) == 4  # one chain mapped
    assert len(chains.logs("ethereum", "payouts", BATCH_PAID)) == 1
    paid = {a: chains.erc20_balance("ethereum", a) - before[a] for a in labelers}
    assert sorted(paid.values()) == [0, 0, EACH, EACH]
    assert chains.query("SELECT batch_index, status FROM payout_batch WHERE period = ? AND chain_id = ? ORDER BY 1",
                        period, chains["ethereum"]["chain_id"]) == [(0, "paid"), (1, "planned")]  # fmt: skip
    alerts = chains.query("SELECT key, source, message FROM alert WHERE source = 'labeling_payouts'")
    assert len(alerts) == 1 and "pay_batches[0]" in alerts[0][0] and "transfer SAHARA to it" in alerts[0][2]

    chains.app("fund", "ethereum", "110")
    retried, tasks = run_dag(dagbag, "labeling_payouts", _day_end(period), conf)
    assert retried.state == "success"
    assert all(ti.state == "success" for ti in tasks.values())
    assert len(chains.logs("ethereum", "payouts", BATCH_PAID)) == 2
    assert {a: chains.erc20_balance("ethereum", a) - before[a] for a in labelers} == dict.fromkeys(labelers, EACH)

    again, _ = run_dag(dagbag, "labeling_payouts", _day_end(period), conf)
    assert again.state == "success"
    assert len(chains.logs("ethereum", "payouts", BATCH_PAID)) == 2
    assert {a: chains.erc20_balance("ethereum", a) - before[a] for a in labelers} == dict.fromkeys(labelers, EACH)
    assert len(chains.query("SELECT key FROM alert WHERE source = 'labeling_payouts'")) == 1
