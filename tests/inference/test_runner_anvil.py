"""The batch runner on a real anvil chain: the license gate, quota charged with consumeMany, usage
metered exactly once through the token intake across crashes, malformed requests failing alone."""

import hashlib
from collections import Counter

import pytest
from anvil_chain import (
    API,
    BUYER,
    DURATION,
    MODEL,
    NETWORK,
    OPERATOR,
    PERPETUAL,
    TRAINER,
    deployed_chain,
    dev,
)
from sqlmodel import select

from sahara_dao.core.chain import connect
from sahara_dao.core.db import session_scope
from sahara_dao.core.indexer import index_network
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT
from sahara_dao.inference.engine import load_model
from sahara_dao.inference.errors import ModelRefused
from sahara_dao.inference.ledger import ChainLedger
from sahara_dao.inference.models import InferenceBatch, InferenceRequest, QuotaCharge
from sahara_dao.inference.providers import CPU, default_providers
from sahara_dao.inference.requests import submit_requests
from sahara_dao.inference.runner import run_pending
from sahara_dao.inference.sinks import load_usage_sinks
from sahara_dao.inference.store import file_sha256, register_model
from sahara_dao.token.models import UsageEvent

CHAIN_ID = 31974
PRICE = 3 * UNIT // 1000  # base units per scored row
ROW = [0.92, 11.0, 0.85, 0.04]
pytestmark = pytest.mark.anvil
HOLDER, LAPSED, METERED_API, STRANGER = 2, 3, 7, 8  # perpetual, expired duration, API quota 6, none
MINILM = get_settings().inference_text_model  # make models-minilm


@pytest.fixture(scope="module")
def model_chain(tmp_path_factory, genesis, params, quality_model):
    """A chain with the model registered under its file's sha256 and licenses of every kind sold."""
    digest = hashlib.sha256(quality_model.read_bytes()).digest()
    with deployed_chain(tmp_path_factory.mktemp("inference"), CHAIN_ID, genesis, params) as chain:
        with chain.economy() as economy:
            receipt = economy.registry.register(MODEL, digest, "ipfs://tests/quality",
                                                [(dev(5).address, 10_000, TRAINER)], [], sender=dev(5))  # fmt: skip
            model = receipt.events.filter(economy.registry.AssetRegistered)[0].assetId
            other, _ = economy.register(5, MODEL, "other", [(5, 10_000, TRAINER)])
            for account in (LAPSED, METERED_API):
                economy.token.transfer(dev(account).address, 1_000 * UNIT, sender=dev(BUYER))
            economy.buy(economy.offer(5, model, PERPETUAL, 0, 0, 10 * UNIT), HOLDER)
            economy.buy(economy.offer(5, model, DURATION, 100, 0, 5 * UNIT), LAPSED)
            api_license, _ = economy.buy(economy.offer(5, model, API, 0, 6, 1 * UNIT), METERED_API)
            embedder = None
            if MINILM.exists():  # make models-minilm: the text model as an asset too, licensed to HOLDER
                receipt = economy.registry.register(MODEL, bytes.fromhex(file_sha256(MINILM)[2:]), "ipfs://tests/minilm",
                                                    [(dev(5).address, 10_000, TRAINER)], [], sender=dev(5))  # fmt: skip
                embedder = receipt.events.filter(economy.registry.AssetRegistered)[0].assetId
                economy.buy(economy.offer(5, embedder, PERPETUAL, 0, 0, 10 * UNIT), HOLDER)
            economy.chain.mine(deltatime=200)  # the duration license lapses
            facts = {"model": model, "other": other, "api": api_license, "embedder": embedder,
                     "snapshot": economy.snapshot()}  # fmt: skip
        yield chain, facts


@pytest.fixture
def ready(model_chain, db_url, settings_env, quality_model, tmp_path):
    """The chain at its snapshot, indexed into a fresh database, the model registered in the store."""
    chain, facts = model_chain
    settings_env(**chain.env())
    with chain.economy() as economy:
        economy.revert(facts["snapshot"])
        facts["snapshot"] = economy.snapshot()
    index_network(NETWORK)
    with connect(NETWORK), session_scope() as session:
        register_model(session, models_dir=tmp_path / "models", source=quality_model, chain_id=CHAIN_ID,
                       asset_id=facts["model"], content_hash=ChainLedger(dev(OPERATOR)).content_hash(facts["model"]),
                       registered_at=0)  # fmt: skip
    return chain, facts


def submit(facts, account: int, count: int, tag: str, inputs=None) -> None:
    records = [{"request_id": f"{tag}{n}", "chain_id": CHAIN_ID, "asset_id": facts["model"],
                "account": dev(account).address, "inputs": inputs or {"features": [ROW]}} for n in range(count)]  # fmt: skip
    with session_scope() as session:
        submit_requests(session, records, submitted_at=1)


def run(facts, sinks=None, ledger_type=ChainLedger, max_batch=4, prices=None, **limits):
    with connect(NETWORK):
        return run_pending(ledger=ledger_type(dev(OPERATOR)), providers=default_providers(),
                           prices=prices if prices is not None else {facts["model"]: PRICE},
                           sinks=sinks or load_usage_sinks(), max_batch=max_batch, **limits)  # fmt: skip


def quota_used(facts) -> int:
    with connect(NETWORK):
        return ChainLedger(dev(OPERATOR)).used(facts["api"])


def statuses() -> Counter:
    with session_scope() as session:
        return Counter(r.status for r in session.exec(select(InferenceRequest)))


def test_the_license_gate_rejects_by_reason_and_charges_quota_once(ready):
    """No license, an expired duration license and an exhausted API quota are rejected with their
    reason and not run; the licensed requests run in bounded batches, the API quota is charged with
    one consumeMany, and each run request is metered once with its price and license."""
    chain, facts = ready
    submit(facts, HOLDER, 5, "h")
    submit(facts, LAPSED, 2, "l")
    submit(facts, METERED_API, 8, "a")
    submit(facts, STRANGER, 1, "s")
    summary = run(facts)
    assert summary.rejected == {"no license": 1, "license expired": 2, "quota exhausted": 2}
    assert (summary.requests, summary.ran, summary.metered, summary.quota_calls) == (16, 11, 11, 6)
    assert summary.batches == 3 and summary.providers == {CPU}  # 11 one-row requests, 4 rows a batch
    assert quota_used(facts) == 6
    with session_scope() as session:
        usage = {u.request_id: u for u in session.exec(select(UsageEvent))}
        rejected = session.exec(select(InferenceRequest).where(InferenceRequest.request_id == "s0")).one()
        assert rejected.status == "rejected" and rejected.result is None
        assert {b.provider for b in session.exec(select(InferenceBatch))} == {CPU}
    assert sorted(usage) == sorted([f"h{n}" for n in range(5)] + [f"a{n}" for n in range(6)])
    assert usage["h0"].amount == PRICE and usage["a0"].amount == 0 and usage["a0"].license_id == facts["api"]
    with session_scope() as session:
        priced = {r.request_id: r.unit_price for r in session.exec(select(InferenceRequest))}
    assert priced["h0"] == priced["a0"] == PRICE  # recorded under an API license too (paid by quota)
    again = run(facts)
    assert (again.requests, again.metered, again.quota_calls) == (0, 0, 0)
    assert quota_used(facts) == 6


def test_a_crash_after_consume_many_and_in_the_sink_meters_nothing_twice(ready):
    """The operator's consumeMany lands but the run dies before recording it; the next run dies in
    the usage sink. The third run charges no call twice and meters every request exactly once."""
    chain, facts = ready
    submit(facts, METERED_API, 4, "a")
    submit(facts, HOLDER, 3, "h")

    class CrashAfterSending(ChainLedger):
        def consume_many(self, license_ids, calls):
            super().consume_many(license_ids, calls)
            raise RuntimeError("operator died after sending consumeMany")

    with pytest.raises(RuntimeError, match="after sending"):
        run(facts, ledger_type=CrashAfterSending)
    assert quota_used(facts) == 4 and statuses() == {"ran": 7}

    def dying_sink(session, records, *, received_at):
        for sink in load_usage_sinks():
            sink(session, records, received_at=received_at)
        raise RuntimeError("meter died in the sink")

    with pytest.raises(RuntimeError, match="in the sink"):
        run(facts, sinks=[dying_sink])
    assert quota_used(facts) == 4 and statuses() == {"ran": 7}
    summary = run(facts)
    assert (summary.requests, summary.metered, summary.quota_calls) == (0, 7, 0)
    assert quota_used(facts) == 4 and statuses() == {"metered": 7}
    with session_scope() as session:
        assert len(session.exec(select(UsageEvent)).all()) == 7
        charges = session.exec(select(QuotaCharge)).all()
        assert [(c.calls, c.status) for c in charges] == [(4, "sent")]


def test_malformed_requests_fail_alone(ready):
    """A missing input, a wrong shape and a wrong dtype fail with their reason; the rest of the batch
    runs, with the same predictions one by one and batched."""
    chain, facts = ready
    submit(facts, HOLDER, 3, "ok", {"features": [ROW, [0.4, 2.0, 0.3, 0.5]]})
    submit(facts, HOLDER, 1, "missing", {"rows": [ROW]})
    submit(facts, HOLDER, 1, "shape", {"features": [ROW[:3]]})
    submit(facts, HOLDER, 1, "dtype", {"features": [[0.9, "fast", 0.8, 0.1]]})
    summary = run(facts, max_batch=64)
    assert summary.failed == {"missing input 'features'": 1, "wrong shape": 1, "wrong dtype": 1}
    assert (summary.ran, summary.metered, summary.batches) == (3, 3, 1)
    with session_scope() as session:
        rows = {r.request_id: r for r in session.exec(select(InferenceRequest))}
        usage = {u.request_id: u.units for u in session.exec(select(UsageEvent))}
    assert rows["shape0"].reason.startswith("wrong shape") and rows["shape0"].status == "failed"
    assert usage == {"ok0": 2, "ok1": 2, "ok2": 2}
    predictions = rows["ok0"].result["predictions"]
    assert [p["label"] for p in predictions] == [1, 0]
    assert rows["ok1"].result == rows["ok0"].result


def test_a_model_file_that_is_not_the_asset_is_refused(ready, quality_model, tmp_path):
    """An asset registered with another contentHash does not get this model file."""
    chain, facts = ready
    with connect(NETWORK), session_scope() as session:
        on_chain = ChainLedger(dev(OPERATOR)).content_hash(facts["other"])
        with pytest.raises(ModelRefused, match=f"asset {facts['other']} on chain {CHAIN_ID}"):
            register_model(session, models_dir=tmp_path, source=quality_model, chain_id=CHAIN_ID,
                           asset_id=facts["other"], content_hash=on_chain, registered_at=0)  # fmt: skip


def test_sahara_infer_run_takes_a_jsonl_file_and_prints_a_summary(ready, tmp_path):
    """`sahara infer run --requests FILE` takes the requests in once, runs them with a progress bar
    and prints requests, batches, rejections by reason, throughput and provider; a rerun does nothing."""
    import json

    from click.testing import CliRunner

    from sahara_dao.core.cli import cli

    chain, facts = ready
    lines = [{"request_id": f"c{n}", "chain_id": CHAIN_ID, "asset_id": facts["model"], "account": dev(account).address,
              "inputs": {"features": [ROW]}} for n, account in enumerate([HOLDER, HOLDER, STRANGER])]  # fmt: skip
    lines.append({"request_id": "c-bad", "chain_id": CHAIN_ID, "asset_id": facts["model"], "inputs": {}})
    requests = tmp_path / "requests.jsonl"
    requests.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    args = ["infer", "run", "--network", NETWORK, "--requests", str(requests), "--price", f"{facts['model']}={PRICE}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "taken in: 3 new, 0 already known, rejected: 1 missing account (kept with the reason" in result.output
    held = CliRunner().invoke(cli, ["infer", "rejected", "--export", str(tmp_path / "held.jsonl")])
    assert "1  missing account" in held.output and "1 records written" in held.output
    assert json.loads((tmp_path / "held.jsonl").read_text())["rejected_key"] == "c-bad"
    assert "requests 3, ran 2 in 1 batches (2 units, 0 split for memory), metered 2" in result.output
    assert "rejected: 1 no license" in result.output and f"provider {CPU}" in result.output
    again = CliRunner().invoke(cli, args)
    assert "taken in: 0 new, 3 already known" in again.output and "requests 0, ran 0" in again.output
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(json.dumps(lines[-1] | {"account": dev(HOLDER).address}) + "\n")
    CliRunner().invoke(cli, ["infer", "run", "--network", NETWORK, "--requests", str(fixed)])
    assert "no request record is held" in CliRunner().invoke(cli, ["infer", "rejected"]).output


def test_batches_are_bounded_by_memory_and_priced_from_the_configuration(ready, quality_model, tmp_path, settings_env):
    """With room for 4 rows' tensors a call, 6 one-row requests run as 4 + 2 and a 40-row request
    fails alone as too large; with no price given, the configured price of the model file applies
    and goes with each usage record."""
    chain, facts = ready
    prices = tmp_path / "prices.yaml"
    prices.write_text("models:\n  labeling-quality: 777\n")
    settings_env(SAHARA_INFERENCE_PRICES_FILE=str(prices))
    submit(facts, HOLDER, 6, "h")
    submit(facts, HOLDER, 1, "big", {"features": [ROW] * 40})
    bytes_per_row = load_model(str(quality_model), file_sha256(quality_model), (CPU,)).bytes_per_row
    records = []

    def keeping_sink(session, batch, *, received_at):
        records.extend(batch)
        for sink in load_usage_sinks():
            sink(session, batch, received_at=received_at)

    summary = run(facts, sinks=[keeping_sink], max_batch=64, prices={}, max_batch_bytes=4 * bytes_per_row)
    assert (summary.ran, summary.batches, summary.memory_splits) == (6, 2, 1)
    assert summary.failed == {"too large": 1}
    with session_scope() as session:
        big = session.exec(select(InferenceRequest).where(InferenceRequest.request_id == "big0")).one()
        sizes = sorted(b.rows for b in session.exec(select(InferenceBatch)))
        usage = {u.request_id: u.amount for u in session.exec(select(UsageEvent))}
    assert big.status == "failed" and "SAHARA_INFERENCE_MAX_BATCH_BYTES" in big.reason
    assert sizes == [2, 4]
    assert usage == {f"h{n}": 777 for n in range(6)}
    assert {(r["unit_price"], r["amount"]) for r in records} == {(777, 777)}


@pytest.mark.skipif(not MINILM.exists(), reason=f"{MINILM} not built (make models-minilm)")
def test_text_requests_run_on_the_embedding_model_metered_per_text(ready, tmp_path):
    """Requests of 1 to 3 texts to the MiniLM asset run in padded batches; each is metered in texts
    at the model's configured price, and its result holds one 384-number embedding per text."""
    chain, facts = ready
    with connect(NETWORK), session_scope() as session:
        register_model(session, models_dir=tmp_path / "models", source=MINILM, chain_id=CHAIN_ID,
                       asset_id=facts["embedder"], registered_at=0,
                       content_hash=ChainLedger(dev(OPERATOR)).content_hash(facts["embedder"]))  # fmt: skip
    texts = [["Draw a box around every stop sign."], ["Is this reply polite?", "Rate it."],
             ["One", "two", "three words in a much longer text than the others here"]]  # fmt: skip
    records = [{"request_id": f"t{n}", "chain_id": CHAIN_ID, "asset_id": facts["embedder"],
                "account": dev(HOLDER).address, "inputs": {"texts": batch}} for n, batch in enumerate(texts)]  # fmt: skip
    records.append(records[0] | {"request_id": "t-bad", "inputs": {"features": [ROW]}})
    with session_scope() as session:
        submit_requests(session, records, submitted_at=1)
    summary = run(facts, prices={facts["embedder"]: 5}, max_batch=64)
    assert (summary.ran, summary.batches, summary.rows) == (3, 1, 6)
    assert summary.failed == {"missing input 'texts'": 1}
    with session_scope() as session:
        rows = {r.request_id: r for r in session.exec(select(InferenceRequest))}
        usage = {u.request_id: (u.units, u.amount) for u in session.exec(select(UsageEvent))}
    assert usage == {"t0": (1, 5), "t1": (2, 10), "t2": (3, 15)}
    vectors = rows["t2"].result["embeddings"]
    assert len(vectors) == 3 and {len(v) for v in vectors} == {384}
