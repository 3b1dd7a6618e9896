// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/**
 * @title SaharaTimelock
 * @notice Holds the DAO treasury and executes what the governor has passed, after `minDelay` seconds.
 * Deployed with the deployer as temporary admin; the deployment wires the governor as proposer and
 * canceller, opens execution to anyone, and renounces the admin role.
 */
contract SaharaTimelock is TimelockController {
    /**
     * @param minDelay Seconds between queueing and execution.
     * @param proposers Accounts that may schedule (the governor, once wired).
     * @param executors Accounts that may execute; `address(0)` opens execution to anyone.
     * @param admin Temporary admin for wiring, or `address(0)` for none.
     */
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
