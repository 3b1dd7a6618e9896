"""Batches bounded by rows and by memory, prices from configuration, rejected request records kept
and cleared by a corrected record."""

from collections import Counter

import numpy as np
import pytest
from eth_utils import to_checksum_address
from sqlmodel import select

from sahara_dao.inference.build_models import TRIAGE_SIGNALS, build_triage_model, synthetic_items
from sahara_dao.inference.engine import load_model
from sahara_dao.inference.errors import PriceError
from sahara_dao.inference.models import InferenceRequest, RejectedRequest
from sahara_dao.inference.prices import PriceBook, load_prices
from sahara_dao.inference.providers import CPU
from sahara_dao.inference.requests import rejected_by_reason, rejected_records, submit_requests
from sahara_dao.inference.runner import RunSummary, _batches
from sahara_dao.inference.store import file_sha256

ACCOUNT = to_checksum_address("0x" + "ab" * 20)


@pytest.fixture(scope="module")
def triage_model(tmp_path_factory):
    """The review-triage network (2 x 2,048 hidden units), built by the project from its synthetic data."""
    return build_triage_model(tmp_path_factory.mktemp("triage"))


def test_the_triage_network_is_heavy_and_learns_its_task(triage_model):
    """About 4.3 million weights; on items it never saw it is right at least 75% of the time, and
    batched results equal one by one."""
    model = load_model(str(triage_model), file_sha256(triage_model), (CPU,))
    assert model.width == TRIAGE_SIGNALS and triage_model.stat().st_size > 16 * 2**20
    assert model.bytes_per_row >= 6 * 2048 * 4  # its hidden activations count in the memory estimate
    signals, review = synthetic_items(2000, seed=99)
    labels, probabilities, _ = model.run(signals)
    assert (labels == review).mean() >= 0.75
    one = np.concatenate([model.run(signals[n:n + 1])[1] for n in range(50)])
    np.testing.assert_allclose(one, probabilities[:50], atol=1e-5)


class Request:
    def __init__(self, request_id):
        self.request_id = request_id


def tabular_items(quality_model, sizes):
    model = load_model(str(quality_model), file_sha256(quality_model), (CPU,))
    return model, [(Request(f"r{n}"), np.zeros((rows, 4), np.float32), model) for n, rows in enumerate(sizes)]


def test_a_batch_is_split_when_the_next_request_would_pass_the_memory_bound(quality_model):
    """Rows would allow one batch of 10 requests; the memory bound allows 4 rows' tensors a batch."""
    model, items = tabular_items(quality_model, [1] * 10)
    assert model.bytes_per_row == 4 * 4 + 8 + 2 * 4  # float32 features in; int64 label, 2 float32 out
    summary = RunSummary()
    batches = list(_batches(items, 64, 4 * model.bytes_per_row, summary))
    assert [len(batch) for batch in batches] == [4, 4, 2]
    assert summary.memory_splits == 2
    summary = RunSummary()
    assert [len(b) for b in _batches(items, 64, 10 * model.bytes_per_row, summary)] == [10]
    assert summary.memory_splits == 0


def test_rows_and_memory_bound_batches_together(quality_model):
    """Row bound 5, memory bound 6 rows: requests of 3, 3, 2, 4 rows go as [3], [3, 2], [4]."""
    model, items = tabular_items(quality_model, [3, 3, 2, 4])
    summary = RunSummary()
    batches = list(_batches(items, 5, 6 * model.bytes_per_row, summary))
    assert [[len(rows) for _, rows, _ in batch] for batch in batches] == [[3], [3, 2], [4]]
    assert summary.memory_splits == 0  # each split came from the row bound


def test_prices_come_from_the_file_by_asset_then_model_then_default(tmp_path):
    """An asset's price on its chain wins over its model's (by name), which wins over the default."""
    path = tmp_path / "prices.yaml"
    path.write_text('default: 7\nmodels:\n  scorer: "300"\nassets:\n  31337:\n    2: 5000000000000000000\n')
    book = load_prices(path)
    assert book.unit_price(chain_id=31337, asset_id=2, model="scorer") == 5 * 10**18
    assert book.unit_price(chain_id=31338, asset_id=2, model="scorer") == 300
    assert book.unit_price(chain_id=31338, asset_id=2, model="other") == 7
    assert book.unit_price(chain_id=31338, asset_id=2, model="") == 7  # a model without a name
    assert book.with_assets(31338, {2: 9}).unit_price(chain_id=31338, asset_id=2, model="scorer") == 9


@pytest.mark.parametrize(("text", "reason"), [
    ("default: 0.5\n", "price of default is 0.5"),
    ("models:\n  scorer: -1\n", "price of model scorer is -1"),
    ("models:\n  '0xab': 1\n", "not by its hash"),
    ("assets:\n  x: {1: 2}\n", "chain id 'x' is not an integer"),
    ("asset: {}\n", "must hold only default, models and assets"),
])  # fmt: skip
def test_a_bad_price_file_says_what_is_wrong(tmp_path, text, reason):
    """Floats, negatives, non-integer ids and unknown keys are refused with the reason."""
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    with pytest.raises(PriceError, match=reason):
        load_prices(path)


def test_the_shipped_price_file_prices_the_projects_models(quality_model):
    """inference/prices.yaml prices the labeling-quality model as built on this machine (by the name
    in its file: a hash in the price file matched only the CPU that built it first)."""
    from sahara_dao.core.settings import get_settings

    book = load_prices(get_settings().inference_prices_file)
    assert isinstance(book, PriceBook) and book.default == 0
    model = load_model(str(quality_model), file_sha256(quality_model), (CPU,))
    assert model.name == "labeling-quality"
    assert book.unit_price(chain_id=31337, asset_id=1, model=model.name) == 10**15
    assert set(book.models) == {"labeling-quality", "review-triage", "minilm-l6"}


def good(request_id: str, **changes) -> dict:
    return {"request_id": request_id, "chain_id": 31337, "asset_id": 2, "account": ACCOUNT,
            "inputs": {"features": [[0.9, 10, 0.8, 0.05]]}} | changes  # fmt: skip


def test_malformed_records_are_kept_with_their_reason_and_cleared_when_corrected(session):
    """Records without a usable request_id, chain_id, asset_id or account are held as rejected with
    the reason (sending one again keeps one row); a corrected record with the same request_id, or
    naming the exported rejected_key, is taken in and clears its rejection."""
    records = [good("ok"), good("no-chain", chain_id=None), good("bad-account", account="0x12"),
               {k: v for k, v in good("x").items() if k != "request_id"}, "not a record",
               good("negative", asset_id=-1)]  # fmt: skip
    report = submit_requests(session, records, submitted_at=10)
    assert report.stored == 1 and sum(report.invalid.values()) == 5
    submit_requests(session, [good("no-chain", chain_id=None)], submitted_at=11)  # sent again
    assert rejected_by_reason(session) == {
        "missing chain_id": 1, "invalid account (not a 20-byte hex address)": 1, "missing request_id": 1,
        "not an object": 1, "invalid asset_id (not a non-negative integer)": 1}  # fmt: skip
    exported = {r["rejected_key"]: r for r in rejected_records(session)}
    assert exported["no-chain"]["rejected_reason"] == "missing chain_id"
    no_id = next(r for key, r in exported.items() if key.startswith("sha256:") and isinstance(r.get("inputs"), dict))
    fixed = [good("no-chain"), good("bad-account"), good("new-id") | {"rejected_key": no_id["rejected_key"]}]
    again = submit_requests(session, fixed, submitted_at=12)
    assert again.stored == 3 and not again.invalid
    assert rejected_by_reason(session) == {"not an object": 1, "invalid asset_id (not a non-negative integer)": 1}
    statuses = Counter(r.status for r in session.exec(select(InferenceRequest)))
    assert statuses == {"pending": 4}
    assert len(session.exec(select(RejectedRequest)).all()) == 2
