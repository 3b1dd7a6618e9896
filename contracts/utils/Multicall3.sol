// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IMulticall3} from "./IMulticall3.sol";

/**
 * @title Multicall3
 * @notice Batches calls into one transaction with the canonical Multicall3 ABI ({IMulticall3}).
 * The project deploys it on local chains; real networks use the canonical deployment. The vote
 * relay sends signed ballots through {aggregate3} with `allowFailure` set, so that one bad ballot
 * never sinks the others. Calls are made from this contract: targets see it as `msg.sender`, which
 * is why only calls that authenticate by signature (castVoteBySig, delegateBySig, permit) make sense
 * here.
 * @dev `aggregate3` is not payable (the canonical one is, and keeps what it is sent): value goes
 * through {aggregate3Value}, which must forward all of it.
 */
contract Multicall3 is IMulticall3 {
    /// @inheritdoc IMulticall3
    function aggregate3(Call3[] calldata calls) external returns (Result[] memory returnData) {
        uint256 length = calls.length;
        returnData = new Result[](length);
        for (uint256 i = 0; i < length; ++i) {
            Call3 calldata call = calls[i];
            (bool success, bytes memory data) = call.target.call(call.callData);
            if (!success && !call.allowFailure) {
                revert Multicall3CallFailed(i, call.target, data);
            }
            returnData[i] = Result(success, data);
        }
    }

    /// @inheritdoc IMulticall3
    function aggregate3Value(Call3Value[] calldata calls) external payable returns (Result[] memory returnData) {
        uint256 length = calls.length;
        uint256 total = 0;
        returnData = new Result[](length);
        for (uint256 i = 0; i < length; ++i) {
            Call3Value calldata call = calls[i];
            total += call.value;
            (bool success, bytes memory data) = call.target.call{value: call.value}(call.callData);
            if (!success && !call.allowFailure) {
                revert Multicall3CallFailed(i, call.target, data);
            }
            returnData[i] = Result(success, data);
        }
        if (total != msg.value) {
            revert Multicall3ValueMismatch(msg.value, total);
        }
    }
}
