// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IAssetRegistry} from "./IAssetRegistry.sol";

/**
 * @title IReceipt
 * @notice Soulbound proof of contribution: one ERC-721 token per (asset, contributor), minted only by
 * the asset registry when the asset is registered, locked forever (ERC-5192). It records the asset,
 * the contributor's royalty share and role; royalty settlement pays receipt holders by that share.
 */
interface IReceipt {
    /**
     * @notice What a receipt records; its holder ({IERC721-ownerOf}) is the contributor.
     * @param assetId The asset contributed to.
     * @param shareBps The contributor's share of the asset's royalties, in basis points.
     * @param role What the contributor did.
     */
    struct ReceiptData {
        uint64 assetId;
        uint16 shareBps;
        IAssetRegistry.ContributorRole role;
    }

    /// @dev `caller` tried to mint but only the registry may.
    error ReceiptUnauthorizedMinter(address caller);

    /// @dev `contributor` already holds receipt `receiptId` for `assetId`.
    error ReceiptAlreadyIssued(uint256 assetId, address contributor, uint256 receiptId);

    /// @dev Receipt `tokenId` cannot be transferred nor approved: receipts are soulbound.
    error ReceiptSoulbound(uint256 tokenId);

    /// @dev No operator (here `operator`) can be approved: receipts are soulbound.
    error ReceiptSoulboundOperator(address operator);

    /**
     * @notice Mints receipt `receiptId` to `contributor` for `assetId`. Only the registry may call.
     * @param contributor The contributor; must not already hold a receipt for `assetId`.
     * @param receiptId The new token id, chosen by the registry (consecutive for an asset).
     * @param assetId The asset.
     * @param shareBps The contributor's royalty share, in basis points.
     * @param role What the contributor did.
     */
    function mint(
        address contributor,
        uint256 receiptId,
        uint256 assetId,
        uint16 shareBps,
        IAssetRegistry.ContributorRole role
    ) external;

    /// @notice What receipt `tokenId` records; reverts if it does not exist.
    function receipt(uint256 tokenId) external view returns (ReceiptData memory);

    /// @notice The receipt of `contributor` for `assetId`, or 0 if there is none.
    function receiptOf(uint256 assetId, address contributor) external view returns (uint256);

    /// @notice The only account that can mint: the asset registry.
    function registry() external view returns (address);
}
