// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SlotDerivation} from "@openzeppelin/contracts/utils/SlotDerivation.sol";
import {TransientSlot} from "@openzeppelin/contracts/utils/TransientSlot.sol";
import {IAssetRegistry} from "./IAssetRegistry.sol";
import {IReceipt} from "./IReceipt.sol";
import {Receipt} from "./Receipt.sol";

/**
 * @title AssetRegistry
 * @notice Registers SAHARA AI assets with their contributors (each gets a soulbound {Receipt}) and
 * their lineage: a directed acyclic graph of upstream edges, each carrying the share of the asset's
 * revenue that flows upstream. The DAO (DEFAULT_ADMIN_ROLE, its timelock in production) sets the
 * cap on the sum of an asset's upstream shares.
 *
 * Acyclicity: an edge given at registration cannot close a cycle (nothing derives from an asset
 * that does not exist yet). An edge added later by {addLineage} is checked by walking upstream from
 * the new upstream asset, each asset expanded once (visited marks in transient storage); the walk
 * examines at most {MAX_LINEAGE_WALK} edges and reverts with {AssetRegistryLineageWalkTooLong}
 * beyond, so the check's gas stays bounded whatever the graph.
 */
contract AssetRegistry is IAssetRegistry, AccessControl {
    using SlotDerivation for bytes32;
    using TransientSlot for *;

    /// @notice The most lineage edges one acyclicity check of {addLineage} examines.
    uint256 public constant MAX_LINEAGE_WALK = 512;

    uint256 private constant _FULL_SHARE_BPS = 10_000;

    // keccak256(abi.encode(uint256(keccak256("sahara.AssetRegistry.visited")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant _VISITED_SLOT = 0x34e1d0ada8059137f6941c3dc74aa757555809b9373192aacc062c5281b07600;

    Receipt private immutable _receipts;

    // One slot: both counters move on every registration.
    uint64 private _assetCount;
    uint64 private _receiptCount;
    uint16 private _maxLineageShareBps;

    // Numbers the walks of a transaction, so that one walk's visited marks mean nothing to the next.
    uint256 private transient _walks;

    mapping(uint256 assetId => Asset) private _assets;
    mapping(uint256 assetId => Lineage[]) private _lineage;

    /**
     * @param admin Holder of DEFAULT_ADMIN_ROLE, which sets the lineage share cap (the DAO timelock).
     * @param initialMaxLineageShareBps The cap on the sum of an asset's upstream shares, in basis points.
     */
    constructor(address admin, uint16 initialMaxLineageShareBps) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setMaxLineageShareBps(initialMaxLineageShareBps);
        _receipts = new Receipt(address(this));
    }

    /// @inheritdoc IAssetRegistry
    function register(
        AssetKind kind,
        bytes32 contentHash,
        string calldata metadataURI,
        ContributorShare[] calldata contributors_,
        Lineage[] calldata lineage_
    ) external returns (uint256 assetId) {
        if (contentHash == bytes32(0)) revert AssetRegistryZeroContentHash();
        uint256 count = contributors_.length;
        if (count == 0) revert AssetRegistryNoContributors();
        _checkContributors(contributors_);

        assetId = _assetCount + 1;
        uint256 firstReceiptId = _receiptCount + 1;
        _assetCount = uint64(assetId);
        _receiptCount = uint64(firstReceiptId + count - 1);

        Asset storage stored = _assets[assetId];
        stored.owner = msg.sender;
        stored.kind = kind;
        // The shares are non-zero and sum to 10,000, so there are at most 10,000 contributors.
        stored.contributorCount = uint16(count);
        stored.firstReceiptId = uint64(firstReceiptId);
        stored.contentHash = contentHash;
        if (bytes(metadataURI).length != 0) stored.metadataURI = metadataURI;
        emit AssetRegistered(assetId, msg.sender, kind, contentHash, metadataURI);

        for (uint256 i = 0; i < count; ++i) {
            ContributorShare calldata c = contributors_[i];
            uint256 receiptId = firstReceiptId + i;
            _receipts.mint(c.account, receiptId, assetId, c.shareBps, c.role);
            emit ContributorRecorded(assetId, c.account, receiptId, c.shareBps, c.role);
        }

        // A new asset has nothing downstream, so its edges cannot close a cycle: no walk needed.
        uint256 total = 0;
        Lineage[] storage edges = _lineage[assetId];
        for (uint256 i = 0; i < lineage_.length; ++i) {
            Lineage calldata edge = lineage_[i];
            uint256 upstreamId = edge.upstreamId;
            if (upstreamId == assetId) revert AssetRegistrySelfLineage(assetId);
            _requireExists(upstreamId);
            for (uint256 j = 0; j < i; ++j) {
                if (lineage_[j].upstreamId == upstreamId) revert AssetRegistryDuplicateLineage(assetId, upstreamId);
            }
            total += edge.shareBps;
            edges.push(edge);
            emit LineageAdded(assetId, upstreamId, edge.kind, edge.shareBps);
        }
        _checkLineageCap(assetId, total);
    }

    /// @inheritdoc IAssetRegistry
    function addLineage(uint256 assetId, uint256 upstreamId, LineageKind kind, uint16 shareBps) external {
        _checkAssetOwner(assetId);
        if (upstreamId == assetId) revert AssetRegistrySelfLineage(assetId);
        _requireExists(upstreamId);

        Lineage[] storage edges = _lineage[assetId];
        uint256 total = shareBps;
        for (uint256 i = 0; i < edges.length; ++i) {
            Lineage storage edge = edges[i];
            if (edge.upstreamId == upstreamId) revert AssetRegistryDuplicateLineage(assetId, upstreamId);
            total += edge.shareBps;
        }
        _checkLineageCap(assetId, total);
        _checkNoCycle(assetId, upstreamId);

        // Asset ids fit in 64 bits (see {register}).
        edges.push(Lineage({upstreamId: uint64(upstreamId), kind: kind, shareBps: shareBps}));
        emit LineageAdded(assetId, upstreamId, kind, shareBps);
    }

    /// @inheritdoc IAssetRegistry
    function transferAssetOwnership(uint256 assetId, address newOwner) external {
        _checkAssetOwner(assetId);
        if (newOwner == address(0)) revert AssetRegistryInvalidOwner(assetId, newOwner);
        _assets[assetId].owner = newOwner;
        emit AssetOwnershipTransferred(assetId, msg.sender, newOwner);
    }

    /// @inheritdoc IAssetRegistry
    function setMaxLineageShareBps(uint16 capBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxLineageShareBps(capBps);
    }

    /// @inheritdoc IAssetRegistry
    function asset(uint256 assetId) external view returns (Asset memory) {
        _requireExists(assetId);
        return _assets[assetId];
    }

    /// @inheritdoc IAssetRegistry
    function assetOwner(uint256 assetId) external view returns (address) {
        _requireExists(assetId);
        return _assets[assetId].owner;
    }

    /// @inheritdoc IAssetRegistry
    function exists(uint256 assetId) public view returns (bool) {
        return _assets[assetId].owner != address(0);
    }

    /// @inheritdoc IAssetRegistry
    function contributors(uint256 assetId) external view returns (Contributor[] memory list) {
        _requireExists(assetId);
        Asset storage stored = _assets[assetId];
        uint256 first = stored.firstReceiptId;
        list = new Contributor[](stored.contributorCount);
        for (uint256 i = 0; i < list.length; ++i) {
            uint256 receiptId = first + i;
            IReceipt.ReceiptData memory data = _receipts.receipt(receiptId);
            list[i] = Contributor({
                account: _receipts.ownerOf(receiptId),
                receiptId: receiptId,
                shareBps: data.shareBps,
                role: data.role
            });
        }
    }

    /// @inheritdoc IAssetRegistry
    function lineage(uint256 assetId) external view returns (Lineage[] memory) {
        _requireExists(assetId);
        return _lineage[assetId];
    }

    /// @inheritdoc IAssetRegistry
    function assetCount() external view returns (uint256) {
        return _assetCount;
    }

    /// @inheritdoc IAssetRegistry
    function maxLineageShareBps() external view returns (uint16) {
        return _maxLineageShareBps;
    }

    /// @inheritdoc IAssetRegistry
    function receipts() external view returns (address) {
        return address(_receipts);
    }

    /// @dev Non-zero distinct contributors with non-zero shares summing to exactly 10,000.
    function _checkContributors(ContributorShare[] calldata contributors_) private pure {
        uint256 total = 0;
        for (uint256 i = 0; i < contributors_.length; ++i) {
            address account = contributors_[i].account;
            uint256 share = contributors_[i].shareBps;
            if (account == address(0)) revert AssetRegistryZeroContributor(i);
            if (share == 0) revert AssetRegistryZeroContributorShare(account);
            // Quadratic in the number of contributors, but a comparison costs a few dozen gas
            // against tens of thousands for the receipt each contributor gets.
            for (uint256 j = 0; j < i; ++j) {
                if (contributors_[j].account == account) revert AssetRegistryDuplicateContributor(account);
            }
            total += share;
        }
        if (total != _FULL_SHARE_BPS) revert AssetRegistryInvalidShareTotal(total);
    }

    function _checkLineageCap(uint256 assetId, uint256 totalBps) private view {
        uint256 cap = _maxLineageShareBps;
        if (totalBps > cap) revert AssetRegistryLineageShareCapExceeded(assetId, totalBps, cap);
    }

    /**
     * @dev Reverts if `assetId` is upstream of `upstreamId` (directly or not): a depth-first walk over
     * the upstream edges from `upstreamId`, expanding each asset once.
     */
    function _checkNoCycle(uint256 assetId, uint256 upstreamId) private {
        uint256 walk = _walks + 1;
        _walks = walk;
        // Every asset pushed was reached through an examined edge, so the stack never holds more
        // than MAX_LINEAGE_WALK + 1 ids.
        uint256[] memory stack = new uint256[](MAX_LINEAGE_WALK + 1);
        stack[0] = upstreamId;
        uint256 size = 1;
        _VISITED_SLOT.deriveMapping(upstreamId).asUint256().tstore(walk);
        uint256 examined = 0;
        while (size != 0) {
            Lineage[] storage edges = _lineage[stack[--size]];
            uint256 length = edges.length;
            for (uint256 i = 0; i < length; ++i) {
                if (++examined > MAX_LINEAGE_WALK) {
                    revert AssetRegistryLineageWalkTooLong(assetId, upstreamId, MAX_LINEAGE_WALK);
                }
                uint256 next = edges[i].upstreamId;
                if (next == assetId) revert AssetRegistryLineageCycle(assetId, upstreamId);
                TransientSlot.Uint256Slot mark = _VISITED_SLOT.deriveMapping(next).asUint256();
                if (mark.tload() != walk) {
                    mark.tstore(walk);
                    stack[size++] = next;
                }
            }
        }
    }

    function _checkAssetOwner(uint256 assetId) private view {
        address owner = _assets[assetId].owner;
        if (owner == address(0)) revert AssetRegistryUnknownAsset(assetId);
        if (owner != msg.sender) revert AssetRegistryNotAssetOwner(assetId, msg.sender);
    }

    function _requireExists(uint256 assetId) private view {
        if (!exists(assetId)) revert AssetRegistryUnknownAsset(assetId);
    }

    function _setMaxLineageShareBps(uint16 capBps) private {
        if (capBps > _FULL_SHARE_BPS) revert AssetRegistryInvalidMaxLineageShare(capBps);
        uint16 previous = _maxLineageShareBps;
        _maxLineageShareBps = capBps;
        emit MaxLineageShareSet(previous, capBps);
    }
}
