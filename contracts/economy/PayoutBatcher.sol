// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/**
 * @title PayoutBatcher
 * @notice Pays labelers in batches: the payout operator ({PAYER_ROLE}) names a batch, its recipients
 * and their amounts; the batcher pulls the batch total from the operator once and pushes each
 * amount to its recipient, all in one transaction.
 *
 * A batch id executes at most once. An interrupted payout job can therefore resend every batch it
 * is unsure about: a batch that went through reverts with {PayoutBatcherBatchAlreadyPaid}, and a
 * batch that reverted left nothing behind (no flag, no transfer) and simply runs.
 *
 * Per-recipient records: the token's own `Transfer(batcher, recipient, amount)` events, in the same
 * transaction as {BatchPaid}, already say who got how much in which batch; a per-recipient event
 * of ours would repeat them at about 1,500 gas a recipient (more than 10% of a payment to an
 * existing holder), so there is none.
 *
 * Transfers go through OpenZeppelin's {SafeERC20}: a token that returns false reverts the batch
 * with `SafeERC20FailedOperation`. In OpenZeppelin 5.7 it is also the cheaper call (measured by
 * bench/gas_payouts.py: about 70 gas a recipient less than a plain `token.transfer` with a
 * return-value check, which decodes the return value through memory). The batcher holds no tokens
 * between transactions.
 */
contract PayoutBatcher is AccessControl {
    using SafeERC20 for IERC20;

    /// @notice The role that may pay batches: the foundation's payout operator. Granted by the admin.
    bytes32 public constant PAYER_ROLE = keccak256("PAYER_ROLE");

    IERC20 private immutable _token;

    mapping(bytes32 batchId => bool paid) private _paid;

    /**
     * @notice A batch was paid.
     * @param batchId The batch's idempotency key.
     * @param payer The operator whose tokens were paid out.
     * @param count The number of recipients.
     * @param total The sum of the amounts, pulled from `payer`.
     */
    event BatchPaid(bytes32 indexed batchId, address indexed payer, uint256 count, uint256 total);

    /// @notice `batchId` was already paid; a batch executes at most once.
    error PayoutBatcherBatchAlreadyPaid(bytes32 batchId);

    /// @notice The batch has no recipients.
    error PayoutBatcherEmptyBatch(bytes32 batchId);

    /// @notice The recipients and amounts arrays differ in length.
    error PayoutBatcherLengthMismatch(bytes32 batchId, uint256 recipients, uint256 amounts);

    /// @notice The recipient at `index` is the zero address.
    error PayoutBatcherZeroRecipient(bytes32 batchId, uint256 index);

    /// @notice The amount at `index` is zero: the batch was built wrong (an unpaid row would emit a
    /// misleading transfer of nothing).
    error PayoutBatcherZeroAmount(bytes32 batchId, uint256 index);

    /**
     * @param token The token paid out (SAHARA).
     * @param admin Holds DEFAULT_ADMIN_ROLE and grants {PAYER_ROLE} (the DAO timelock in production).
     */
    constructor(IERC20 token, address admin) {
        _token = token;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice The token this batcher pays out.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice Whether `batchId` was paid.
    function isPaid(bytes32 batchId) external view returns (bool) {
        return _paid[batchId];
    }

    /**
     * @notice Pays `amounts[i]` to `recipients[i]` for every i, out of the caller's tokens.
     * @dev Only {PAYER_ROLE}. The caller must have approved this contract for the total. Marks
     * `batchId` paid before any transfer; any failure reverts the whole batch, flag included.
     * Emits {BatchPaid}.
     * @param batchId The batch's idempotency key (e.g. a hash of the payout run and its rows).
     * @param recipients Who is paid; none may be the zero address.
     * @param amounts What each recipient gets, in base units; none may be zero.
     */
    function payout(
        bytes32 batchId,
        address[] calldata recipients,
        uint256[] calldata amounts
    ) external onlyRole(PAYER_ROLE) {
        uint256 count = recipients.length;
        if (count == 0) revert PayoutBatcherEmptyBatch(batchId);
        if (count != amounts.length) revert PayoutBatcherLengthMismatch(batchId, count, amounts.length);
        if (_paid[batchId]) revert PayoutBatcherBatchAlreadyPaid(batchId);
        _paid[batchId] = true;

        // Sum (and check) the amounts, pull the total, push. Recipients are checked in the push loop,
        // where they are read anyway: a failure there still reverts everything, and a check in the
        // first loop measured about 200 gas a recipient more. Since solc 0.8.22 a loop's `++i` is
        // unchecked without an `unchecked` block.
        uint256 total;
        for (uint256 i = 0; i < count; ++i) {
            uint256 amount = amounts[i];
            if (amount == 0) revert PayoutBatcherZeroAmount(batchId, i);
            total += amount;
        }

        IERC20 token_ = _token;
        token_.safeTransferFrom(msg.sender, address(this), total);
        for (uint256 i = 0; i < count; ++i) {
            address to = recipients[i];
            if (to == address(0)) revert PayoutBatcherZeroRecipient(batchId, i);
            token_.safeTransfer(to, amounts[i]);
        }
        emit BatchPaid(batchId, msg.sender, count, total);
    }
}
