// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {VestingWallet} from "@openzeppelin/contracts/finance/VestingWallet.sol";
import {VestingWalletCliff} from "@openzeppelin/contracts/finance/VestingWalletCliff.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

/**
 * @title SaharaVestingWallet
 * @notice Linear vesting with a cliff for one team member or investor (OpenZeppelin
 * {VestingWalletCliff}). Nothing is releasable before the cliff; after it, the vested amount grows
 * linearly from `start` to `start + duration`. The beneficiary (the owner) can delegate the votes of
 * the tokens still locked here, so that locked allocations take part in governance.
 */
contract SaharaVestingWallet is VestingWalletCliff {
    /**
     * @param beneficiary Receives the released tokens and may delegate the locked votes.
     * @param startTimestamp When vesting starts (unix seconds).
     * @param durationSeconds Length of the linear vesting, counted from `startTimestamp`.
     * @param cliffSeconds Nothing vests before `startTimestamp + cliffSeconds`.
     */
    constructor(
        address beneficiary,
        uint64 startTimestamp,
        uint64 durationSeconds,
        uint64 cliffSeconds
    ) VestingWallet(beneficiary, startTimestamp, durationSeconds) VestingWalletCliff(cliffSeconds) {}

    /**
     * @notice Delegates the votes of `token` held by this wallet to `delegatee`.
     * @dev Only the beneficiary. Emits the token's {IVotes-DelegateChanged}.
     */
    function delegate(IVotes token, address delegatee) external onlyOwner {
        token.delegate(delegatee);
    }
}
