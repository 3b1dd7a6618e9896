"""AssetRegistry: asset registration with contributors and receipts, acyclic lineage under a DAO-set cap,
asset ownership, and a property test that no sequence of registrations and lineage edges closes a cycle.

Every error in the registry's ABI is triggered below. There is no length-mismatch error: contributors
and lineage edges are arrays of structs, so their fields cannot disagree in length.
"""

import random
from collections import Counter

import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    precondition,
    rule,
    run_state_machine_as_test,
)

DATASET, MODEL, AGENT = 0, 1, 2
TRAINED_ON, FINETUNED_FROM, USES = 0, 1, 2
CREATOR, CURATOR, LABELER, TRAINER, VALIDATOR = 0, 1, 2, 3, 4
ZERO_ADDRESS = "0x" + "00" * 20
CAP = 3_000  # the lineage share cap these tests deploy with (30%)
URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"


def content(label: str) -> bytes:
    return keccak(text=f"content/{label}")


# --------------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin(accounts):
    """The DAO's stand-in: holds DEFAULT_ADMIN_ROLE (the timelock in production)."""
    return accounts[0]


@pytest.fixture(scope="module")
def owner(accounts):
    return accounts[5]


@pytest.fixture(scope="module")
def labeler(accounts):
    return accounts[6]


@pytest.fixture(scope="module")
def trainer(accounts):
    return accounts[7]


@pytest.fixture(scope="module")
def outsider(accounts):
    return accounts[8]


@pytest.fixture(scope="module")
def registry(project, admin):
    return project.AssetRegistry.deploy(admin, CAP, sender=admin)


@pytest.fixture(scope="module")
def receipts(project, registry):
    return project.Receipt.at(registry.receipts())


@pytest.fixture(scope="module")
def register(registry, owner):
    """``register(contributors=..., lineage=..., ...)`` -> (asset id, receipt); defaults: one creator."""

    def _register(
        contributors=None, lineage=(), kind=MODEL, content_hash=None, uri=URI, sender=None, label="asset"
    ):
        sender = sender or owner
        contributors = [(sender.address, 10_000, CREATOR)] if contributors is None else contributors
        receipt = registry.register(
            kind,
            content_hash if content_hash is not None else content(label),
            uri,
            [(getattr(a, "address", a), share, role) for a, share, role in contributors],
            list(lineage),
            sender=sender,
        )
        [event] = receipt.events.filter(registry.AssetRegistered)
        return event.assetId, receipt

    return _register


@pytest.fixture
def dataset(register):
    """A registered dataset (asset 1) owned by ``owner``."""
    return register(kind=DATASET, label="dataset")[0]


# --------------------------------------------------------------------------------------------------
# Deployment and admin
# --------------------------------------------------------------------------------------------------


def test_deployment_sets_admin_cap_and_own_receipt_contract(project, chain, registry, receipts, admin):
    """Deploying grants the admin role, sets the cap with an event and creates a receipt contract minted only by the registry."""
    assert registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), admin)
    assert registry.maxLineageShareBps() == CAP
    assert registry.MAX_LINEAGE_WALK() == 512
    assert registry.assetCount() == 0
    assert receipts.registry() == registry.address
    assert receipts.name() == "Sahara Receipt"
    [event] = chain.get_receipt(registry.txn_hash).events.filter(registry.MaxLineageShareSet)
    assert (event.previousBps, event.newBps) == (0, CAP)


def test_deployment_rejects_cap_above_full_share(project, admin, reverts):
    """A lineage share cap above 10,000 basis points reverts at deployment with the cap."""
    with reverts(project.AssetRegistry.AssetRegistryInvalidMaxLineageShare, capBps=10_001):
        project.AssetRegistry.deploy(admin, 10_001, sender=admin)


def test_admin_sets_max_lineage_share(registry, admin):
    """The admin changes the cap and the registry emits the previous and new cap."""
    receipt = registry.setMaxLineageShareBps(10_000, sender=admin)
    assert registry.maxLineageShareBps() == 10_000
    [event] = receipt.events.filter(registry.MaxLineageShareSet)
    assert (event.previousBps, event.newBps) == (CAP, 10_000)


def test_set_max_lineage_share_rejects_cap_above_full_share(registry, admin, reverts):
    """Setting a cap above 10,000 basis points reverts with the cap."""
    with reverts(registry.AssetRegistryInvalidMaxLineageShare, capBps=10_001):
        registry.setMaxLineageShareBps(10_001, sender=admin)


def test_set_max_lineage_share_is_admin_only(registry, owner, reverts):
    """Anyone but the admin setting the cap reverts with AccessControlUnauthorizedAccount."""
    with reverts(
        registry.AccessControlUnauthorizedAccount, account=owner, neededRole=registry.DEFAULT_ADMIN_ROLE()
    ):
        registry.setMaxLineageShareBps(0, sender=owner)


def test_lowered_cap_binds_new_edges_only(registry, register, admin, owner, reverts):
    """Lowering the cap keeps existing edges above it but rejects any new edge that would exceed it."""
    base, _ = register(label="base")
    other, _ = register(label="other")
    model, _ = register(lineage=[(base, TRAINED_ON, 2_000)], label="model")
    registry.setMaxLineageShareBps(1_000, sender=admin)
    assert [tuple(e) for e in registry.lineage(model)] == [(base, TRAINED_ON, 2_000)]
    with reverts(registry.AssetRegistryLineageShareCapExceeded, assetId=model, totalBps=2_000, capBps=1_000):
        registry.addLineage(model, other, USES, 0, sender=owner)
    registry.addLineage(other, base, USES, 1_000, sender=owner)
    assert [tuple(e) for e in registry.lineage(other)] == [(base, USES, 1_000)]


def test_renounce_role_for_another_account_reverts(registry, admin, outsider, reverts):
    """renounceRole naming an account other than the caller reverts with AccessControlBadConfirmation."""
    with reverts(registry.AccessControlBadConfirmation):
        registry.renounceRole(registry.DEFAULT_ADMIN_ROLE(), admin, sender=outsider)
    assert registry.hasRole(registry.DEFAULT_ADMIN_ROLE(), admin)


def test_supports_access_control_interface(registry):
    """The registry reports ERC-165 and AccessControl support and nothing else."""
    assert registry.supportsInterface("0x01ffc9a7")
    assert registry.supportsInterface("0x7965db0b")
    assert not registry.supportsInterface("0xffffffff")


# --------------------------------------------------------------------------------------------------
# Registration
# --------------------------------------------------------------------------------------------------


def test_register_records_asset_owned_by_caller(registry, register, owner, labeler):
    """Registering stores kind, owner, content hash, URI and the contributors' receipt range."""
    asset_id, _ = register(
        contributors=[(owner, 6_000, CREATOR), (labeler, 4_000, LABELER)], kind=AGENT, label="agent"
    )
    assert asset_id == 1
    assert registry.assetCount() == 1
    assert registry.exists(asset_id)
    assert registry.assetOwner(asset_id) == owner.address
    stored = registry.asset(asset_id)
    assert stored.owner == owner.address
    assert stored.kind == AGENT
    assert stored.contributorCount == 2
    assert stored.firstReceiptId == 1
    assert stored.contentHash == content("agent")
    assert stored.metadataURI == URI


def test_register_mints_one_locked_receipt_per_contributor(
    registry, receipts, register, owner, labeler, trainer
):
    """Each contributor receives a receipt recording the asset, its share and its role."""
    asset_id, receipt = register(
        contributors=[(owner, 5_000, CREATOR), (labeler, 3_000, LABELER), (trainer, 2_000, TRAINER)]
    )
    expected = [(owner, 1, 5_000, CREATOR), (labeler, 2, 3_000, LABELER), (trainer, 3, 2_000, TRAINER)]
    for account, receipt_id, share, role in expected:
        assert receipts.ownerOf(receipt_id) == account.address
        assert receipts.receiptOf(asset_id, account) == receipt_id
        assert tuple(receipts.receipt(receipt_id)) == (asset_id, share, role)
    assert [tuple(c) for c in registry.contributors(asset_id)] == [
        (a.address, receipt_id, share, role) for a, receipt_id, share, role in expected
    ]
    assert [e.tokenId for e in receipt.events.filter(receipts.Locked)] == [1, 2, 3]


def test_register_emits_events_to_rebuild_the_registry(registry, register, owner, labeler, dataset):
    """Registration emits AssetRegistered, then one ContributorRecorded per contributor, then one LineageAdded per edge."""
    asset_id, receipt = register(
        contributors=[(owner, 7_000, TRAINER), (labeler, 3_000, VALIDATOR)],
        lineage=[(dataset, TRAINED_ON, 1_500)],
        label="model",
    )
    logs = [
        log
        for log in receipt.events
        if log.event_name in ("AssetRegistered", "ContributorRecorded", "LineageAdded")
    ]
    assert [log.event_name for log in logs] == [
        "AssetRegistered",
        "ContributorRecorded",
        "ContributorRecorded",
        "LineageAdded",
    ]
    registered, first, second, edge = logs
    assert (registered.assetId, registered.owner, registered.kind) == (asset_id, owner.address, MODEL)
    assert (registered.contentHash, registered.metadataURI) == (content("model"), URI)
    assert (first.assetId, first.contributor, first.receiptId, first.shareBps, first.role) == (
        asset_id,
        owner.address,
        2,
        7_000,
        TRAINER,
    )
    assert (second.contributor, second.receiptId, second.shareBps, second.role) == (
        labeler.address,
        3,
        3_000,
        VALIDATOR,
    )
    assert (edge.assetId, edge.upstreamId, edge.kind, edge.shareBps) == (asset_id, dataset, TRAINED_ON, 1_500)


def test_register_numbers_assets_and_receipts_consecutively(registry, register, owner, labeler):
    """Asset ids and receipt ids both count up across registrations."""
    first, _ = register(contributors=[(owner, 5_000, CREATOR), (labeler, 5_000, CURATOR)], label="a")
    second, _ = register(label="b")
    assert (first, second) == (1, 2)
    assert registry.asset(second).firstReceiptId == 3
    assert registry.assetCount() == 2


def test_register_records_lineage_edges(registry, register, dataset):
    """Edges given at registration are stored in order with their kind and share."""
    base, _ = register(label="base-model")
    model, _ = register(lineage=[(dataset, TRAINED_ON, 1_000), (base, FINETUNED_FROM, 2_000)], label="ft")
    assert [tuple(e) for e in registry.lineage(model)] == [
        (dataset, TRAINED_ON, 1_000),
        (base, FINETUNED_FROM, 2_000),
    ]
    assert list(registry.lineage(dataset)) == []


def test_register_accepts_empty_metadata_uri(registry, register):
    """An empty metadata URI is allowed and stored as empty."""
    asset_id, _ = register(uri="")
    assert registry.asset(asset_id).metadataURI == ""


def test_register_accepts_zero_share_attribution_edge(registry, register, dataset):
    """An upstream edge with a zero share records attribution without royalty."""
    asset_id, _ = register(lineage=[(dataset, USES, 0)])
    assert [tuple(e) for e in registry.lineage(asset_id)] == [(dataset, USES, 0)]


def test_register_accepts_edges_up_to_the_cap(registry, register, dataset):
    """Upstream shares summing to exactly the cap are accepted."""
    other, _ = register(label="other")
    asset_id, _ = register(lineage=[(dataset, TRAINED_ON, CAP - 1), (other, USES, 1)])
    assert sum(e.shareBps for e in registry.lineage(asset_id)) == CAP


def test_register_rejects_zero_content_hash(registry, register, reverts):
    """A zero content hash reverts."""
    with reverts(registry.AssetRegistryZeroContentHash):
        register(content_hash=b"\x00" * 32)


def test_register_rejects_no_contributors(registry, register, reverts):
    """An asset without contributors reverts."""
    with reverts(registry.AssetRegistryNoContributors):
        register(contributors=[])


def test_register_rejects_zero_contributor_address(registry, register, owner, reverts):
    """A zero contributor address reverts with its position."""
    with reverts(registry.AssetRegistryZeroContributor, index=1):
        register(contributors=[(owner, 5_000, CREATOR), (ZERO_ADDRESS, 5_000, LABELER)])


def test_register_rejects_zero_contributor_share(registry, register, owner, labeler, reverts):
    """A contributor with a zero share reverts with the contributor."""
    with reverts(registry.AssetRegistryZeroContributorShare, contributor=labeler):
        register(contributors=[(owner, 10_000, CREATOR), (labeler, 0, LABELER)])


def test_register_rejects_duplicate_contributor(registry, register, owner, labeler, reverts):
    """A contributor listed twice reverts with the contributor."""
    with reverts(registry.AssetRegistryDuplicateContributor, contributor=owner):
        register(contributors=[(owner, 4_000, CREATOR), (labeler, 2_000, LABELER), (owner, 4_000, TRAINER)])


@pytest.mark.parametrize("shares", [(5_000, 4_999), (5_000, 5_001), (10_000, 10_000)])
def test_register_rejects_shares_not_summing_to_full(registry, register, owner, labeler, shares, reverts):
    """Contributor shares summing to anything but 10,000 revert with the sum."""
    with reverts(registry.AssetRegistryInvalidShareTotal, totalBps=sum(shares)):
        register(contributors=[(owner, shares[0], CREATOR), (labeler, shares[1], LABELER)])


def test_register_rejects_unknown_upstream(registry, register, dataset, reverts):
    """An edge to an asset that does not exist reverts with its id."""
    with reverts(registry.AssetRegistryUnknownAsset, assetId=7):
        register(lineage=[(dataset, TRAINED_ON, 100), (7, USES, 100)])


def test_register_rejects_self_edge(registry, register, dataset, reverts):
    """An edge to the asset's own (next) id reverts as a self-edge."""
    with reverts(registry.AssetRegistrySelfLineage, assetId=dataset + 1):
        register(lineage=[(dataset + 1, USES, 0)])


def test_register_rejects_duplicate_edge(registry, register, dataset, reverts):
    """The same upstream listed twice reverts with both ids."""
    with reverts(registry.AssetRegistryDuplicateLineage, assetId=dataset + 1, upstreamId=dataset):
        register(lineage=[(dataset, TRAINED_ON, 100), (dataset, USES, 100)])


def test_register_rejects_upstream_shares_above_cap(registry, register, dataset, reverts):
    """Upstream shares summing above the cap revert with the asset, the total and the cap."""
    other, _ = register(label="other")
    with reverts(
        registry.AssetRegistryLineageShareCapExceeded, assetId=other + 1, totalBps=CAP + 1, capBps=CAP
    ):
        register(lineage=[(dataset, TRAINED_ON, CAP), (other, USES, 1)])


# --------------------------------------------------------------------------------------------------
# addLineage
# --------------------------------------------------------------------------------------------------


def test_add_lineage_appends_edge_and_emits(registry, register, owner, dataset):
    """The owner adds an upstream edge later; it is stored and announced."""
    model, _ = register(label="model")
    receipt = registry.addLineage(model, dataset, TRAINED_ON, 2_500, sender=owner)
    assert [tuple(e) for e in registry.lineage(model)] == [(dataset, TRAINED_ON, 2_500)]
    [event] = receipt.events.filter(registry.LineageAdded)
    assert (event.assetId, event.upstreamId, event.kind, event.shareBps) == (
        model,
        dataset,
        TRAINED_ON,
        2_500,
    )


def test_add_lineage_to_a_newer_asset(registry, register, owner):
    """An older asset may derive from an asset registered after it."""
    model, _ = register(label="model")
    dataset, _ = register(kind=DATASET, label="late-dataset")
    registry.addLineage(model, dataset, TRAINED_ON, 100, sender=owner)
    assert [e.upstreamId for e in registry.lineage(model)] == [dataset]


def test_add_lineage_accepts_diamonds(registry, register, owner):
    """Two paths to the same upstream asset are not a cycle."""
    base, _ = register(label="base")
    left, _ = register(lineage=[(base, TRAINED_ON, 100)], label="left")
    right, _ = register(lineage=[(base, TRAINED_ON, 100)], label="right")
    top, _ = register(lineage=[(left, FINETUNED_FROM, 100)], label="top")
    registry.addLineage(top, right, USES, 100, sender=owner)
    assert [e.upstreamId for e in registry.lineage(top)] == [left, right]


def test_add_lineage_is_owner_only(registry, register, outsider, dataset, reverts):
    """Anyone but the asset's owner adding lineage reverts with the asset and the caller."""
    model, _ = register(label="model")
    with reverts(registry.AssetRegistryNotAssetOwner, assetId=model, account=outsider):
        registry.addLineage(model, dataset, TRAINED_ON, 0, sender=outsider)


def test_add_lineage_rejects_unknown_asset(registry, owner, dataset, reverts):
    """Adding lineage to an asset that does not exist reverts with its id."""
    with reverts(registry.AssetRegistryUnknownAsset, assetId=42):
        registry.addLineage(42, dataset, TRAINED_ON, 0, sender=owner)


def test_add_lineage_rejects_unknown_upstream(registry, owner, dataset, reverts):
    """An edge to an asset that does not exist reverts with the upstream id."""
    with reverts(registry.AssetRegistryUnknownAsset, assetId=0):
        registry.addLineage(dataset, 0, TRAINED_ON, 0, sender=owner)


def test_add_lineage_rejects_self_edge(registry, owner, dataset, reverts):
    """An asset deriving from itself reverts."""
    with reverts(registry.AssetRegistrySelfLineage, assetId=dataset):
        registry.addLineage(dataset, dataset, USES, 0, sender=owner)


def test_add_lineage_rejects_duplicate_edge(registry, register, owner, dataset, reverts):
    """A second edge between the same two assets reverts, whatever its kind."""
    model, _ = register(lineage=[(dataset, TRAINED_ON, 100)], label="model")
    with reverts(registry.AssetRegistryDuplicateLineage, assetId=model, upstreamId=dataset):
        registry.addLineage(model, dataset, USES, 0, sender=owner)


def test_add_lineage_rejects_shares_above_cap(registry, register, owner, dataset, reverts):
    """An edge that takes the sum of upstream shares past the cap reverts with the total and the cap."""
    other, _ = register(label="other")
    model, _ = register(lineage=[(dataset, TRAINED_ON, 2_000)], label="model")
    with reverts(registry.AssetRegistryLineageShareCapExceeded, assetId=model, totalBps=3_001, capBps=CAP):
        registry.addLineage(model, other, USES, 1_001, sender=owner)
    registry.addLineage(model, other, USES, 1_000, sender=owner)
    assert sum(e.shareBps for e in registry.lineage(model)) == CAP


def test_add_lineage_rejects_two_cycle(registry, register, owner, dataset, reverts):
    """An upstream asset cannot derive from its own downstream asset."""
    model, _ = register(lineage=[(dataset, TRAINED_ON, 100)], label="model")
    with reverts(registry.AssetRegistryLineageCycle, assetId=dataset, upstreamId=model):
        registry.addLineage(dataset, model, USES, 0, sender=owner)


def test_add_lineage_rejects_long_cycle(registry, register, owner, reverts):
    """Closing a cycle through several assets reverts with both ids of the closing edge."""
    chain_ids = [register(label="a0")[0]]
    for i in range(1, 5):
        chain_ids.append(register(lineage=[(chain_ids[-1], FINETUNED_FROM, 10)], label=f"a{i}")[0])
    with reverts(registry.AssetRegistryLineageCycle, assetId=chain_ids[0], upstreamId=chain_ids[-1]):
        registry.addLineage(chain_ids[0], chain_ids[-1], USES, 0, sender=owner)


def test_add_lineage_walk_examines_up_to_the_bound(registry, register, owner, reverts):
    """A check that examines exactly MAX_LINEAGE_WALK edges passes; one more edge upstream reverts with the bound."""
    # 32 assets, each deriving from all earlier ones (496 edges), then `top` deriving from the last 16:
    # walking from `top` examines 16 + 496 = 512 edges, each asset expanded once.
    dense = []
    for i in range(32):
        dense.append(register(lineage=[(j, USES, 0) for j in dense], label=f"dense{i}")[0])
    top, _ = register(lineage=[(j, USES, 0) for j in dense[-16:]], label="top")
    downstream, _ = register(label="downstream")
    registry.addLineage(downstream, top, USES, 0, sender=owner)
    # From `downstream` the walk meets its edge to `top` first: 513 edges.
    newest, _ = register(label="newest")
    with reverts(
        registry.AssetRegistryLineageWalkTooLong, assetId=newest, upstreamId=downstream, maxEdges=512
    ):
        registry.addLineage(newest, downstream, USES, 0, sender=owner)


# --------------------------------------------------------------------------------------------------
# Ownership and views
# --------------------------------------------------------------------------------------------------


def test_transfer_asset_ownership_hands_over_owner_rights(
    registry, owner, trainer, dataset, register, reverts
):
    """The new owner manages the asset and the previous owner no longer can."""
    model, _ = register(label="model")
    receipt = registry.transferAssetOwnership(model, trainer, sender=owner)
    assert registry.assetOwner(model) == trainer.address
    [event] = receipt.events.filter(registry.AssetOwnershipTransferred)
    assert (event.assetId, event.previousOwner, event.newOwner) == (model, owner.address, trainer.address)
    registry.addLineage(model, dataset, TRAINED_ON, 0, sender=trainer)
    with reverts(registry.AssetRegistryNotAssetOwner, assetId=model, account=owner):
        registry.transferAssetOwnership(model, owner, sender=owner)


def test_transfer_asset_ownership_keeps_receipts(registry, receipts, owner, trainer, dataset):
    """Ownership of the asset is separate from its contributors' receipts."""
    registry.transferAssetOwnership(dataset, trainer, sender=owner)
    assert receipts.ownerOf(1) == owner.address
    assert registry.contributors(dataset)[0].account == owner.address


def test_transfer_asset_ownership_rejects_zero_owner(registry, owner, dataset, reverts):
    """Handing an asset to the zero address reverts with the asset and the address."""
    with reverts(registry.AssetRegistryInvalidOwner, assetId=dataset, newOwner=ZERO_ADDRESS):
        registry.transferAssetOwnership(dataset, ZERO_ADDRESS, sender=owner)


def test_transfer_asset_ownership_rejects_outsider(registry, outsider, dataset, reverts):
    """Anyone but the owner handing the asset over reverts with the asset and the caller."""
    with reverts(registry.AssetRegistryNotAssetOwner, assetId=dataset, account=outsider):
        registry.transferAssetOwnership(dataset, outsider, sender=outsider)


def test_transfer_asset_ownership_rejects_unknown_asset(registry, owner, reverts):
    """Handing over an asset that does not exist reverts with its id."""
    with reverts(registry.AssetRegistryUnknownAsset, assetId=3):
        registry.transferAssetOwnership(3, owner, sender=owner)


@pytest.mark.parametrize("view", ["asset", "assetOwner", "contributors", "lineage"])
def test_views_reject_unknown_asset(registry, dataset, view, reverts):
    """Every per-asset view reverts for an id that is not registered."""
    with reverts(registry.AssetRegistryUnknownAsset, assetId=dataset + 1):
        getattr(registry, view)(dataset + 1)


def test_exists_only_for_registered_ids(registry, dataset):
    """exists is true for registered ids and false for 0 and the next id."""
    assert registry.exists(dataset)
    assert not registry.exists(0)
    assert not registry.exists(dataset + 1)


# --------------------------------------------------------------------------------------------------
# Property: the lineage graph stays acyclic
# --------------------------------------------------------------------------------------------------


class LineageModel:
    """The registry's lineage rules in Python: the outcome the contract must reach for each call."""

    def __init__(self, cap):
        self.cap = cap
        self.edges: dict[int, dict[int, int]] = {}  # asset -> {upstream: share}

    def reaches(self, start, target):
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            if node == target:
                return True
            for up in self.edges[node]:
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        return False

    def register_outcome(self, upstreams):
        new_id = len(self.edges) + 1
        seen = set()
        for up, _ in upstreams:
            if up == new_id:
                return ("AssetRegistrySelfLineage", {"assetId": new_id})
            if up not in self.edges:
                return ("AssetRegistryUnknownAsset", {"assetId": up})
            if up in seen:
                return ("AssetRegistryDuplicateLineage", {"assetId": new_id, "upstreamId": up})
            seen.add(up)
        total = sum(share for _, share in upstreams)
        if total > self.cap:
            return (
                "AssetRegistryLineageShareCapExceeded",
                {"assetId": new_id, "totalBps": total, "capBps": self.cap},
            )
        return None

    def add_outcome(self, asset, upstream, share):
        if asset not in self.edges:
            return ("AssetRegistryUnknownAsset", {"assetId": asset})
        if upstream == asset:
            return ("AssetRegistrySelfLineage", {"assetId": asset})
        if upstream not in self.edges:
            return ("AssetRegistryUnknownAsset", {"assetId": upstream})
        if upstream in self.edges[asset]:
            return ("AssetRegistryDuplicateLineage", {"assetId": asset, "upstreamId": upstream})
        total = sum(self.edges[asset].values()) + share
        if total > self.cap:
            return (
                "AssetRegistryLineageShareCapExceeded",
                {"assetId": asset, "totalBps": total, "capBps": self.cap},
            )
        if self.reaches(upstream, asset):
            return ("AssetRegistryLineageCycle", {"assetId": asset, "upstreamId": upstream})
        return None

    def is_acyclic(self):
        """Kahn's algorithm over the whole graph."""
        indegree = {node: 0 for node in self.edges}
        for ups in self.edges.values():
            for up in ups:
                indegree[up] += 1
        todo = [node for node, d in indegree.items() if d == 0]
        removed = 0
        while todo:
            node = todo.pop()
            removed += 1
            for up in self.edges[node]:
                indegree[up] -= 1
                if indegree[up] == 0:
                    todo.append(up)
        return removed == len(self.edges)


MAX_ASSETS = 7
SHARES = st.sampled_from([0, 0, 1_000, 2_000, 3_000])  # the cap of 3,000 binds now and then


def test_lineage_stays_acyclic_under_any_sequence(project, admin, owner, reverts):
    """No sequence of registrations and addLineage calls creates a cycle: the contract accepts exactly the edges the model accepts."""
    outcomes = Counter()

    class LineageMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            # A fresh registry per example: every example starts from an empty graph, and the chain's
            # snapshots stay with Ape's test isolation.
            self.registry = project.AssetRegistry.deploy(admin, CAP, sender=admin)
            self.model = LineageModel(CAP)

        def teardown(self):
            assert self.registry.assetCount() == len(self.model.edges)
            for asset, ups in self.model.edges.items():
                assert {e.upstreamId: e.shareBps for e in self.registry.lineage(asset)} == ups
            assert self.model.is_acyclic()

        def expect(self, outcome, call):
            """Makes the call and asserts that it succeeds or reverts exactly as the model says."""
            if outcome is None:
                call()
                outcomes["accepted"] += 1
                return True
            name, inputs = outcome
            with reverts(getattr(self.registry, name), **inputs):
                call()
            outcomes[name] += 1
            return False

        def some_id(self, data):
            """A registered id most of the time; now and then 0 or the next id, which do not exist."""
            n = len(self.model.edges)
            return data.draw(
                st.sampled_from([0, *range(1, n + 1), *range(1, n + 1), *range(1, n + 1), n + 1])
            )

        @precondition(lambda self: len(self.model.edges) < MAX_ASSETS)
        @rule(data=st.data())
        def register(self, data):
            n = len(self.model.edges)
            upstreams = [(self.some_id(data), data.draw(SHARES)) for _ in range(data.draw(st.integers(0, 3)))]
            lineage = [(up, USES, share) for up, share in upstreams]

            def call():
                self.registry.register(
                    MODEL,
                    content(f"property/{n}"),
                    "",
                    [(owner.address, 10_000, CREATOR)],
                    lineage,
                    sender=owner,
                )

            if self.expect(self.model.register_outcome(upstreams), call):
                self.model.edges[n + 1] = dict(upstreams)

        @precondition(lambda self: len(self.model.edges) >= 2)
        @rule(data=st.data(), share=SHARES, kind=st.sampled_from([TRAINED_ON, FINETUNED_FROM, USES]))
        def add_lineage(self, data, share, kind):
            asset, upstream = self.some_id(data), self.some_id(data)

            def call():
                self.registry.addLineage(asset, upstream, kind, share, sender=owner)

            if self.expect(self.model.add_outcome(asset, upstream, share), call):
                self.model.edges[asset][upstream] = share

        @precondition(lambda self: any(self.model.edges.values()))
        @rule(data=st.data(), kind=st.sampled_from([TRAINED_ON, FINETUNED_FROM, USES]))
        def close_a_path(self, data, kind):
            """Tries an edge from an asset to one of its downstream assets: it must be rejected."""
            pairs = [
                (a, d)
                for a in self.model.edges
                for d in self.model.edges
                if a != d and self.model.reaches(d, a)
            ]
            asset, upstream = data.draw(st.sampled_from(pairs))
            outcome = self.model.add_outcome(asset, upstream, 0)
            assert outcome is not None
            self.expect(outcome, lambda: self.registry.addLineage(asset, upstream, kind, 0, sender=owner))

    run_state_machine_as_test(
        LineageMachine,
        settings=settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        ),
    )
    # The sequences went through every outcome, the cycle check above all.
    assert outcomes["accepted"] > 0
    assert outcomes["AssetRegistryLineageCycle"] >= 10
    assert outcomes["AssetRegistryLineageShareCapExceeded"] > 0


def test_lineage_random_sequences_reach_cycles_and_reject_them(registry, owner, reverts):
    """Seeded random edge sequences over a few assets hit the cycle check often and never get a cycle through."""
    model = LineageModel(CAP)
    n_assets = 6
    for i in range(n_assets):
        registry.register(
            MODEL, content(f"seq/{i}"), "", [(owner.address, 10_000, CREATOR)], [], sender=owner
        )
        model.edges[i + 1] = {}
    rng = random.Random(20_240_601)
    cycles = 0
    for _ in range(60):
        asset, upstream = rng.randint(1, n_assets), rng.randint(1, n_assets)
        outcome = model.add_outcome(asset, upstream, 0)
        if outcome is None:
            registry.addLineage(asset, upstream, USES, 0, sender=owner)
            model.edges[asset][upstream] = 0
        else:
            name, inputs = outcome
            cycles += name == "AssetRegistryLineageCycle"
            with reverts(getattr(registry, name), **inputs):
                registry.addLineage(asset, upstream, USES, 0, sender=owner)
    assert cycles >= 5
    assert model.is_acyclic()
    for asset, ups in model.edges.items():
        assert {e.upstreamId for e in registry.lineage(asset)} == set(ups)
