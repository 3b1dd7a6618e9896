"""SaharaToken: fixed genesis supply, ERC-20 errors, ERC-2612 permit, ERC-5805 votes on a timestamp clock.

Errors in the ABI that no call can reach, so no test triggers them:
- ERC20InvalidSender: only `_transfer`/`_burn` raise it for `from == address(0)`; the token exposes no
  burn, and `transferFrom(address(0), ...)` fails earlier in `_spendAllowance` (see
  test_transfer_from_zero_address_reverts_with_invalid_approver).
- ECDSAInvalidSignatureLength: permit and delegateBySig take (v, r, s), never a byte string.
- SafeCastOverflowedUintDowncast: the vote amounts fit in uint208 (the supply is capped first, see
  ERC20ExceededSafeSupply) and the clock is a uint48 timestamp.
- CheckpointUnorderedInsertion: checkpoints are keyed by block timestamps, which never decrease.
- StringTooLong / InvalidShortString: the EIP-712 name "Sahara" and version "1" are constants.
"""

import pytest
from eth_account.messages import encode_typed_data

from sahara_dao.token import permit as permits


def test_genesis_mints_fixed_supply_to_allocation(
    token, timelock, vesting_wallet, deployer, voter, holder, abstainer, proposer, params
):
    """The genesis allocation mints exactly the fixed 10 billion SAHARA to its recipients."""
    assert token.name() == "Sahara"
    assert token.symbol() == "SAHARA"
    assert token.decimals() == 18
    assert token.TOTAL_SUPPLY() == 10_000_000_000 * 10**18
    assert token.totalSupply() == params.TOTAL_SUPPLY
    assert token.balanceOf(timelock) == params.TREASURY
    assert token.balanceOf(vesting_wallet) == params.VESTING
    assert token.balanceOf(voter) == params.VOTER
    assert token.balanceOf(holder) == params.HOLDER
    assert token.balanceOf(abstainer) == params.ABSTAINER
    assert token.balanceOf(proposer) == params.PROPOSER
    assert token.balanceOf(deployer) == params.DEPLOYER


def test_genesis_emits_one_mint_per_recipient(project, chain, deployer, voter, holder, params):
    """Deploying the token emits a Transfer from address zero for every genesis recipient."""
    amounts = [params.TOTAL_SUPPLY - 7 * params.E, 7 * params.E]
    token = project.SaharaToken.deploy([voter.address, holder.address], amounts, sender=deployer)
    mints = chain.get_receipt(token.txn_hash).events.filter(token.Transfer)
    assert [(m.event_arguments["from"], m.to, m.value) for m in mints] == [
        (params.ZERO_ADDRESS, voter.address, amounts[0]),
        (params.ZERO_ADDRESS, holder.address, amounts[1]),
    ]


def test_genesis_rejects_length_mismatch(project, deployer, voter, holder, params, reverts):
    """Genesis recipients and amounts of different lengths revert with both lengths."""
    with reverts(project.SaharaToken.SaharaTokenGenesisLengthMismatch, recipients=2, amounts=1):
        project.SaharaToken.deploy([voter, holder], [params.TOTAL_SUPPLY], sender=deployer)


def test_genesis_rejects_allocation_below_total_supply(project, deployer, voter, params, reverts):
    """A genesis allocation one base unit short of the total supply reverts."""
    short = params.TOTAL_SUPPLY - 1
    with reverts(
        project.SaharaToken.SaharaTokenGenesisSupplyMismatch, allocated=short, expected=params.TOTAL_SUPPLY
    ):
        project.SaharaToken.deploy([voter], [short], sender=deployer)


def test_genesis_rejects_allocation_above_total_supply(project, deployer, voter, holder, params, reverts):
    """A genesis allocation one base unit over the total supply reverts."""
    with reverts(
        project.SaharaToken.SaharaTokenGenesisSupplyMismatch,
        allocated=params.TOTAL_SUPPLY + 1,
        expected=params.TOTAL_SUPPLY,
    ):
        project.SaharaToken.deploy([voter, holder], [params.TOTAL_SUPPLY, 1], sender=deployer)


def test_genesis_rejects_empty_allocation(project, deployer, params, reverts):
    """An empty genesis allocation reverts because it mints nothing."""
    with reverts(
        project.SaharaToken.SaharaTokenGenesisSupplyMismatch, allocated=0, expected=params.TOTAL_SUPPLY
    ):
        project.SaharaToken.deploy([], [], sender=deployer)


def test_genesis_rejects_zero_address_recipient(project, deployer, params, reverts):
    """Minting genesis tokens to the zero address reverts with ERC20InvalidReceiver."""
    with reverts(project.SaharaToken.ERC20InvalidReceiver, receiver=params.ZERO_ADDRESS):
        project.SaharaToken.deploy([params.ZERO_ADDRESS], [params.TOTAL_SUPPLY], sender=deployer)


def test_genesis_rejects_amount_above_votes_safe_supply(project, deployer, voter, reverts):
    """A genesis amount beyond uint208 hits the ERC20Votes supply cap before the sum check."""
    with reverts(project.SaharaToken.ERC20ExceededSafeSupply, increasedSupply=2**208, cap=2**208 - 1):
        project.SaharaToken.deploy([voter], [2**208], sender=deployer)


def test_transfer_moves_balance_and_delegated_votes(token, voter, holder, params):
    """A transfer between self-delegated holders moves both balance and votes."""
    amount = 1_000 * params.E
    receipt = token.transfer(holder, amount, sender=voter)
    assert token.balanceOf(voter) == params.VOTER - amount
    assert token.balanceOf(holder) == params.HOLDER + amount
    assert token.getVotes(voter) == params.VOTER - amount
    assert token.getVotes(holder) == params.HOLDER + amount
    [transfer] = receipt.events.filter(token.Transfer)
    assert (transfer.event_arguments["from"], transfer.to, transfer.value) == (
        voter.address,
        holder.address,
        amount,
    )


def test_transfer_above_balance_reverts(token, proposer, other, params, reverts):
    """Transferring more than the balance reverts with the sender, balance and amount."""
    with reverts(
        token.ERC20InsufficientBalance, sender=proposer, balance=params.PROPOSER, needed=params.PROPOSER + 1
    ):
        token.transfer(other, params.PROPOSER + 1, sender=proposer)


def test_transfer_to_zero_address_reverts(token, voter, params, reverts):
    """Transferring to the zero address reverts with ERC20InvalidReceiver."""
    with reverts(token.ERC20InvalidReceiver, receiver=params.ZERO_ADDRESS):
        token.transfer(params.ZERO_ADDRESS, 1, sender=voter)


def test_transfer_from_spends_allowance(token, voter, spender, recipient, params):
    """transferFrom moves tokens for the owner and lowers the spender's allowance."""
    token.approve(spender, 10 * params.E, sender=voter)
    token.transferFrom(voter, recipient, 4 * params.E, sender=spender)
    assert token.balanceOf(recipient) == 4 * params.E
    assert token.allowance(voter, spender) == 6 * params.E


def test_transfer_from_above_allowance_reverts(token, voter, spender, recipient, params, reverts):
    """transferFrom beyond the allowance reverts with the spender, allowance and amount."""
    token.approve(spender, 10 * params.E, sender=voter)
    with reverts(
        token.ERC20InsufficientAllowance, spender=spender, allowance=10 * params.E, needed=11 * params.E
    ):
        token.transferFrom(voter, recipient, 11 * params.E, sender=spender)


def test_transfer_from_zero_address_reverts_with_invalid_approver(token, spender, recipient, params, reverts):
    """A zero-value transferFrom from the zero address reverts with ERC20InvalidApprover."""
    # This is as close as a caller gets to ERC20InvalidSender: the allowance update runs first.
    with reverts(token.ERC20InvalidApprover, approver=params.ZERO_ADDRESS):
        token.transferFrom(params.ZERO_ADDRESS, recipient, 0, sender=spender)


def test_approve_zero_address_spender_reverts(token, voter, params, reverts):
    """Approving the zero address as spender reverts with ERC20InvalidSpender."""
    with reverts(token.ERC20InvalidSpender, spender=params.ZERO_ADDRESS):
        token.approve(params.ZERO_ADDRESS, 1, sender=voter)


def test_permit_sets_allowance_from_signature(token, chain, holder, spender, recipient, sign_permit, params):
    """A valid ERC-2612 permit, relayed by the spender, sets the allowance and uses the nonce."""
    deadline = chain.pending_timestamp + 3600
    signed = sign_permit(holder, spender, 50 * params.E, deadline)
    receipt = token.permit(
        holder,
        spender,
        50 * params.E,
        deadline,
        signed.v,
        signed.r.to_bytes(32, "big"),
        signed.s.to_bytes(32, "big"),
        sender=spender,
    )
    [approval] = receipt.events.filter(token.Approval)
    assert (approval.owner, approval.spender, approval.value) == (
        holder.address,
        spender.address,
        50 * params.E,
    )
    assert token.allowance(holder, spender) == 50 * params.E
    assert token.nonces(holder) == 1
    token.transferFrom(holder, recipient, 50 * params.E, sender=spender)
    assert token.balanceOf(recipient) == 50 * params.E


def test_permit_after_deadline_reverts(token, chain, holder, spender, sign_permit, reverts):
    """A permit submitted after its deadline reverts with ERC2612ExpiredSignature."""
    deadline = chain.pending_timestamp + 60
    signed = sign_permit(holder, spender, 1, deadline)
    chain.mine(deltatime=120)
    with reverts(token.ERC2612ExpiredSignature, deadline=deadline):
        token.permit(
            holder,
            spender,
            1,
            deadline,
            signed.v,
            signed.r.to_bytes(32, "big"),
            signed.s.to_bytes(32, "big"),
            sender=spender,
        )
    assert token.allowance(holder, spender) == 0


def test_permit_signed_by_another_key_reverts(token, chain, holder, other, spender, sign_permit, reverts):
    """A permit for the holder signed with another account's key reverts with ERC2612InvalidSigner."""
    deadline = chain.pending_timestamp + 3600
    signed = sign_permit(holder, spender, 1, deadline, signer=other)
    with reverts(token.ERC2612InvalidSigner, signer=other, owner=holder):
        token.permit(
            holder,
            spender,
            1,
            deadline,
            signed.v,
            signed.r.to_bytes(32, "big"),
            signed.s.to_bytes(32, "big"),
            sender=spender,
        )


def test_permit_replay_reverts(token, chain, holder, spender, sign_permit, reverts):
    """Replaying a used permit reverts: its nonce is spent, so it no longer recovers to the owner."""
    deadline = chain.pending_timestamp + 3600
    signed = sign_permit(holder, spender, 1, deadline)
    args = (
        holder,
        spender,
        1,
        deadline,
        signed.v,
        signed.r.to_bytes(32, "big"),
        signed.s.to_bytes(32, "big"),
    )
    token.permit(*args, sender=spender)
    with reverts(token.ERC2612InvalidSigner, owner=holder) as info:
        token.permit(*args, sender=spender)
    assert info.inputs["signer"] != holder.address


def test_permit_with_malformed_signature_reverts(token, chain, holder, spender, reverts):
    """A permit whose signature recovers to nothing or has a high s value reverts in ECDSA."""
    deadline = chain.pending_timestamp + 3600
    with reverts(token.ECDSAInvalidSignature):
        token.permit(holder, spender, 1, deadline, 27, b"\x00" * 32, b"\x00" * 32, sender=spender)
    high_s = (2**256 - 1).to_bytes(32, "big")
    with reverts(token.ECDSAInvalidSignatureS, s=high_s):
        token.permit(holder, spender, 1, deadline, 27, b"\x01" * 32, high_s, sender=spender)


@pytest.mark.parametrize("part", ["r", "s"])
def test_permit_signed_by_an_ape_account_with_a_short_r_or_s_is_accepted(token, chain, holder, spender, params, part):
    """sahara_dao's sign_permit, signing with an Ape account, left-pads an r or s that has a leading
    zero byte (one signature in 128): the demo's purchases by permit reverted when it did not."""
    deadline = chain.pending_timestamp + 3600
    domain = {"name": token.name(), "version": "1", "chainId": chain.chain_id, "verifyingContract": token.address}
    message = {"owner": holder.address, "spender": spender.address, "nonce": token.nonces(holder), "deadline": deadline}

    def unpadded(value):  # signatures are deterministic (RFC 6979): Ape's r and s as it gives them
        return getattr(holder.sign_message(encode_typed_data(domain, permits.PERMIT_TYPES, {**message, "value": value})), part)

    value = next(value for value in range(1, 100_000) if len(unpadded(value)) < 32)
    v, r, s = permits.sign_permit(token, holder, spender.address, value, deadline, chain.chain_id)
    assert len(r) == len(s) == 32 and {"r": r, "s": s}[part][0] == 0
    token.permit(holder, spender, value, deadline, v, r, s, sender=spender)
    assert token.allowance(holder, spender) == value


def test_clock_is_block_timestamp(token, chain):
    """The vote clock is the block timestamp and CLOCK_MODE says so (ERC-6372)."""
    assert token.CLOCK_MODE() == "mode=timestamp"
    assert token.clock() == chain.blocks.head.timestamp
    chain.mine(deltatime=1000)
    assert token.clock() == chain.blocks.head.timestamp


def test_votes_are_checkpointed_by_timestamp(token, chain, voter, other, params):
    """getPastVotes answers by timestamp: before, at and after a delegation and a transfer."""
    token.transfer(other, 100 * params.E, sender=voter)
    assert token.getVotes(other) == 0  # a balance counts only once delegated
    chain.mine(deltatime=100)
    delegated = token.invoke_transaction("delegate", other, sender=other)
    assert token.delegates(other) == other.address
    chain.mine(deltatime=100)
    moved = token.transfer(other, 50 * params.E, sender=voter)
    chain.mine(deltatime=100)

    t_delegate, t_transfer = delegated.timestamp, moved.timestamp
    assert token.getVotes(other) == 150 * params.E
    assert token.getPastVotes(other, t_delegate - 1) == 0
    assert token.getPastVotes(other, t_delegate) == 100 * params.E
    assert token.getPastVotes(other, t_transfer - 1) == 100 * params.E
    assert token.getPastVotes(other, t_transfer) == 150 * params.E
    assert token.getPastVotes(voter, t_transfer - 1) == params.VOTER - 100 * params.E
    assert token.getPastVotes(voter, t_transfer) == params.VOTER - 150 * params.E
    assert token.getPastTotalSupply(t_transfer) == params.TOTAL_SUPPLY
    assert token.numCheckpoints(other) == 2
    assert token.checkpoints(other, 0)._key == t_delegate


def test_delegate_emits_delegate_changed_and_moves_votes(token, voter, holder, params):
    """Re-delegating moves all of the delegator's votes to the new delegatee."""
    receipt = token.invoke_transaction("delegate", holder, sender=voter)
    [changed] = receipt.events.filter(token.DelegateChanged)
    assert (changed.delegator, changed.fromDelegate, changed.toDelegate) == (
        voter.address,
        voter.address,
        holder.address,
    )
    assert token.getVotes(voter) == 0
    assert token.getVotes(holder) == params.HOLDER + params.VOTER


def test_past_lookups_at_current_time_revert(token, chain, voter, reverts):
    """getPastVotes and getPastTotalSupply refuse the current or a future timestamp."""
    now = chain.blocks.head.timestamp
    with reverts(token.ERC5805FutureLookup, timepoint=now, clock=now):
        token.getPastVotes(voter, now)
    with reverts(token.ERC5805FutureLookup, timepoint=now + 3600, clock=now):
        token.getPastTotalSupply(now + 3600)


def test_delegate_by_sig_delegates_for_the_signer(token, chain, deployer, other, sign_delegation, params):
    """A signed delegation, relayed by anyone, delegates the signer's votes and uses its nonce."""
    expiry = chain.pending_timestamp + 3600
    signed = sign_delegation(deployer, other, 0, expiry)
    receipt = token.delegateBySig(
        other, 0, expiry, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"), sender=other
    )
    [changed] = receipt.events.filter(token.DelegateChanged)
    assert (changed.delegator, changed.toDelegate) == (deployer.address, other.address)
    assert token.getVotes(other) == params.DEPLOYER
    assert token.nonces(deployer) == 1


def test_delegate_by_sig_after_expiry_reverts(token, chain, deployer, other, sign_delegation, reverts):
    """A signed delegation submitted after its expiry reverts with VotesExpiredSignature."""
    expiry = chain.pending_timestamp + 60
    signed = sign_delegation(deployer, other, 0, expiry)
    chain.mine(deltatime=120)
    with reverts(token.VotesExpiredSignature, expiry=expiry):
        token.delegateBySig(
            other,
            0,
            expiry,
            signed.v,
            signed.r.to_bytes(32, "big"),
            signed.s.to_bytes(32, "big"),
            sender=other,
        )


@pytest.mark.parametrize("replay", [False, True], ids=["future-nonce", "replayed"])
def test_delegate_by_sig_with_wrong_nonce_reverts(
    token, chain, deployer, other, sign_delegation, reverts, replay
):
    """A signed delegation whose nonce is not the signer's current one reverts with InvalidAccountNonce."""
    expiry = chain.pending_timestamp + 3600
    nonce = 0 if replay else 1
    signed = sign_delegation(deployer, other, nonce, expiry)
    args = (other, nonce, expiry, signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big"))
    if replay:
        token.delegateBySig(*args, sender=other)
    with reverts(token.InvalidAccountNonce, account=deployer, currentNonce=1 if replay else 0):
        token.delegateBySig(*args, sender=other)


def test_permit_and_delegation_share_one_nonce(
    token, chain, deployer, other, spender, sign_permit, sign_delegation, reverts
):
    """A permit spends the nonce a pending signed delegation was made with, invalidating it."""
    expiry = chain.pending_timestamp + 3600
    delegation = sign_delegation(deployer, other, 0, expiry)
    permit = sign_permit(deployer, spender, 1, expiry)
    token.permit(
        deployer,
        spender,
        1,
        expiry,
        permit.v,
        permit.r.to_bytes(32, "big"),
        permit.s.to_bytes(32, "big"),
        sender=spender,
    )
    with reverts(token.InvalidAccountNonce, account=deployer, currentNonce=1):
        token.delegateBySig(
            other,
            0,
            expiry,
            delegation.v,
            delegation.r.to_bytes(32, "big"),
            delegation.s.to_bytes(32, "big"),
            sender=other,
        )
