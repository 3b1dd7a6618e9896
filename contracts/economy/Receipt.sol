// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IAssetRegistry} from "./IAssetRegistry.sol";
import {IERC5192} from "./IERC5192.sol";
import {IReceipt} from "./IReceipt.sol";

/**
 * @title Receipt
 * @notice Sahara contribution receipts ("SRCPT"): one soulbound ERC-721 per (asset, contributor),
 * minted by the {AssetRegistry} that deploys this contract, never transferred, approved nor burned.
 * Every token is locked (ERC-5192) and announces it with {IERC5192-Locked} when minted.
 */
contract Receipt is ERC721, IERC5192, IReceipt {
    address private immutable _registry;

    mapping(uint256 receiptId => ReceiptData) private _receipts;
    mapping(uint256 assetId => mapping(address contributor => uint256 receiptId)) private _receiptOf;

    /// @param registry_ The only account allowed to mint (the registry passes `address(this)`).
    constructor(address registry_) ERC721("Sahara Receipt", "SRCPT") {
        _registry = registry_;
    }

    /// @inheritdoc IReceipt
    function mint(
        address contributor,
        uint256 receiptId,
        uint256 assetId,
        uint16 shareBps,
        IAssetRegistry.ContributorRole role
    ) external {
        if (msg.sender != _registry) revert ReceiptUnauthorizedMinter(msg.sender);
        uint256 existing = _receiptOf[assetId][contributor];
        if (existing != 0) revert ReceiptAlreadyIssued(assetId, contributor, existing);
        // Asset ids count from 1 and fit in 64 bits: the registry would need 2^64 registrations.
        _receipts[receiptId] = ReceiptData({assetId: uint64(assetId), shareBps: shareBps, role: role});
        _receiptOf[assetId][contributor] = receiptId;
        _mint(contributor, receiptId);
        emit Locked(receiptId);
    }

    /// @inheritdoc IReceipt
    function receipt(uint256 tokenId) external view returns (ReceiptData memory) {
        _requireOwned(tokenId);
        return _receipts[tokenId];
    }

    /// @inheritdoc IReceipt
    function receiptOf(uint256 assetId, address contributor) external view returns (uint256) {
        return _receiptOf[assetId][contributor];
    }

    /// @inheritdoc IReceipt
    function registry() external view returns (address) {
        return _registry;
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /**
     * @notice Always reverts with {ReceiptSoulbound}: receipts cannot be approved.
     * @dev See {IERC721-approve}.
     */
    function approve(address, uint256 tokenId) public pure override {
        revert ReceiptSoulbound(tokenId);
    }

    /**
     * @notice Always reverts with {ReceiptSoulboundOperator}: receipts cannot be approved.
     * @dev See {IERC721-setApprovalForAll}.
     */
    function setApprovalForAll(address operator, bool) public pure override {
        revert ReceiptSoulboundOperator(operator);
    }

    /// @inheritdoc ERC721
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC5192).interfaceId || super.supportsInterface(interfaceId);
    }

    /**
     * @dev Lets only mints through: any transfer or burn of an existing receipt reverts with
     * {ReceiptSoulbound}. This covers `transferFrom` and both `safeTransferFrom`.
     */
    function _update(address to, uint256 tokenId, address auth) internal override returns (address) {
        if (_ownerOf(tokenId) != address(0)) revert ReceiptSoulbound(tokenId);
        return super._update(to, tokenId, auth);
    }
}
