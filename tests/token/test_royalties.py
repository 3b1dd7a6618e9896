"""Royalty splits are exact, deterministic and follow lineage upstream."""

import random

import pytest

from sahara_dao.token.royalties import AssetShares, RoyaltyError, largest_remainder, split_revenue

TREASURY = "treasury"


def test_largest_remainder_sums_exactly_and_breaks_ties_by_order():
    """10 split three ways equally gives 4, 3, 3; the parts always sum to the whole."""
    assert largest_remainder(10, [("a", 1), ("b", 1), ("c", 1)]) == {"a": 4, "b": 3, "c": 3}
    assert largest_remainder(100, [("a", 3333), ("b", 3333), ("c", 3334)]) == {"a": 33, "b": 33, "c": 34}
    rng = random.Random(7)
    for _ in range(500):
        weights = [(i, rng.randrange(0, 10_000)) for i in range(rng.randrange(1, 8))]
        if not sum(w for _, w in weights):
            continue
        total = rng.randrange(0, 10**24)
        parts = largest_remainder(total, weights)
        assert sum(parts.values()) == total
        for key, weight in weights:
            exact = total * weight / sum(w for _, w in weights)
            assert abs(parts[key] - exact) < 1.0000001


def test_a_model_trained_on_a_dataset_pays_the_dataset_contributors():
    """Agent -> model -> dataset: each pays its upstream share of what it received, recursively."""
    assets = {
        1: AssetShares(1, (("ana", 4000), ("bo", 3500), ("cy", 2500))),  # dataset
        2: AssetShares(2, (("bo", 10_000),), ((1, 2000),)),  # model, 20% to the dataset
        3: AssetShares(3, (("cy", 10_000),), ((2, 1000),)),  # agent, 10% to the model
    }
    split = split_revenue({1: 1000, 2: 500, 3: 100}, assets, fee_bps=500, treasury=TREASURY)
    # fees: 50 + 25 + 5 = 80; agent keeps 95 - 9 = 86 (flow 9 to the model)
    # model: 475 + 9 = 484 -> 96 to the dataset, keeps 388; dataset: 950 + 96 = 1046
    assert split.protocol_fee == 80
    assert split.upstream_flows == {(3, 2): 9, (2, 1): 96}
    assert split.retained == {3: 86, 2: 388, 1: 1046}
    assert split.payouts == {TREASURY: 80, "cy": 86 + 262, "bo": 388 + 366, "ana": 418}
    assert split.total == 1600


def test_splits_of_random_graphs_conserve_every_unit():
    """On random acyclic lineages the payouts always sum exactly to the revenue."""
    rng = random.Random(11)
    for _ in range(200):
        count = rng.randrange(1, 12)
        assets = {}
        for asset_id in range(count):
            people = rng.sample(range(20), rng.randrange(1, 5))
            shares = largest_remainder(10_000, [(p, rng.randrange(1, 100)) for p in people])
            ups = rng.sample(range(asset_id), min(asset_id, rng.randrange(0, 3)))
            upstream = tuple((u, rng.randrange(0, 3000)) for u in ups)
            assets[asset_id] = AssetShares(asset_id, tuple((f"acct{p}", s) for p, s in shares.items()), upstream)
        revenue = {a: rng.randrange(0, 10**21) for a in assets if rng.random() < 0.7}
        split = split_revenue(revenue, assets, fee_bps=rng.randrange(0, 2000), treasury=TREASURY)
        assert split.total == sum(revenue.values())
        again = split_revenue(revenue, assets, fee_bps=0, treasury=TREASURY)
        assert again.total == sum(revenue.values())


@pytest.mark.parametrize(
    ("assets", "revenue", "message"),
    [
        ({1: AssetShares(1, (("a", 9000),))}, {1: 1}, "sum to 9000 bps"),
        ({1: AssetShares(1, (("a", 10_000),))}, {2: 1}, "unknown asset 2"),
        ({1: AssetShares(1, (("a", 10_000),), ((9, 100),))}, {1: 1}, "unknown asset 9"),
        ({1: AssetShares(1, (("a", 10_000),))}, {1: -5}, "non-negative integer"),
        (
            {1: AssetShares(1, (("a", 10_000),), ((2, 100),)), 2: AssetShares(2, (("b", 10_000),), ((1, 100),))},
            {1: 10},
            "cycle through assets \\[1, 2\\]",
        ),
    ],
)
def test_inconsistent_inputs_are_refused(assets, revenue, message):
    """Shares not summing, unknown assets, negative revenue and cycles are refused with the cause."""
    with pytest.raises(RoyaltyError, match=message):
        split_revenue(revenue, assets, fee_bps=0, treasury=TREASURY)
