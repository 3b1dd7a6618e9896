// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/**
 * @title BlockClockVotes
 * @notice Test fixture only, never deployed by `sahara deploy`: an ERC20Votes token on OpenZeppelin's
 * default block-number clock, to prove that the deployment refuses a token and governor whose
 * ERC-6372 clock modes differ.
 */
contract BlockClockVotes is ERC20, ERC20Permit, ERC20Votes {
    constructor(address holder, uint256 amount) ERC20("Block Clock Votes", "BCV") ERC20Permit("Block Clock Votes") {
        _mint(holder, amount);
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view virtual override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal virtual override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
