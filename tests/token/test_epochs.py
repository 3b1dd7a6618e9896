"""Epoch computation from the database: exact sums, lineage, cumulative balances, verifiable files."""

import json
import random
from collections import defaultdict

import pytest
from conftest import ANA, BO, CHAIN_ID, CY, TREASURY
from sqlmodel import select

from sahara_dao.token.epochs import (
    SettlementError,
    compute,
    epoch_of_window,
    epoch_window,
    gather_inputs,
    record,
    verify_epoch_file,
    write_epoch_file,
)
from sahara_dao.token.intake import ingest_usage
from sahara_dao.token.models import SettlementLine

WEEK = 7 * 86_400


def _economy(seed):
    """A dataset (three contributors), a model trained on it (20% upstream), an agent on the model (10%)."""
    seed.asset(1, [(ANA, 4000), (BO, 3500), (CY, 2500)])
    seed.asset(2, [(BO, 10_000)], upstream=[(1, 2000)])
    seed.asset(3, [(CY, 10_000)], upstream=[(2, 1000)])


def _usage(n: int, asset_id: int, amount, at: int) -> dict:
    return {"request_id": f"u{n}", "chain_id": CHAIN_ID, "asset_id": asset_id, "account": ANA,
            "units": 1, "amount": amount, "occurred_at": at}  # fmt: skip


def _inputs(session, epoch, start, end, **kw):
    return gather_inputs(session, chain_id=CHAIN_ID, epoch=epoch, start=start, end=end, fee_bps=500,
                         treasury=TREASURY, quarantined=0, **kw)  # fmt: skip


def test_the_schedule_maps_epochs_to_windows_and_back(settings_env):
    """Epoch n is the n-th window from the origin; an unaligned window needs an explicit epoch."""
    settings_env(SAHARA_EPOCH_ORIGIN="1000", SAHARA_EPOCH_SECONDS="100")
    assert epoch_window(1) == (1000, 1100) and epoch_window(3) == (1200, 1300)
    assert epoch_of_window(1200, 1300) == 3
    with pytest.raises(SettlementError, match="not an epoch of the schedule"):
        epoch_of_window(1250, 1350)


def test_an_epoch_reads_only_its_half_open_window(seed):
    """Revenue at the window's end belongs to the next epoch; license fees and usage both count."""
    session = seed.session
    _economy(seed)
    seed.license_fee(1, 1000, at=10)
    seed.license_fee(2, 500, at=99)
    seed.license_fee(3, 7777, at=100)  # next window
    ingest_usage(session, [_usage(1, 3, 100, 50), _usage(2, 3, 0, 60), _usage(3, 1, 5, 100)], received_at=0)
    inputs = _inputs(session, 1, 0, 100)
    assert inputs.license_revenue == {1: 1000, 2: 500}
    assert inputs.usage_revenue == {3: 100}
    assert (inputs.license_count, inputs.usage_count) == (2, 2)
    assert inputs.revenue == {1: 1000, 2: 500, 3: 100}
    split = compute(inputs).split
    assert split.total == 1600 and split.protocol_fee == 80
    assert split.upstream_flows == {(3, 2): 9, (2, 1): 96}


def test_cumulative_balances_carry_over_and_the_file_recomputes_the_root(seed, tmp_path):
    """Epoch 2's leaves are epoch 1's balances plus what epoch 2 earned; its file alone gives its root."""
    session = seed.session
    _economy(seed)
    seed.license_fee(1, 10**21, at=10)
    first = compute(_inputs(session, 1, 0, 100))
    record(session, first, write_epoch_file(tmp_path / "e1.json", first))
    seed.license_fee(3, 3 * 10**20 + 1, at=150)
    second = compute(_inputs(session, 2, 100, 200))
    path = write_epoch_file(tmp_path / "e2.json", second)
    record(session, second, path)
    for account, cumulative in second.claims.balances.items():
        assert cumulative == first.claims.balances.get(account, 0) + second.earned.get(account, 0)
    assert second.claims.total == 10**21 + 3 * 10**20 + 1  # every base unit is in a leaf
    lines = session.exec(select(SettlementLine).where(SettlementLine.epoch == 2)).all()
    assert {line.account: line.cumulative for line in lines} == second.claims.balances
    check = verify_epoch_file(path)
    assert check.ok and check.root == second.claims.root


def test_a_tampered_epoch_file_fails_verification(seed, tmp_path):
    """Changing an input (or a balance) makes the recomputed root differ from the recorded one."""
    _economy(seed)
    seed.license_fee(2, 12345, at=10)
    path = write_epoch_file(tmp_path / "e.json", compute(_inputs(seed.session, 1, 0, 100)))
    document = json.loads(path.read_text())
    document["inputs"]["license_revenue"]["2"] = "12346"
    path.write_text(json.dumps(document))
    check = verify_epoch_file(path)
    assert not check.ok and any("recorded root" in p for p in check.problems)


def test_sums_stay_exact_beyond_64_bits(seed):
    """Usage amounts too large for SQLite's integers are summed exactly (in 64-bit limbs on SQLite)."""
    session = seed.session
    _economy(seed)
    big = 2**200 + 12345
    ingest_usage(session, [_usage(1, 1, str(big), 5), _usage(2, 1, str(big), 6), _usage(3, 2, 9 * 10**18, 7),
                           _usage(4, 2, 9 * 10**18, 8)], received_at=0)  # fmt: skip
    inputs = _inputs(session, 1, 0, 100)
    assert inputs.usage_revenue == {1: 2 * big, 2: 18 * 10**18}  # 18e18 overflows a signed 64-bit sum


def test_sums_are_exact_for_amounts_of_any_length(seed):
    """Many amounts per asset, of 18 digits (whose 64-bit sum overflows) or of 1 to 78 digits, sum exactly."""
    session = seed.session
    _economy(seed)
    rng = random.Random(3)
    records, expected = [], [defaultdict(int), defaultdict(int)]
    for n in range(300):
        window = n % 2  # window 0: 18-digit amounts only; window 1: any length up to 2**256 - 1
        digits = 18 if window == 0 else rng.randint(1, 78)
        amount = 2**256 - 1 if digits == 78 else rng.randrange(10 ** (digits - 1), 10**digits)
        asset_id = rng.choice((1, 2, 3))
        expected[window][asset_id] += amount
        records.append(_usage(n, asset_id, str(amount), 100 * window + n % 100))
    ingest_usage(session, records, received_at=0)
    for window in (0, 1):
        inputs = _inputs(session, 1 + window, 100 * window, 100 * window + 100)
        assert inputs.usage_revenue == expected[window] and inputs.usage_count == 150


def test_an_epoch_without_any_revenue_has_nothing_to_publish(seed):
    """No revenue ever on the chain: a clear error instead of an empty tree."""
    _economy(seed)
    with pytest.raises(SettlementError, match="nothing to publish"):
        compute(_inputs(seed.session, 1, 0, 100))
