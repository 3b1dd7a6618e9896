// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";

/**
 * @title IRevenueVault
 * @notice Revenue held in SAHARA and paid out by cumulative Merkle claims. Per epoch a settler
 * publishes the root of a tree of `(account, cumulativeAmount)` leaves in OpenZeppelin
 * StandardMerkleTree format, and the total those amounts add up to. A root becomes claimable after an
 * activation delay, during which the guardian or the admin can revoke it. A claim pays an account the
 * difference between its cumulative amount in the active root and what it has already claimed.
 *
 * Revenue is counted as it comes in through {deposit} and {recordRevenue} (`totalDeposited`), and no
 * root may commit more than that. Tokens sent to the vault by a plain transfer are donations: they
 * stay in the vault but are not counted, so they never make a root publishable.
 *
 * At most one root is pending at a time, and it activates by time alone (no transaction). Epochs
 * strictly increase over every root ever published, revoked ones included. A root value is published
 * once (unless it was revoked): an epoch that changes no balance has nothing to publish.
 */
interface IRevenueVault {
    /// @notice A root was published for `epoch`; claims verify against it from `activatesAt` on.
    /// @param total The sum of every cumulative amount in the tree.
    event RootPublished(uint256 indexed epoch, bytes32 root, uint256 total, uint256 activatesAt);

    /// @notice The pending root of `epoch` was revoked by `by` before it became active.
    event RootRevoked(uint256 indexed epoch, address indexed by);

    /// @notice `account` was paid `amount`, bringing its claims to `cumulativeAmount`, under the root of `epoch`.
    event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount, uint256 epoch);

    /// @notice `source` paid `amount` of revenue for `assetId` into the vault, bringing the revenue the
    /// vault has received to `totalDeposited`.
    event RevenueDeposited(address indexed source, uint256 indexed assetId, uint256 amount, uint256 totalDeposited);

    /// @notice Roots published from now on become active `newDelay` seconds after publication.
    event ActivationDelaySet(uint256 oldDelay, uint256 newDelay);

    /// @notice The protocol fee that settlement takes for the treasury changed (basis points).
    event ProtocolFeeSet(uint16 previousBps, uint16 newBps);

    /// @dev The constructor got an address without code as the token.
    error RevenueVaultInvalidToken(address token);

    /// @dev The constructor got the zero address as the admin.
    error RevenueVaultInvalidAdmin(address admin);

    /// @dev The activation delay is above {MAX_ACTIVATION_DELAY}.
    error RevenueVaultActivationDelayTooLong(uint256 delay, uint256 maxDelay);

    /// @dev The protocol fee is above `maxFeeBps` (all of the revenue).
    error RevenueVaultProtocolFeeTooHigh(uint256 feeBps, uint256 maxFeeBps);

    /// @dev A root must not be zero.
    error RevenueVaultInvalidRoot(bytes32 root);

    /// @dev `root` was published before, for `epoch`; only a revoked root can be published again.
    error RevenueVaultRootAlreadyPublished(bytes32 root, uint256 epoch);

    /// @dev Epochs strictly increase across every root ever published, revoked ones included.
    error RevenueVaultEpochNotIncreasing(uint256 epoch, uint256 lastEpoch);

    /// @dev Balances are cumulative: a root's total cannot be below the active root's total.
    error RevenueVaultTotalDecreased(uint256 total, uint256 activeTotal);

    /// @dev `total` is above the revenue the vault has received, `deposited` ({totalDeposited}), by
    /// `shortfall`. Donations (plain transfers) do not count.
    error RevenueVaultInsufficientDeposits(uint256 total, uint256 deposited, uint256 shortfall);

    /// @dev A root is already pending; another can be published once it is active or revoked.
    error RevenueVaultRootPending(uint256 epoch, uint256 activatesAt);

    /// @dev No root of `epoch` is pending or active: it was never published, was revoked, or is long
    /// superseded.
    error RevenueVaultNoPendingRoot(uint256 epoch);

    /// @dev The root of `epoch` is, or was until its successor activated, the active root (its
    /// activation delay has passed); it cannot be revoked.
    error RevenueVaultRootAlreadyActive(uint256 epoch);

    /// @dev No root is active yet.
    error RevenueVaultNoActiveRoot();

    /// @dev The proof does not prove `(account, cumulativeAmount)` in the active root (of `epoch`): it
    /// is wrong, or proves it in a root that is not active (pending, revoked or superseded).
    error RevenueVaultInvalidProof(address account, uint256 cumulativeAmount, uint256 epoch);

    /// @dev `account` has already claimed `claimed`, at least its `cumulativeAmount`.
    error RevenueVaultNothingToClaim(address account, uint256 cumulativeAmount, uint256 claimed);

    /// @dev {claimMany} got arrays of different lengths.
    error RevenueVaultLengthMismatch(uint256 accounts, uint256 amounts, uint256 proofs);

    /**
     * @notice Publishes the root of `epoch`'s cumulative balances; it becomes active after the
     * activation delay.
     * @dev Only SETTLER_ROLE, when not paused. Reverts if `epoch` is not above every epoch published
     * before, if `root` was ever published, if a root is still pending, if `total` is below the active
     * root's total or above {totalDeposited}. Emits {RootPublished}.
     * @param epoch The epoch the balances run to.
     * @param root The StandardMerkleTree root over `(address account, uint256 cumulativeAmount)` leaves.
     * @param total The sum of the tree's cumulative amounts.
     */
    function publishRoot(uint256 epoch, bytes32 root, uint256 total) external;

    /**
     * @notice Pays `amount` of revenue for `assetId` into the vault: pay-per-use fees, an operator's
     * payment, a grant. Anyone may deposit; the vault pulls `amount` from the caller, who must have
     * approved it.
     * @dev Works while paused. `assetId` is a label for settlement; the vault does not check it.
     * Emits {RevenueDeposited} with the caller as the source.
     */
    function deposit(uint256 assetId, uint256 amount) external;

    /**
     * @notice Counts `amount` of revenue for `assetId` that the caller has already transferred into the
     * vault in this transaction (LicenseManager: the license fee).
     * @dev Only REVENUE_SOURCE_ROLE, which the admin grants to trusted contracts only: the vault does
     * not check that the tokens arrived. Works while paused. Emits {RevenueDeposited} with the caller
     * as the source.
     */
    function recordRevenue(uint256 assetId, uint256 amount) external;

    /**
     * @notice Revokes the pending root of `epoch` before it becomes active; the active root stays.
     * @dev Only GUARDIAN_ROLE or DEFAULT_ADMIN_ROLE. Works while paused. Emits {RootRevoked}.
     */
    function revokeRoot(uint256 epoch) external;

    /**
     * @notice Pays `account` its `cumulativeAmount` minus what it has already claimed.
     * @dev Anyone may submit it; the tokens always go to `account`. Verifies against the active root;
     * reverts with {Pausable-EnforcedPause} while paused. Emits {Claimed}.
     * @param proof The StandardMerkleTree proof of `(account, cumulativeAmount)`.
     */
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external;

    /**
     * @notice {claim} for several accounts at once; all succeed or the whole call reverts (so an
     * account that claimed in the meantime makes the batch revert with {RevenueVaultNothingToClaim}).
     * @dev Emits one {Claimed} per account.
     */
    function claimMany(
        address[] calldata accounts,
        uint256[] calldata cumulativeAmounts,
        bytes32[][] calldata proofs
    ) external;

    /**
     * @notice Sets the delay between publishing a root and its activation, for roots published from
     * now on. A pending root keeps the activation time it was published with.
     * @dev Only DEFAULT_ADMIN_ROLE. At most {MAX_ACTIVATION_DELAY}. Emits {ActivationDelaySet}.
     */
    function setActivationDelay(uint256 newDelay) external;

    /**
     * @notice Sets the protocol fee: the share of each epoch's revenue, in basis points, that
     * settlement sends to the treasury before royalties (off-chain settlement reads it here; the
     * vault pays only what published roots say).
     * @dev Only DEFAULT_ADMIN_ROLE (the DAO). At most 10,000. Emits {ProtocolFeeSet}.
     */
    function setProtocolFeeBps(uint16 feeBps) external;

    /// @notice The protocol fee in basis points (see {setProtocolFeeBps}).
    function protocolFeeBps() external view returns (uint16);

    /// @notice Stops publishing and claiming. Only GUARDIAN_ROLE or DEFAULT_ADMIN_ROLE.
    function pause() external;

    /// @notice Resumes publishing and claiming. Only DEFAULT_ADMIN_ROLE (the DAO).
    function unpause() external;

    /// @notice The token the vault holds and pays.
    function token() external view returns (IERC20);

    /// @notice The root claims verify against now, its epoch and its total (zeros before the first).
    function activeRoot() external view returns (bytes32 root, uint256 epoch, uint256 total);

    /// @notice The published root that is not active yet (zeros if none).
    function pendingRoot() external view returns (bytes32 root, uint256 epoch, uint256 total, uint256 activatesAt);

    /// @notice The highest epoch ever published, revoked roots included.
    function lastEpoch() external view returns (uint256);

    /// @notice Seconds between publishing a root and its activation.
    function activationDelay() external view returns (uint256);

    /// @notice What `account` has claimed so far (its cumulative amount at its last claim).
    function claimed(address account) external view returns (uint256);

    /// @notice The revenue the vault has received through {deposit} and {recordRevenue}: no root's
    /// total may exceed it.
    function totalDeposited() external view returns (uint256);

    /// @notice The total of the active root: what the vault has committed to pay, claimed or not.
    function totalCommitted() external view returns (uint256);
}
