// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IRevenueVault} from "./IRevenueVault.sol";

/**
 * @title RevenueVault
 * @notice Holds the SAHARA revenue of one chain and pays it out by cumulative Merkle claims (see
 * {IRevenueVault}). One claim covers every epoch since an account's last claim, so a contributor's
 * cost does not grow with the number of epochs.
 *
 * Roles: DEFAULT_ADMIN_ROLE (the DAO timelock) manages roles, sets the activation delay, revokes
 * pending roots, pauses, and is the only one who unpauses. SETTLER_ROLE publishes roots.
 * GUARDIAN_ROLE (a fast multisig) revokes pending roots and pauses: stopping is cheap and safe,
 * resuming is a DAO decision, so a compromised guardian can at worst stop the vault until the DAO
 * replaces it. REVENUE_SOURCE_ROLE (granted by the admin to the LicenseManager) records revenue its
 * holder has paid into the vault (see below). Pausing stops roots and claims, not revenue: license
 * sales go on while the vault is paused.
 *
 * Accounting: the vault counts the revenue it receives through its own entry points
 * (`totalDeposited`) and refuses a root whose total exceeds it. Balances are cumulative and a claim
 * never pays an account more than its leaf, so what has been claimed stays within the active total,
 * and what is still owed, `total - claimed`, is at most `totalDeposited - claimed`, which the balance
 * covers (it is every deposit less every payment, plus any donation). The check is exact without the
 * vault counting what it has paid, so a claim writes no shared slot. That the leaves add up to the
 * published total and never decrease is the settler's statement, which anyone can check from the
 * epoch file during the activation delay (and the guardian can revoke).
 *
 * Revenue comes in two ways, both announced with {RevenueDeposited}: {deposit}, where the vault
 * pulls the tokens from the caller, and {recordRevenue}, for REVENUE_SOURCE_ROLE contracts (the
 * LicenseManager) that have moved the tokens into the vault themselves in the same transaction.
 * Tokens sent by a plain transfer are donations outside the accounting: they stay in the vault and
 * never make a root publishable.
 *
 * Trust in revenue sources: {recordRevenue} counts what its caller says it paid in, without looking
 * at the balance. An exact check would need the vault's balance before the payment, or what the
 * vault has paid out, which is the per-claim write this design removes; a balance-covers-the-amount
 * check would cost every purchase a call and prove little. The role is therefore granted by the
 * admin (the DAO) to audited contracts only, each of which transfers the amount into the vault just
 * before recording it, as LicenseManager does. A source that recorded more than it paid would let
 * the settler commit more than the vault holds, and the last claims would revert on the transfer.
 *
 * Gas: a claim touches two storage slots, both of them keyed by the claim itself: the record of the
 * root its proof rebuilds (validity window, epoch and pause flag, one word, only read) and the
 * account's claimed amount. It reads no global slot: the proof is processed first and the
 * rebuilt root looks up its own record, which only the active root has in force. Roots activate
 * by time alone: publishing sets the window end of the root before it to the new root's activation
 * time, and revoking sets it back.
 */
contract RevenueVault is IRevenueVault, AccessControl, Pausable {
    using SafeERC20 for IERC20;

    /// @notice Publishes roots.
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");

    /// @notice Revokes pending roots and pauses.
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");

    /// @notice Records revenue it has transferred into the vault itself (the LicenseManager).
    bytes32 public constant REVENUE_SOURCE_ROLE = keccak256("REVENUE_SOURCE_ROLE");

    /// @notice The longest activation delay the admin can set.
    uint256 public constant MAX_ACTIVATION_DELAY = 30 days;

    /// @notice The highest protocol fee the admin can set: all of the revenue.
    uint256 public constant MAX_PROTOCOL_FEE_BPS = 10_000;

    /// @dev Everything a claim needs of a root, in one slot. {_claimOne} reads it with the bit layout below.
    struct RootRecord {
        uint40 activatesAt; // bits 0-39: claims verify against the root from then on ...
        uint40 supersededAt; // bits 40-79: ... until then (type(uint40).max while it is the latest root)
        uint64 epoch; // bits 80-143 (0: no such root)
        bool paused; // bits 144-151: mirrors Pausable while this root can still be claimed against
    }

    uint256 private constant _SUPERSEDED_AT_SHIFT = 40;
    uint256 private constant _EPOCH_SHIFT = 80;
    uint256 private constant _PAUSED_SHIFT = 144;
    uint40 private constant _NEVER = type(uint40).max;

    IERC20 private immutable _token;

    uint64 private _lastEpoch;
    uint48 private _activationDelay;
    uint16 private _protocolFeeBps;

    bytes32 private _latestRoot; // the last root published and not revoked: pending or active
    bytes32 private _previousRoot; // the one before it: active until `_latestRoot` activates
    uint256 private _latestTotal;
    uint256 private _previousTotal;
    uint256 private _totalDeposited;

    mapping(bytes32 root => RootRecord) private _roots;
    mapping(address account => uint256) private _claimed;

    /**
     * @param token_ The token held and paid (SAHARA).
     * @param admin Holds DEFAULT_ADMIN_ROLE: the DAO timelock in production.
     * @param settler Gets SETTLER_ROLE unless zero.
     * @param guardian Gets GUARDIAN_ROLE unless zero.
     * @param activationDelay_ Seconds between publishing a root and its activation.
     */
    constructor(IERC20 token_, address admin, address settler, address guardian, uint256 activationDelay_) {
        if (address(token_).code.length == 0) revert RevenueVaultInvalidToken(address(token_));
        if (admin == address(0)) revert RevenueVaultInvalidAdmin(admin);
        _token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        if (settler != address(0)) _grantRole(SETTLER_ROLE, settler);
        if (guardian != address(0)) _grantRole(GUARDIAN_ROLE, guardian);
        _setActivationDelay(activationDelay_);
    }

    // ---------------------------------------------------------------------------------------------
    // Roots

    /// @inheritdoc IRevenueVault
    function publishRoot(uint256 epoch, bytes32 root, uint256 total) external onlyRole(SETTLER_ROLE) whenNotPaused {
        if (root == bytes32(0)) revert RevenueVaultInvalidRoot(root);
        uint256 last = _lastEpoch;
        if (epoch <= last) revert RevenueVaultEpochNotIncreasing(epoch, last);
        RootRecord storage record = _roots[root];
        // A revoked root (empty window, never claimable) may come back; any other may not.
        if (record.epoch != 0 && record.supersededAt != 0) revert RevenueVaultRootAlreadyPublished(root, record.epoch);
        bytes32 latest = _latestRoot;
        RootRecord storage latestRecord = _roots[latest];
        if (latest != bytes32(0) && block.timestamp < latestRecord.activatesAt) {
            revert RevenueVaultRootPending(latestRecord.epoch, latestRecord.activatesAt);
        }
        // From here on `latest` (if any) is the active root and `_previousRoot` is spent.
        uint256 activeTotal = _latestTotal;
        if (total < activeTotal) revert RevenueVaultTotalDecreased(total, activeTotal);
        uint256 deposited = _totalDeposited;
        if (total > deposited) revert RevenueVaultInsufficientDeposits(total, deposited, total - deposited);

        uint64 epoch64 = SafeCast.toUint64(epoch);
        uint40 activatesAt = SafeCast.toUint40(block.timestamp + _activationDelay);
        if (latest != bytes32(0)) latestRecord.supersededAt = activatesAt;
        _previousRoot = latest;
        _previousTotal = activeTotal;
        _latestRoot = root;
        _latestTotal = total;
        _lastEpoch = epoch64;
        _roots[root] = RootRecord({
            activatesAt: activatesAt,
            supersededAt: _NEVER,
            epoch: epoch64,
            paused: false
        });
        emit RootPublished(epoch, root, total, activatesAt);
    }

    /// @inheritdoc IRevenueVault
    function revokeRoot(uint256 epoch) external {
        _checkGuardianOrAdmin();
        bytes32 latest = _latestRoot;
        RootRecord storage record = _roots[latest];
        if (latest == bytes32(0) || record.epoch != epoch) {
            if (epoch != 0 && epoch == _roots[_previousRoot].epoch) revert RevenueVaultRootAlreadyActive(epoch);
            revert RevenueVaultNoPendingRoot(epoch);
        }
        if (block.timestamp >= record.activatesAt) revert RevenueVaultRootAlreadyActive(epoch);

        bytes32 previous = _previousRoot;
        // An empty window (supersededAt 0 marks a revoked root) makes it unclaimable.
        record.activatesAt = _NEVER;
        record.supersededAt = 0;
        if (previous != bytes32(0)) _roots[previous].supersededAt = _NEVER;
        _latestRoot = previous;
        _latestTotal = _previousTotal;
        _previousRoot = bytes32(0); // the one before was spent when `latest` was published
        _previousTotal = 0;
        emit RootRevoked(epoch, msg.sender);
    }

    // ---------------------------------------------------------------------------------------------
    // Revenue

    /// @inheritdoc IRevenueVault
    function deposit(uint256 assetId, uint256 amount) external {
        _token.safeTransferFrom(msg.sender, address(this), amount);
        _recordRevenue(assetId, amount);
    }

    /// @inheritdoc IRevenueVault
    function recordRevenue(uint256 assetId, uint256 amount) external onlyRole(REVENUE_SOURCE_ROLE) {
        _recordRevenue(assetId, amount);
    }

    /// @dev Counts `amount` as revenue the vault holds for claims, on behalf of `assetId`.
    function _recordRevenue(uint256 assetId, uint256 amount) private {
        uint256 deposited = _totalDeposited + amount;
        _totalDeposited = deposited;
        emit RevenueDeposited(msg.sender, assetId, amount, deposited);
    }

    // ---------------------------------------------------------------------------------------------
    // Claims

    /// @inheritdoc IRevenueVault
    function claim(address account, uint256 cumulativeAmount, bytes32[] calldata proof) external {
        _claimOne(account, cumulativeAmount, proof);
    }

    /// @inheritdoc IRevenueVault
    function claimMany(
        address[] calldata accounts,
        uint256[] calldata cumulativeAmounts,
        bytes32[][] calldata proofs
    ) external {
        uint256 n = accounts.length;
        if (cumulativeAmounts.length != n || proofs.length != n) {
            revert RevenueVaultLengthMismatch(n, cumulativeAmounts.length, proofs.length);
        }
        for (uint256 i = 0; i < n; ) {
            _claimOne(accounts[i], cumulativeAmounts[i], proofs[i]);
            unchecked {
                ++i;
            }
        }
    }

    /**
     * @dev Verifies and pays one claim. The proof rebuilds a root; that root's record must be in
     * force now (activated, not superseded, not paused). Only the active root's record is, so a proof
     * for any other root, or no root at all, is refused like a wrong proof.
     */
    function _claimOne(address account, uint256 cumulativeAmount, bytes32[] calldata proof) private {
        bytes32 root = _processProof(proof, _leaf(account, cumulativeAmount));
        uint256 record;
        assembly ("memory-safe") {
            mstore(0x00, root)
            mstore(0x20, _roots.slot)
            record := sload(keccak256(0x00, 0x40))
        }
        // In force: activatesAt <= now < supersededAt, not paused (an unknown root has an empty window).
        if (
            uint40(record) > block.timestamp ||
            uint40(record >> _SUPERSEDED_AT_SHIFT) <= block.timestamp ||
            uint8(record >> _PAUSED_SHIFT) != 0
        ) _refuseClaim(account, cumulativeAmount);

        uint256 previous = _claimed[account];
        if (cumulativeAmount <= previous) revert RevenueVaultNothingToClaim(account, cumulativeAmount, previous);
        uint256 amount;
        unchecked {
            amount = cumulativeAmount - previous;
        }
        _claimed[account] = cumulativeAmount;
        _token.safeTransfer(account, amount);
        emit Claimed(account, amount, cumulativeAmount, uint64(record >> _EPOCH_SHIFT));
    }

    /// @dev Reverts with why a claim's root is not in force: paused, no active root, or a wrong proof.
    function _refuseClaim(address account, uint256 cumulativeAmount) private view {
        _requireNotPaused();
        (bytes32 root, uint256 epoch, ) = _activeRoot();
        if (root == bytes32(0)) revert RevenueVaultNoActiveRoot();
        revert RevenueVaultInvalidProof(account, cumulativeAmount, epoch);
    }

    /// @dev The StandardMerkleTree leaf `keccak256(bytes.concat(keccak256(abi.encode(account, amount))))`.
    function _leaf(address account, uint256 amount) private pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            mstore(0x00, account)
            mstore(0x20, amount)
            mstore(0x00, keccak256(0x00, 0x40))
            leaf := keccak256(0x00, 0x20)
        }
    }

    /// @dev {MerkleProof-processProofCalldata} (sorted pairs) without its per-level bounds checks.
    function _processProof(bytes32[] calldata proof, bytes32 leaf) private pure returns (bytes32 node) {
        assembly ("memory-safe") {
            node := leaf
            if proof.length {
                let p := proof.offset
                let end := add(p, shl(5, proof.length))
                for {} 1 {} {
                    let sibling := calldataload(p)
                    let first := shl(5, gt(node, sibling)) // the smaller of the two is hashed first
                    mstore(first, node)
                    mstore(xor(first, 0x20), sibling)
                    node := keccak256(0x00, 0x40)
                    p := add(p, 0x20)
                    if iszero(lt(p, end)) {
                        break
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Administration

    /// @inheritdoc IRevenueVault
    function setActivationDelay(uint256 newDelay) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setActivationDelay(newDelay);
    }

    function _setActivationDelay(uint256 newDelay) private {
        if (newDelay > MAX_ACTIVATION_DELAY) revert RevenueVaultActivationDelayTooLong(newDelay, MAX_ACTIVATION_DELAY);
        uint256 oldDelay = _activationDelay;
        _activationDelay = uint48(newDelay);
        emit ActivationDelaySet(oldDelay, newDelay);
    }

    /// @inheritdoc IRevenueVault
    function setProtocolFeeBps(uint16 feeBps) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (feeBps > MAX_PROTOCOL_FEE_BPS) revert RevenueVaultProtocolFeeTooHigh(feeBps, MAX_PROTOCOL_FEE_BPS);
        uint16 previous = _protocolFeeBps;
        _protocolFeeBps = feeBps;
        emit ProtocolFeeSet(previous, feeBps);
    }

    /// @inheritdoc IRevenueVault
    function protocolFeeBps() external view returns (uint16) {
        return _protocolFeeBps;
    }

    /// @inheritdoc IRevenueVault
    function pause() external {
        _checkGuardianOrAdmin();
        _pause();
        _setRootsPaused(true);
    }

    /// @inheritdoc IRevenueVault
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
        _setRootsPaused(false);
    }

    /// @dev Copies the pause flag into the records of the roots that can be claimed against now or
    /// later (nothing can be published while paused, so no other root appears before unpausing).
    function _setRootsPaused(bool paused_) private {
        bytes32 latest = _latestRoot;
        bytes32 previous = _previousRoot;
        if (latest != bytes32(0)) _roots[latest].paused = paused_;
        if (previous != bytes32(0)) _roots[previous].paused = paused_;
    }

    /// @dev Reverts with {AccessControlUnauthorizedAccount} (naming GUARDIAN_ROLE) unless the caller
    /// is a guardian or an admin.
    function _checkGuardianOrAdmin() private view {
        if (!hasRole(GUARDIAN_ROLE, msg.sender) && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) {
            revert AccessControlUnauthorizedAccount(msg.sender, GUARDIAN_ROLE);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Views

    /// @inheritdoc IRevenueVault
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @inheritdoc IRevenueVault
    function activeRoot() external view returns (bytes32 root, uint256 epoch, uint256 total) {
        return _activeRoot();
    }

    /// @inheritdoc IRevenueVault
    function pendingRoot() external view returns (bytes32 root, uint256 epoch, uint256 total, uint256 activatesAt) {
        bytes32 latest = _latestRoot;
        RootRecord storage record = _roots[latest];
        if (latest == bytes32(0) || record.activatesAt <= block.timestamp) return (bytes32(0), 0, 0, 0);
        return (latest, record.epoch, _latestTotal, record.activatesAt);
    }

    /// @inheritdoc IRevenueVault
    function lastEpoch() external view returns (uint256) {
        return _lastEpoch;
    }

    /// @inheritdoc IRevenueVault
    function activationDelay() external view returns (uint256) {
        return _activationDelay;
    }

    /// @inheritdoc IRevenueVault
    function claimed(address account) external view returns (uint256) {
        return _claimed[account];
    }

    /// @inheritdoc IRevenueVault
    function totalDeposited() external view returns (uint256) {
        return _totalDeposited;
    }

    /// @inheritdoc IRevenueVault
    function totalCommitted() external view returns (uint256 total) {
        (, , total) = _activeRoot();
    }

    /// @dev The latest root if its activation time has passed, else the one before it (zeros if none).
    function _activeRoot() private view returns (bytes32 root, uint256 epoch, uint256 total) {
        bytes32 latest = _latestRoot;
        if (latest != bytes32(0) && _roots[latest].activatesAt <= block.timestamp) {
            return (latest, _roots[latest].epoch, _latestTotal);
        }
        bytes32 previous = _previousRoot;
        if (previous == bytes32(0)) return (bytes32(0), 0, 0);
        return (previous, _roots[previous].epoch, _previousTotal);
    }
}
