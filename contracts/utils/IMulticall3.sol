// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/**
 * @title IMulticall3
 * @notice The batching interface of the canonical Multicall3 (deployed at
 * 0xcA11bde05977b3631167028862bE2a173976CA11 on most chains): the same structs and function
 * selectors, so that a client written for that deployment works unchanged with ours on local chains.
 * Reverts are custom errors here, where the canonical deployment reverts with strings.
 */
interface IMulticall3 {
    /// @notice A call to make: `target.call(callData)`; a failure reverts the batch unless `allowFailure`.
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    /// @notice A call that also sends `value` wei of the native coin to `target`.
    struct Call3Value {
        address target;
        bool allowFailure;
        uint256 value;
        bytes callData;
    }

    /// @notice What one call gave back: whether it succeeded, and its return data (or revert data).
    struct Result {
        bool success;
        bytes returnData;
    }

    /**
     * @notice Call `index` of the batch, to `target`, failed and did not allow failure.
     * @param index Position of the call in the batch.
     * @param target The contract called.
     * @param returnData The revert data of the failed call (decode it with the target's ABI).
     */
    error Multicall3CallFailed(uint256 index, address target, bytes returnData);

    /**
     * @notice `aggregate3Value` was sent `sent` wei but its calls forward `total` wei.
     * @param sent `msg.value` of the batch.
     * @param total Sum of the calls' `value` fields.
     */
    error Multicall3ValueMismatch(uint256 sent, uint256 total);

    /**
     * @notice Makes every call in order and returns each one's result.
     * @dev Reverts with {Multicall3CallFailed} at the first failed call that does not allow failure.
     * @param calls The calls, each with its failure policy.
     * @return returnData One result per call, in order.
     */
    function aggregate3(Call3[] calldata calls) external returns (Result[] memory returnData);

    /**
     * @notice Like {aggregate3}, forwarding each call's `value` from `msg.value`.
     * @dev Reverts with {Multicall3ValueMismatch} unless `msg.value` is exactly the sum of the values,
     * so that no native coin stays in this contract.
     * @param calls The calls, each with its failure policy and value.
     * @return returnData One result per call, in order.
     */
    function aggregate3Value(Call3Value[] calldata calls) external payable returns (Result[] memory returnData);
}
