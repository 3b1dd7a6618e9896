// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/**
 * @title FalseReturningToken
 * @notice Test fixture only, never deployed by `sahara deploy`: an ERC-20 whose `transfer` moves
 * nothing and returns false (as some old tokens do), while `transferFrom` works. It proves that a
 * payout batch whose push fails this quietly reverts whole instead of being marked paid.
 */
contract FalseReturningToken is ERC20 {
    constructor(address holder, uint256 amount) ERC20("False Returning Token", "FRT") {
        _mint(holder, amount);
    }

    /// @notice Moves nothing and reports failure.
    function transfer(address, uint256) public pure override returns (bool) {
        return false;
    }
}
