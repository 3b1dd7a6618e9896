"""Reading the on-chain asset registry into the royalty model."""

from sahara_dao.token.royalties import AssetShares


def asset_shares(registry, asset_ids) -> dict[int, AssetShares]:
    """Contributors and upstream edges of ``asset_ids`` and of every asset upstream of them."""
    found: dict[int, AssetShares] = {}
    pending = list(asset_ids)
    while pending:
        asset_id = pending.pop()
        if asset_id in found:
            continue
        contributors = tuple((c.account, c.shareBps) for c in registry.contributors(asset_id))
        upstream = tuple((int(e.upstreamId), e.shareBps) for e in registry.lineage(asset_id))
        found[asset_id] = AssetShares(asset_id, contributors, upstream)
        pending.extend(up for up, _ in upstream)
    return found
