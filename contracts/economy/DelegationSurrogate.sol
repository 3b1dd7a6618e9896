// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @title DelegationSurrogate
 * @notice Holds the SAHARA staked by everyone who chose one delegatee, and gives that delegatee
 * its votes (UniStaker's surrogate pattern). {SaharaStaking} deploys one per delegatee with
 * CREATE2 on first use; the surrogate delegates once, approves its deployer for everything it
 * will ever hold, and has no other code: only the staking contract moves its tokens.
 */
contract DelegationSurrogate {
    /**
     * @param token The staked token: an ERC-20 with ERC-5805 votes (SAHARA).
     * @param delegatee Receives the votes of every token this surrogate holds.
     */
    constructor(IERC20 token, address delegatee) {
        IVotes(address(token)).delegate(delegatee);
        token.approve(msg.sender, type(uint256).max);
    }
}
