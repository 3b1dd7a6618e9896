// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Permit.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";

import {DelegationSurrogate} from "./DelegationSurrogate.sol";

/**
 * @title SaharaStaking
 * @notice Stake SAHARA, keep its votes, earn SAHARA.
 *
 * Votes. Staked tokens never sit in this contract: they sit in a {DelegationSurrogate} per
 * delegatee, which delegates them to that delegatee (UniStaker's pattern). A staker names a
 * delegatee when staking (themselves, to keep their own votes) and can move to another with
 * {changeDelegatee}. All of an account's stake votes through one delegatee: staking more under a
 * different delegatee reverts rather than silently re-delegating the existing stake.
 *
 * Unbonding. {requestUnstake} moves stake into the account's unbonding queue, which stops earning
 * at once and can be withdrawn {cooldown} seconds later with {withdraw}. Queued tokens stay in the
 * surrogate until withdrawn, so they keep voting through the account's delegatee (and follow it
 * on {changeDelegatee}): unbonding is a wait, not a loss of voice. A new request adds to the queue
 * and restarts its clock with the cooldown in force at that moment; changing the cooldown does not
 * move unlock times already set.
 *
 * Rewards follow Synthetix's StakingRewards accumulator, with its known faults designed out:
 * - Nothing staked, nothing emitted: while {totalStaked} is zero the emission clock stands still
 *   and the period's end moves out by as long, so rewards notified before anyone stakes, or left
 *   running after everyone has left, are emitted in full once stake comes back.
 * - No dust lost to truncation: reward accounting is kept in units of 1e-18 wei. The rate is the
 *   undistributed budget over the duration (`undistributed * 1e18 / duration`), each accrual adds
 *   `elapsed * rate / totalStaked` to the reward per token and takes exactly `increment *
 *   totalStaked` from the budget, so what truncation leaves stays in the budget; a staker's
 *   earnings are credited exactly (`staked * (rewardPerToken - paid)`, no division) and only whole
 *   wei are paid, the fraction staying with the staker. Every notification spreads the whole
 *   undistributed budget, carried remainders included, over its new period.
 * - Stake is never paid out as reward, although both are SAHARA: stake lives in the surrogates, and
 *   this contract holds only rewards. {notifyRewardAmount} also checks (the check some forks drop)
 *   that this contract holds every reward funded and not yet paid, the new amount included.
 *
 * The token must be a plain ERC-20 with ERC-5805 votes and ERC-2612 permit, without transfer hooks
 * (SAHARA).
 */
contract SaharaStaking is AccessControl {
    using SafeERC20 for IERC20;

    /// @notice The role that may fund reward periods with {notifyRewardAmount}; the admin grants it.
    bytes32 public constant REWARD_DISTRIBUTOR_ROLE = keccak256("REWARD_DISTRIBUTOR_ROLE");

    /// @notice Reward amounts are accounted in units of 1 / REWARD_PRECISION wei.
    uint256 public constant REWARD_PRECISION = 1e18;

    /// @notice The longest cooldown the admin can set: stake can never be locked for longer.
    uint256 public constant MAX_COOLDOWN = 90 days;

    /// @notice The longest reward period one notification can set.
    uint256 public constant MAX_REWARD_DURATION = 5 * 365 days;

    struct Staker {
        uint256 staked; // earning stake
        uint256 unbonding; // requested, not withdrawn: votes, does not earn
        uint64 unlockTime; // when `unbonding` can be withdrawn
        address delegatee; // votes for all of `staked + unbonding`
        uint256 rewardPerTokenPaid; // the reward per token up to which `rewards` is credited
        uint256 rewards; // earned and not paid, in 1e-18 wei
    }

    IERC20 private immutable _token;

    uint256 private _cooldown;
    uint256 private _totalStaked;
    uint256 private _totalUnbonding;

    uint256 private _rewardRate; // 1e-18 wei a second
    uint64 private _lastUpdateTime;
    uint64 private _periodFinish;
    uint256 private _rewardPerTokenStored; // 1e-18 wei of reward per wei staked
    uint256 private _undistributed; // funded, not yet credited to stakers, in 1e-18 wei
    uint256 private _rewardsOutstanding; // funded and not yet paid, in wei

    mapping(address account => Staker) private _stakers;
    mapping(address delegatee => DelegationSurrogate) private _surrogates;

    /**
     * @notice `account` staked `amount`, voting through `delegatee`.
     */
    event Staked(address indexed account, address indexed delegatee, uint256 amount);

    /**
     * @notice `account` moved `amount` from its stake into its unbonding queue, which can be
     * withdrawn from `unlockTime` on.
     */
    event UnstakeRequested(address indexed account, uint256 amount, uint256 unlockTime);

    /// @notice `account` withdrew `amount` from its unbonding queue.
    event Withdrawn(address indexed account, uint256 amount);

    /// @notice `account` was paid `reward`.
    event RewardPaid(address indexed account, uint256 reward);

    /**
     * @notice `account` moved its `amount` of staked and unbonding tokens from `oldDelegatee`'s
     * surrogate to `newDelegatee`'s.
     */
    event DelegateeChanged(
        address indexed account,
        address indexed oldDelegatee,
        address indexed newDelegatee,
        uint256 amount
    );

    /**
     * @notice `amount` was added to the rewards: the whole undistributed budget is now emitted at
     * `rewardRateScaled` (1e-18 wei a second) until `periodFinish` (later if stake runs out).
     */
    event RewardAdded(uint256 amount, uint256 duration, uint256 rewardRateScaled, uint256 periodFinish);

    /// @notice The unbonding cooldown changed from `oldCooldown` to `newCooldown` seconds.
    event CooldownChanged(uint256 oldCooldown, uint256 newCooldown);

    /// @notice The surrogate holding the stake delegated to `delegatee` was deployed at `surrogate`.
    event SurrogateDeployed(address indexed delegatee, address surrogate);

    /// @notice A stake, unstake request or exit of nothing.
    error SaharaStakingZeroAmount();

    /// @notice The zero address cannot be a delegatee.
    error SaharaStakingZeroDelegatee();

    /**
     * @notice `account` holds stake voting through `current` and tried to stake more through
     * `requested`; call {changeDelegatee} first.
     */
    error SaharaStakingDelegateeMismatch(address account, address current, address requested);

    /// @notice `account` asked to unstake `requested` but has only `staked`.
    error SaharaStakingInsufficientStake(address account, uint256 staked, uint256 requested);

    /// @notice `account` has nothing in its unbonding queue.
    error SaharaStakingNothingToWithdraw(address account);

    /// @notice `account`'s unbonding queue unlocks at `unlockTime`, not yet.
    error SaharaStakingStillUnbonding(address account, uint256 unlockTime);

    /// @notice `account` has neither stake nor unbonding tokens to re-delegate.
    error SaharaStakingNothingStaked(address account);

    /// @notice `account` already votes through `delegatee`.
    error SaharaStakingSameDelegatee(address account, address delegatee);

    /// @notice A reward notification of nothing.
    error SaharaStakingZeroRewardAmount();

    /// @notice A reward period must last between one second and `maxDuration` seconds.
    error SaharaStakingInvalidRewardDuration(uint256 duration, uint256 maxDuration);

    /**
     * @notice This contract holds `balance`, less than the `required` rewards funded and not yet
     * paid (the new amount included): transfer the rewards in before notifying.
     */
    error SaharaStakingInsufficientRewardBalance(uint256 balance, uint256 required);

    /// @notice `cooldown` is longer than `maxCooldown`.
    error SaharaStakingCooldownTooLong(uint256 cooldown, uint256 maxCooldown);

    /**
     * @param token The staked and reward token (SAHARA).
     * @param admin Holds DEFAULT_ADMIN_ROLE: grants {REWARD_DISTRIBUTOR_ROLE} and sets the cooldown
     * (the DAO timelock in production).
     * @param initialCooldown The unbonding cooldown in seconds, at most {MAX_COOLDOWN}.
     */
    constructor(IERC20 token, address admin, uint256 initialCooldown) {
        _token = token;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setCooldown(initialCooldown);
    }

    // ---------------------------------------------------------------------------------------------
    // Staking
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Stakes `amount` of the caller's SAHARA, voting through `delegatee`.
     * @dev The caller must have approved this contract for `amount`. If the caller already holds
     * stake or unbonding tokens, `delegatee` must be their current delegatee. Deploys the
     * delegatee's surrogate on first use ({SurrogateDeployed}). Emits {Staked}.
     * @param amount Base units to stake.
     * @param delegatee Receives the votes of the caller's stake (the caller, to keep them).
     */
    function stake(uint256 amount, address delegatee) external {
        _stake(msg.sender, amount, delegatee);
    }

    /**
     * @notice {stake} with an ERC-2612 permit for `amount` instead of a prior approval.
     * @dev A permit that fails (for example because someone front-ran it) is ignored: the stake
     * then goes through if the allowance is there anyway, and reverts in the token otherwise.
     * @param amount Base units to stake.
     * @param delegatee Receives the votes of the caller's stake.
     * @param deadline The permit's deadline.
     * @param v The permit signature's v.
     * @param r The permit signature's r.
     * @param s The permit signature's s.
     */
    function stakeWithPermit(
        uint256 amount,
        address delegatee,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        try IERC20Permit(address(_token)).permit(msg.sender, address(this), amount, deadline, v, r, s) {} catch {}
        _stake(msg.sender, amount, delegatee);
    }

    /**
     * @notice Moves `amount` of the caller's stake into the unbonding queue: it stops earning now,
     * keeps voting, and can be withdrawn {cooldown} seconds from now.
     * @dev Restarts the clock of everything already queued. Emits {UnstakeRequested}.
     * @param amount Base units to unstake, at most {stakedOf} the caller.
     */
    function requestUnstake(uint256 amount) external {
        _requestUnstake(msg.sender, amount);
    }

    /**
     * @notice Pays the caller its whole unbonding queue, once unlocked.
     * @dev Emits {Withdrawn}.
     */
    function withdraw() external {
        Staker storage staker = _stakers[msg.sender];
        uint256 amount = staker.unbonding;
        if (amount == 0) revert SaharaStakingNothingToWithdraw(msg.sender);
        if (block.timestamp < staker.unlockTime) {
            revert SaharaStakingStillUnbonding(msg.sender, staker.unlockTime);
        }
        staker.unbonding = 0;
        _totalUnbonding -= amount;
        emit Withdrawn(msg.sender, amount);
        _token.safeTransferFrom(address(_surrogates[staker.delegatee]), msg.sender, amount);
    }

    /**
     * @notice Pays the caller the whole wei of its earned rewards.
     * @dev Emits {RewardPaid} when it pays anything.
     * @return reward What was paid, in base units.
     */
    function getReward() external returns (uint256 reward) {
        return _getReward(msg.sender);
    }

    /**
     * @notice Queues the caller's whole stake for withdrawal and pays its rewards: {requestUnstake}
     * of {stakedOf} the caller, then {getReward}.
     * @return reward The rewards paid, in base units.
     */
    function exit() external returns (uint256 reward) {
        _requestUnstake(msg.sender, _stakers[msg.sender].staked);
        return _getReward(msg.sender);
    }

    /**
     * @notice Moves the votes of all the caller's staked and unbonding tokens to `newDelegatee`.
     * @dev Moves the tokens between the two surrogates, deploying the new one if needed. Rewards
     * and unlock time are unaffected. Emits {DelegateeChanged}.
     * @param newDelegatee Receives the votes from now on.
     */
    function changeDelegatee(address newDelegatee) external {
        if (newDelegatee == address(0)) revert SaharaStakingZeroDelegatee();
        Staker storage staker = _stakers[msg.sender];
        uint256 amount = staker.staked + staker.unbonding;
        if (amount == 0) revert SaharaStakingNothingStaked(msg.sender);
        address oldDelegatee = staker.delegatee;
        if (newDelegatee == oldDelegatee) revert SaharaStakingSameDelegatee(msg.sender, oldDelegatee);
        address to = _surrogateFor(newDelegatee);
        staker.delegatee = newDelegatee;
        emit DelegateeChanged(msg.sender, oldDelegatee, newDelegatee, amount);
        _token.safeTransferFrom(address(_surrogates[oldDelegatee]), to, amount);
    }

    // ---------------------------------------------------------------------------------------------
    // Administration
    // ---------------------------------------------------------------------------------------------

    /**
     * @notice Adds `amount` to the rewards and emits the whole undistributed budget (this amount,
     * what the running period has not emitted yet and carried remainders) over `duration` seconds.
     * @dev Only {REWARD_DISTRIBUTOR_ROLE}. Transfer the SAHARA here first: this contract must then
     * hold every reward funded and not yet paid, `amount` included. Emits {RewardAdded}.
     * @param amount Base units of SAHARA added.
     * @param duration Seconds of emission, 1 to {MAX_REWARD_DURATION}; the clock stands still
     * while nothing is staked.
     */
    function notifyRewardAmount(uint256 amount, uint256 duration) external onlyRole(REWARD_DISTRIBUTOR_ROLE) {
        if (amount == 0) revert SaharaStakingZeroRewardAmount();
        if (duration == 0 || duration > MAX_REWARD_DURATION) {
            revert SaharaStakingInvalidRewardDuration(duration, MAX_REWARD_DURATION);
        }
        uint256 required = _rewardsOutstanding + amount;
        uint256 balance = _token.balanceOf(address(this));
        if (balance < required) revert SaharaStakingInsufficientRewardBalance(balance, required);

        _accrue();
        _rewardsOutstanding = required;
        uint256 undistributed = _undistributed + amount * REWARD_PRECISION;
        _undistributed = undistributed;
        uint256 rate = undistributed / duration; // the remainder stays undistributed: carried
        _rewardRate = rate;
        uint256 finish = block.timestamp + duration;
        _periodFinish = uint64(finish); // duration <= MAX_REWARD_DURATION: fits
        emit RewardAdded(amount, duration, rate, finish);
    }

    /**
     * @notice Sets the unbonding cooldown for requests made from now on.
     * @dev Only DEFAULT_ADMIN_ROLE. Emits {CooldownChanged}.
     * @param newCooldown Seconds, at most {MAX_COOLDOWN}.
     */
    function setCooldown(uint256 newCooldown) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setCooldown(newCooldown);
    }

    // ---------------------------------------------------------------------------------------------
    // Views
    // ---------------------------------------------------------------------------------------------

    /// @notice The staked and reward token.
    function token() external view returns (IERC20) {
        return _token;
    }

    /// @notice The unbonding cooldown, in seconds, for requests made now.
    function cooldown() external view returns (uint256) {
        return _cooldown;
    }

    /// @notice The stake that earns rewards, all accounts together (unbonding tokens excluded).
    function totalStaked() external view returns (uint256) {
        return _totalStaked;
    }

    /// @notice The tokens in unbonding queues, all accounts together.
    function totalUnbonding() external view returns (uint256) {
        return _totalUnbonding;
    }

    /// @notice `account`'s earning stake.
    function stakedOf(address account) external view returns (uint256) {
        return _stakers[account].staked;
    }

    /**
     * @notice `account`'s unbonding queue.
     * @return amount Base units queued.
     * @return unlockTime When they can be withdrawn (unix seconds).
     */
    function unbonding(address account) external view returns (uint256 amount, uint256 unlockTime) {
        Staker storage staker = _stakers[account];
        return (staker.unbonding, staker.unlockTime);
    }

    /// @notice The delegatee through which `account`'s staked and unbonding tokens vote.
    function delegateeOf(address account) external view returns (address) {
        return _stakers[account].delegatee;
    }

    /// @notice The surrogate holding the tokens delegated to `delegatee` (zero if not deployed yet).
    function surrogate(address delegatee) external view returns (address) {
        return address(_surrogates[delegatee]);
    }

    /// @notice The rewards earned per wei staked since the start, in 1e-18 wei.
    function rewardPerToken() public view returns (uint256 rpt) {
        (rpt, ) = _pendingRewardPerToken();
    }

    /// @notice `account`'s earned and unpaid rewards, in whole base units (what {getReward} pays).
    function earned(address account) external view returns (uint256) {
        Staker storage staker = _stakers[account];
        return _credited(staker, rewardPerToken()) / REWARD_PRECISION;
    }

    /// @notice The current emission rate, in 1e-18 wei a second, while anything is staked.
    function rewardRateScaled() external view returns (uint256) {
        return _rewardRate;
    }

    /**
     * @notice When the current reward period ends: its recorded end, moved out by the time since
     * the last update if nothing is staked now (the clock stands still).
     */
    function periodFinish() external view returns (uint256) {
        uint256 last = _lastUpdateTime;
        uint256 finish = _periodFinish;
        if (_totalStaked == 0 && last < finish) return block.timestamp + (finish - last);
        return finish;
    }

    /// @notice When rewards were last accrued.
    function lastUpdateTime() external view returns (uint256) {
        return _lastUpdateTime;
    }

    /**
     * @notice Funded rewards not yet credited to stakers as of the last update, in 1e-18 wei: the
     * rest of the running period and the remainders carried into the next one.
     */
    function undistributedRewardsScaled() external view returns (uint256) {
        return _undistributed;
    }

    /// @notice Rewards funded and not yet paid, in base units: what this contract must hold.
    function rewardsOutstanding() external view returns (uint256) {
        return _rewardsOutstanding;
    }

    // ---------------------------------------------------------------------------------------------
    // Internals
    // ---------------------------------------------------------------------------------------------

    function _stake(address account, uint256 amount, address delegatee) private {
        if (amount == 0) revert SaharaStakingZeroAmount();
        if (delegatee == address(0)) revert SaharaStakingZeroDelegatee();
        Staker storage staker = _stakers[account];
        address current = staker.delegatee;
        if (current != delegatee) {
            if (staker.staked + staker.unbonding != 0) {
                revert SaharaStakingDelegateeMismatch(account, current, delegatee);
            }
            staker.delegatee = delegatee;
        }
        address to = _surrogateFor(delegatee);
        _updateReward(staker);
        staker.staked += amount;
        _totalStaked += amount;
        emit Staked(account, delegatee, amount);
        _token.safeTransferFrom(account, to, amount);
    }

    function _requestUnstake(address account, uint256 amount) private {
        if (amount == 0) revert SaharaStakingZeroAmount();
        Staker storage staker = _stakers[account];
        uint256 staked = staker.staked;
        if (amount > staked) revert SaharaStakingInsufficientStake(account, staked, amount);
        _updateReward(staker);
        uint256 unlockTime = block.timestamp + _cooldown;
        staker.staked = staked - amount;
        staker.unbonding += amount;
        staker.unlockTime = uint64(unlockTime); // cooldown <= MAX_COOLDOWN: fits
        _totalStaked -= amount;
        _totalUnbonding += amount;
        emit UnstakeRequested(account, amount, unlockTime);
    }

    function _getReward(address account) private returns (uint256 reward) {
        Staker storage staker = _stakers[account];
        _updateReward(staker);
        reward = staker.rewards / REWARD_PRECISION;
        if (reward != 0) {
            staker.rewards -= reward * REWARD_PRECISION; // the fraction of a wei stays credited
            _rewardsOutstanding -= reward;
            emit RewardPaid(account, reward);
            _token.safeTransfer(account, reward);
        }
    }

    function _setCooldown(uint256 newCooldown) private {
        if (newCooldown > MAX_COOLDOWN) revert SaharaStakingCooldownTooLong(newCooldown, MAX_COOLDOWN);
        uint256 oldCooldown = _cooldown;
        _cooldown = newCooldown;
        emit CooldownChanged(oldCooldown, newCooldown);
    }

    /// @dev `delegatee`'s surrogate, deployed with CREATE2 (salt: the delegatee) if it is not yet.
    function _surrogateFor(address delegatee) private returns (address) {
        DelegationSurrogate existing = _surrogates[delegatee];
        if (address(existing) != address(0)) return address(existing);
        DelegationSurrogate created = new DelegationSurrogate{salt: bytes32(uint256(uint160(delegatee)))}(
            _token,
            delegatee
        );
        _surrogates[delegatee] = created;
        emit SurrogateDeployed(delegatee, address(created));
        return address(created);
    }

    /// @dev Credits `staker` with everything earned up to now.
    function _updateReward(Staker storage staker) private {
        uint256 rpt = _accrue();
        staker.rewards = _credited(staker, rpt);
        staker.rewardPerTokenPaid = rpt;
    }

    /// @dev `staker`'s credited rewards, in 1e-18 wei, once the reward per token reaches `rpt`.
    function _credited(Staker storage staker, uint256 rpt) private view returns (uint256) {
        return staker.rewards + staker.staked * (rpt - staker.rewardPerTokenPaid);
    }

    /// @dev Brings the reward per token up to now; returns it.
    function _accrue() private returns (uint256 rpt) {
        uint256 last = _lastUpdateTime;
        if (block.timestamp == last) return _rewardPerTokenStored;
        uint256 distributed;
        (rpt, distributed) = _pendingRewardPerToken();
        if (distributed != 0) {
            _rewardPerTokenStored = rpt;
            _undistributed -= distributed;
        } else if (_totalStaked == 0) {
            uint256 finish = _periodFinish;
            // Nothing earned since `last`: the emission clock stood still, so the period ends later.
            if (last < finish) _periodFinish = uint64(block.timestamp + (finish - last));
        }
        _lastUpdateTime = uint64(block.timestamp);
    }

    /**
     * @dev The reward per token now, and what reaching it takes from the undistributed budget
     * (in 1e-18 wei): `increment * totalStaked`, exactly, so that truncation leaves its remainder
     * in the budget.
     */
    function _pendingRewardPerToken() private view returns (uint256 rpt, uint256 distributed) {
        rpt = _rewardPerTokenStored;
        uint256 total = _totalStaked;
        if (total == 0) return (rpt, 0);
        uint256 last = _lastUpdateTime;
        uint256 end = Math.min(block.timestamp, _periodFinish);
        if (end <= last) return (rpt, 0);
        uint256 increment = ((end - last) * _rewardRate) / total;
        return (rpt + increment, increment * total);
    }
}
