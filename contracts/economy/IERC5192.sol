// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title IERC5192
 * @notice Minimal Soulbound NFTs (ERC-5192): a token whose `locked` is true cannot be transferred.
 * The ERC-165 interface id is `0xb45a3c0e` (the selector of `locked(uint256)`).
 */
interface IERC5192 {
    /// @notice The token `tokenId` is now locked (emitted when it is minted locked).
    event Locked(uint256 tokenId);

    /// @notice The token `tokenId` is now unlocked.
    event Unlocked(uint256 tokenId);

    /**
     * @notice Whether `tokenId` is locked (non-transferable).
     * @dev Reverts for a token that does not exist.
     */
    function locked(uint256 tokenId) external view returns (bool);
}
