"""The economy's tables, derived from indexed events (registered with the indexer as the projector
``token`` of ``sahara_dao.projectors``).

| event (contract)                 | rows                                  |
|----------------------------------|---------------------------------------|
| AssetRegistered (registry)       | asset                                 |
| ContributorRecorded (registry)   | receipt                               |
| LineageAdded (registry)          | lineage_edge                          |
| OfferPublished (licenses)        | license_offer                         |
| LicensePurchased (licenses)      | license, license_revenue              |
| QuotaConsumed (licenses)         | quota_use                             |
| RootPublished (vault)            | published_root                        |
| Claimed (vault)                  | claim                                 |

Each row keeps the id of its event: a reorg that drops the event drops the row. Enum values are
stored as the lowercase names of the Solidity enums (``trained_on``, ``api``). Every other event of
these contracts (and of the token, vesting wallets, payouts, staking and receipts) stays in
``chain_event`` only.
"""

from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import SQLModel

from sahara_dao.core.indexer import Projector, project_by_rules
from sahara_dao.core.models import ChainEvent
from sahara_dao.token.models import (
    Asset,
    Claim,
    License,
    LicenseOffer,
    LicenseRevenue,
    LineageEdge,
    PublishedRoot,
    QuotaUse,
    Receipt,
)
from sahara_dao.token.treasury import TREASURY_ACCOUNTS

# The Solidity enums IAssetRegistry.AssetKind, .LineageKind, .ContributorRole and
# ILicenseManager.LicenseKind, in declaration order (a test compares them with the sources).
ASSET_KINDS = ("dataset", "model", "agent")
LINEAGE_KINDS = ("trained_on", "finetuned_from", "uses")
CONTRIBUTOR_ROLES = ("creator", "curator", "labeler", "trainer", "validator")
LICENSE_KINDS = ("duration", "perpetual", "api")

# Deployment names (see governance/deploy.py) and the contract types that decode their logs.
CONTRACTS = {
    "token": "SaharaToken",
    "vesting/": "SaharaVestingWallet",
    "vault": "RevenueVault",
    "registry": "AssetRegistry",
    "receipts": "Receipt",
    "licenses": "LicenseManager",
    "payouts": "PayoutBatcher",
    "staking": "SaharaStaking",
}


def _enum(names: tuple[str, ...], value: Any, enum: str) -> str:
    index = int(value)
    if not 0 <= index < len(names):
        raise ValueError(f"{enum} value {index} is not one of {', '.join(names)}")
    return names[index]


def _common(event: ChainEvent) -> dict[str, Any]:
    return {"chain_id": event.chain_id, "event_id": event.id}


def _asset(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [Asset(**_common(event), asset_id=int(a["assetId"]), kind=_enum(ASSET_KINDS, a["kind"], "AssetKind"),
                  owner=a["owner"], content_hash=a["contentHash"], metadata_uri=a["metadataURI"],
                  registered_at=event.block_timestamp)]  # fmt: skip


def _receipt(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [Receipt(**_common(event), asset_id=int(a["assetId"]), contributor=a["contributor"],
                    receipt_id=int(a["receiptId"]), share_bps=int(a["shareBps"]),
                    role=_enum(CONTRIBUTOR_ROLES, a["role"], "ContributorRole"))]  # fmt: skip


def _lineage(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [LineageEdge(**_common(event), asset_id=int(a["assetId"]), upstream_id=int(a["upstreamId"]),
                        kind=_enum(LINEAGE_KINDS, a["kind"], "LineageKind"), share_bps=int(a["shareBps"]),
                        added_at=event.block_timestamp)]  # fmt: skip


def _offer(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [LicenseOffer(**_common(event), offer_id=int(a["offerId"]), asset_id=int(a["assetId"]),
                         kind=_enum(LICENSE_KINDS, a["kind"], "LicenseKind"), duration=int(a["duration"]),
                         quota=int(a["quota"]), price=int(a["price"]), transferable=bool(a["transferable"]),
                         published_at=event.block_timestamp)]  # fmt: skip


def _purchase(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    license_id, asset_id, amount = int(a["licenseId"]), int(a["assetId"]), int(a["amount"])
    return [
        License(**_common(event), license_id=license_id, offer_id=int(a["offerId"]), asset_id=asset_id,
                holder=a["buyer"], amount=amount, purchased_at=int(a["purchasedAt"])),
        LicenseRevenue(**_common(event), asset_id=asset_id, license_id=license_id, amount=amount,
                       occurred_at=int(a["purchasedAt"])),
    ]  # fmt: skip


def _quota(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [QuotaUse(**_common(event), license_id=int(a["licenseId"]), calls=int(a["calls"]), used=int(a["used"]),
                     quota=int(a["quota"]))]  # fmt: skip


def _root(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [PublishedRoot(**_common(event), epoch=int(a["epoch"]), root=a["root"], total=int(a["total"]),
                          activates_at=int(a["activatesAt"]))]  # fmt: skip


def _claim(event: ChainEvent, a: Mapping[str, Any]) -> list[SQLModel]:
    return [Claim(**_common(event), account=a["account"], amount=int(a["amount"]),
                  cumulative=int(a["cumulativeAmount"]), epoch=int(a["epoch"]),
                  claimed_at=event.block_timestamp)]  # fmt: skip


Rows = Callable[[ChainEvent, Mapping[str, Any]], list[SQLModel]]

RULES: dict[tuple[str, str], tuple[tuple[type[SQLModel], ...], Rows]] = {
    ("registry", "AssetRegistered"): ((Asset,), _asset),
    ("registry", "ContributorRecorded"): ((Receipt,), _receipt),
    ("registry", "LineageAdded"): ((LineageEdge,), _lineage),
    ("licenses", "OfferPublished"): ((LicenseOffer,), _offer),
    ("licenses", "LicensePurchased"): ((License, LicenseRevenue), _purchase),
    ("licenses", "QuotaConsumed"): ((QuotaUse,), _quota),
    ("vault", "RootPublished"): ((PublishedRoot,), _root),
    ("vault", "Claimed"): ((Claim,), _claim),
}
"""(deployment name, event) -> (tables written, rows from the event and its decoded arguments)."""


project = project_by_rules(RULES)
"""Derive the economy's rows from events; events already derived are skipped (see
:func:`~sahara_dao.core.indexer.project_by_rules`)."""


def discover(addresses: Mapping[str, str]) -> dict[str, str]:
    """The registry's Receipt contract (deployed by the registry's constructor)."""
    if "registry" not in addresses:
        return {}
    from sahara_dao.core.contracts import project as ape_project

    return {"receipts": ape_project().AssetRegistry.at(addresses["registry"]).receipts()}


projector = Projector(contracts=CONTRACTS, discover=discover, project=project,
                      native_accounts=tuple(TREASURY_ACCOUNTS))  # the treasury page's native coin
