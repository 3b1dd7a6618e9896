// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/**
 * @title SaharaToken
 * @notice The SAHARA token: a fixed supply of 10,000,000,000 tokens (18 decimals), minted once at
 * deployment to the genesis allocation and never again. Votes are checkpointed by timestamp
 * (ERC-6372 `mode=timestamp`) so that a voting period means the same on chains with different
 * block times.
 */
contract SaharaToken is ERC20, ERC20Permit, ERC20Votes {
    /// @notice The whole supply, in base units. Nothing can mint after the constructor.
    uint256 public constant TOTAL_SUPPLY = 10_000_000_000 ether;

    /// @dev The genesis recipients and amounts have different lengths.
    error SaharaTokenGenesisLengthMismatch(uint256 recipients, uint256 amounts);

    /// @dev The genesis amounts do not add up to exactly {TOTAL_SUPPLY}.
    error SaharaTokenGenesisSupplyMismatch(uint256 allocated, uint256 expected);

    /**
     * @param recipients Genesis recipients (treasury timelock, vesting wallets, distributors).
     * @param amounts Base units for each recipient; they must sum to exactly {TOTAL_SUPPLY}.
     */
    constructor(
        address[] memory recipients,
        uint256[] memory amounts
    ) ERC20("Sahara", "SAHARA") ERC20Permit("Sahara") {
        if (recipients.length != amounts.length) {
            revert SaharaTokenGenesisLengthMismatch(recipients.length, amounts.length);
        }
        uint256 allocated;
        for (uint256 i = 0; i < recipients.length; ++i) {
            allocated += amounts[i];
            _mint(recipients[i], amounts[i]);
        }
        if (allocated != TOTAL_SUPPLY) {
            revert SaharaTokenGenesisSupplyMismatch(allocated, TOTAL_SUPPLY);
        }
    }

    /// @notice The vote clock: the block timestamp (ERC-6372).
    function clock() public view virtual override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice Machine-readable description of {clock} (ERC-6372).
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure virtual override returns (string memory) {
        return "mode=timestamp";
    }

    /// @inheritdoc ERC20Permit
    function nonces(address owner) public view virtual override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }

    function _update(address from, address to, uint256 value) internal virtual override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }
}
