"""Royalty splits through asset lineage, in integer base units.

For one settlement window: each asset's revenue pays the protocol fee to the treasury, then flows
upstream along its lineage edges (a model trained on a dataset pays that dataset its share,
recursively: lineage is acyclic), and what stays with an asset goes to its Receipt holders by
their shares in basis points. Every division floors and the remainder is handed out by the
largest-remainder rule with ties broken by order, so each split sums exactly to its whole and the
result is the same on every run.
"""

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

from sahara_dao.token.errors import TokenError

BPS = 10_000


class RoyaltyError(TokenError, ValueError):
    """Inputs of a royalty split are inconsistent (unknown asset, cycle, shares not summing)."""


@dataclass(frozen=True)
class AssetShares:
    """An asset's contributors ``(account, bps)`` summing to 10,000 and its upstream edges ``(asset, bps)``."""

    asset_id: int
    contributors: tuple[tuple[str, int], ...]
    upstream: tuple[tuple[int, int], ...] = ()


def largest_remainder(total: int, weights: Sequence[tuple[Hashable, int]]) -> dict[Hashable, int]:
    """Split ``total`` in proportion to ``weights`` exactly: floors, then one unit each to the largest
    remainders (earlier entries first on ties). Weights are non-negative integers, not all zero."""
    if total < 0:
        raise RoyaltyError(f"cannot split a negative amount {total}")
    weight_sum = sum(weight for _, weight in weights)
    if weight_sum <= 0 or any(weight < 0 for _, weight in weights):
        raise RoyaltyError(f"weights must be non-negative and not all zero: {list(weights)}")
    parts, remainders = {}, []
    for order, (key, weight) in enumerate(weights):
        parts[key], remainder = divmod(total * weight, weight_sum)
        remainders.append((-remainder, order, key))
    left = total - sum(parts.values())
    for _, _, key in sorted(remainders)[:left]:
        parts[key] += 1
    return parts


@dataclass(frozen=True)
class Split:
    """The outcome of one window: what each account earned, and the flows that explain it."""

    payouts: dict[str, int]  # account -> base units (the treasury included)
    protocol_fee: int
    upstream_flows: dict[tuple[int, int], int]  # (from asset, to upstream asset) -> base units
    retained: dict[int, int]  # asset -> base units paid to its own contributors

    @property
    def total(self) -> int:
        return sum(self.payouts.values())


def split_revenue(
    revenue: Mapping[int, int], assets: Mapping[int, AssetShares], *, fee_bps: int, treasury: str
) -> Split:
    """Split per-asset ``revenue`` (base units) among contributors, upstream assets and the treasury."""
    if not 0 <= fee_bps <= BPS:
        raise RoyaltyError(f"the protocol fee must be 0 to {BPS} basis points, not {fee_bps}")
    _check(assets, revenue)
    incoming: dict[int, int] = defaultdict(int)
    payouts: dict[str, int] = defaultdict(int)
    fee_total = 0
    for asset_id, amount in revenue.items():
        fee = amount * fee_bps // BPS
        fee_total += fee
        incoming[asset_id] += amount - fee
    if fee_total:
        payouts[treasury] += fee_total
    flows: dict[tuple[int, int], int] = {}
    retained: dict[int, int] = {}
    for asset_id in _downstream_first(assets):
        amount = incoming.get(asset_id, 0)
        if amount == 0:
            continue
        asset = assets[asset_id]
        for upstream_id, bps in asset.upstream:
            flow = amount * bps // BPS
            if flow:
                flows[(asset_id, upstream_id)] = flow
                incoming[upstream_id] += flow
        kept = amount - sum(flows.get((asset_id, up), 0) for up, _ in asset.upstream)
        retained[asset_id] = kept
        for account, part in largest_remainder(kept, asset.contributors).items():
            payouts[account] += part
    return Split(dict(payouts), fee_total, flows, retained)


def _check(assets: Mapping[int, AssetShares], revenue: Mapping[int, int]) -> None:
    for asset_id, amount in revenue.items():
        if asset_id not in assets:
            raise RoyaltyError(f"revenue for unknown asset {asset_id}: register it or quarantine the record")
        if not isinstance(amount, int) or amount < 0:
            raise RoyaltyError(f"revenue of asset {asset_id} must be a non-negative integer of base units")
    for asset in assets.values():
        total = sum(bps for _, bps in asset.contributors)
        if total != BPS:
            raise RoyaltyError(f"asset {asset.asset_id}: contributor shares sum to {total} bps, not {BPS}")
        upstream_total = sum(bps for _, bps in asset.upstream)
        if upstream_total > BPS:
            raise RoyaltyError(f"asset {asset.asset_id}: upstream shares sum to {upstream_total} bps")
        for upstream_id, _ in asset.upstream:
            if upstream_id not in assets:
                raise RoyaltyError(f"asset {asset.asset_id}: lineage points at unknown asset {upstream_id}")


def _downstream_first(assets: Mapping[int, AssetShares]) -> list[int]:
    """Assets ordered so that every asset comes after all assets that pay into it (Kahn's algorithm)."""
    pending = {asset_id: 0 for asset_id in assets}
    for asset in assets.values():
        for upstream_id, _ in asset.upstream:
            pending[upstream_id] += 1
    ready = sorted(asset_id for asset_id, count in pending.items() if count == 0)
    order = []
    while ready:
        asset_id = ready.pop(0)
        order.append(asset_id)
        for upstream_id, _ in assets[asset_id].upstream:
            pending[upstream_id] -= 1
            if pending[upstream_id] == 0:
                ready.append(upstream_id)
    if len(order) != len(assets):
        cyclic = sorted(asset_id for asset_id, count in pending.items() if count > 0)
        raise RoyaltyError(f"lineage has a cycle through assets {cyclic}")
    return order
