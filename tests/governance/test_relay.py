"""The gasless vote relay (governance/relay.py) on Ape's in-process chain, with SQLite and PostgreSQL."""

import pytest
from relay_scenario import (
    CONFIG,
    EXPECTED,
    REASON_B,
    REASON_C,
    build,
    expected_tally,
    mixed_envelopes,
    treasury_grant,
)
from sqlmodel import select

from sahara_dao.core.db import session_scope
from sahara_dao.core.units import UNIT
from sahara_dao.governance.ballots import parse_envelope
from sahara_dao.governance.deploy import deploy_dao
from sahara_dao.governance.errors import RelayError
from sahara_dao.governance.models import RelayedSignature, RelayStatus
from sahara_dao.governance.relay import (
    Code,
    RelayContracts,
    load_relay_config,
    relay_status,
    sign_delegation,
    sign_vote,
    submit,
)
from sahara_dao.governance.relay_send import relay_pending


@pytest.fixture
def relay_dao(accounts, genesis, params, store, chain):
    record = deploy_dao(
        sender=accounts[0], genesis=genesis, params=params, store=store, network="ethereum:local:test"
    )
    contracts = RelayContracts.from_record(record)
    dev = {i: accounts[i] for i in range(10)}
    return build(chain, contracts, dev, accounts.generate_test_account())


@pytest.fixture
def relay_db(tmp_path, settings_env):
    """A session on a fresh SQLite database, for tests about the chain side (``session`` runs both backends)."""
    with session_scope(f"sqlite:///{tmp_path / 'relay.db'}") as session:
        yield session


@pytest.fixture
def relayer(accounts):
    return accounts[0]


def submit_all(session, scenario, envelopes):
    return {
        label: submit(session, scenario.contracts, envelope, config=CONFIG)
        for label, envelope in envelopes.items()
    }


def vote_events(receipt, governor) -> dict:
    events = list(receipt.events.filter(governor.VoteCast)) + list(
        receipt.events.filter(governor.VoteCastWithParams)
    )
    return {e.voter: (e.support, e.weight, e.reason) for e in events}


def test_a_mixed_batch_casts_the_valid_ballots_and_rejects_the_others(session, relay_dao, relayer, chain):
    """Valid ballots are cast in one Multicall3 batch; each invalid one is stored with its reason, unsent."""
    s, governor = relay_dao, relay_dao.contracts.governor
    rows = submit_all(session, s, mixed_envelopes(s))
    for label, code in EXPECTED.items():
        expected_status = RelayStatus.PENDING if code is None else RelayStatus.REJECTED
        assert (rows[label].status, rows[label].code) == (expected_status, code), (label, rows[label].detail)
    assert "recovers to" in rows["bad signature"].detail and "canceled" in rows["closed vote"].detail
    assert "below the relay's minimum of 1,000" in rows["below minimum"].detail

    before = governor.proposalVotes(s.proposal)
    report = relay_pending(session, s.contracts, relayer, config=CONFIG)
    assert (
        len(report.transactions) == 1 and len(report.cast) == 3 and not report.failed and not report.rejected
    )
    assert tuple(governor.proposalVotes(s.proposal)) == expected_tally()
    assert before[1] == expected_tally()[1] - 500_000_000 * UNIT
    for index in (3, 4, 5):
        assert governor.hasVoted(s.proposal, s.dev[index].address)
    assert not governor.hasVoted(s.proposal, s.nobody.address) and not governor.hasVoted(
        s.proposal, s.dev[7].address
    )
    cast = vote_events(chain.get_receipt(report.transactions[0]), governor)
    assert cast == {
        s.dev[3].address: (1, 500_000_000 * UNIT, ""),
        s.dev[4].address: (0, 5_000 * UNIT, REASON_B),
        s.dev[5].address: (2, 3_000 * UNIT, REASON_C),
    }
    for label in ("plain ballot", "ballot with reason", "abstain with reason"):
        stored = session.get(RelayedSignature, rows[label].id)
        assert (stored.status, stored.tx_hash) == (RelayStatus.CAST, report.transactions[0])

    nonce = relayer.nonce
    again = relay_pending(session, s.contracts, relayer, config=CONFIG)
    assert (again.sent, again.cast, again.failed, again.rejected) == (0, [], [], [])
    assert relayer.nonce == nonce
    resubmitted = submit(session, s.contracts, s.envelopes["plain ballot"], config=CONFIG)
    assert resubmitted.id == rows["plain ballot"].id and resubmitted.status == RelayStatus.CAST
    counts, listed = relay_status(session, s.contracts.chain_id)
    assert counts == {RelayStatus.CAST: 3, RelayStatus.REJECTED: 9} and len(listed) == 12


def test_the_same_signature_twice_is_one_row(session, relay_dao):
    """Submitting an envelope again (even with v spelled 0/1) returns the stored row; no second row appears."""
    s = relay_dao
    envelope = sign_vote(s.contracts, s.dev[3], s.proposal, 1)
    first = submit(session, s.contracts, envelope, config=CONFIG)
    second = submit(session, s.contracts, dict(envelope), config=CONFIG)
    assert first.id == second.id and second.status == RelayStatus.PENDING
    v = int(envelope["signature"][-2:], 16)
    respelled = envelope | {"signature": envelope["signature"][:-2] + f"{v - 27:02x}"}  # v as 0/1
    assert submit(session, s.contracts, respelled, config=CONFIG).id == first.id
    assert len(session.exec(select(RelayedSignature)).all()) == 1


def test_a_ballot_that_became_invalid_is_rejected_before_sending(relay_db, relay_dao, relayer):
    """The voter votes directly after submitting: the batch re-check rejects the ballot, nothing is sent."""
    s = relay_dao
    row = submit(relay_db, s.contracts, sign_vote(s.contracts, s.dev[4], s.proposal, 1), config=CONFIG)
    s.contracts.governor.castVote(s.proposal, 0, sender=s.dev[4])
    nonce = relayer.nonce
    report = relay_pending(relay_db, s.contracts, relayer, config=CONFIG)
    assert report.sent == 0 and [r.id for r in report.rejected] == [row.id]
    stored = relay_db.get(RelayedSignature, row.id)
    assert stored.code == Code.ALREADY_VOTED and stored.detail.startswith("before sending:")
    assert relayer.nonce == nonce


def test_a_call_that_would_revert_is_left_out_with_its_decoded_reason(relay_db, relay_dao, relayer):
    """Two ballots spending the same plain nonce pass alone; in one batch the second fails in simulation."""
    s, governor = relay_dao, relay_dao.contracts.governor
    voter = s.dev[5]
    plain = governor.nonces(voter.address)
    first = submit(
        relay_db, s.contracts, sign_vote(s.contracts, voter, s.proposal, 1, nonce=plain), config=CONFIG
    )
    second = submit(
        relay_db, s.contracts, sign_vote(s.contracts, voter, s.side, 1, nonce=plain), config=CONFIG
    )
    assert first.status == second.status == RelayStatus.PENDING
    report = relay_pending(relay_db, s.contracts, relayer, config=CONFIG)
    assert [r.id for r in report.cast] == [first.id] and [r.id for r in report.failed] == [second.id]
    failed = relay_db.get(RelayedSignature, second.id)
    assert (
        failed.code == Code.REVERTED and f"GovernorInvalidSignature(voter={voter.address})" in failed.detail
    )
    assert failed.tx_hash is None and not governor.hasVoted(s.side, voter.address)


@pytest.mark.parametrize("broadcast", [False, True], ids=["before-broadcast", "after-broadcast"])
def test_a_run_killed_while_sending_casts_the_ballot_once_on_rerun(
    session, relay_dao, relayer, monkeypatch, broadcast
):
    """Killed once the hash is recorded, before or after broadcasting: the rerun finds the transaction
    (mined: its outcome is recorded, nothing sent) or not (the ballot is checked and sent again), once."""
    s, governor = relay_dao, relay_dao.contracts.governor
    row = submit(session, s.contracts, sign_vote(s.contracts, s.dev[3], s.proposal, 1), config=CONFIG)
    provider = type(relayer.provider)
    send = provider.send_transaction

    def die(self, txn):
        if broadcast:
            send(self, txn)
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(provider, "send_transaction", die)
        with pytest.raises(KeyboardInterrupt):
            relay_pending(session, s.contracts, relayer, config=CONFIG)
    stuck = session.get(RelayedSignature, row.id)
    assert stuck.status == RelayStatus.SENDING and stuck.tx_hash
    assert governor.hasVoted(s.proposal, s.dev[3].address) is broadcast
    nonce = relayer.nonce
    report = relay_pending(session, s.contracts, relayer, config=CONFIG)
    assert [r.id for r in report.cast] == [row.id] and len(report.transactions) == 1
    assert [r.id for r in report.requeued] == ([] if broadcast else [row.id])
    assert relayer.nonce == nonce + (0 if broadcast else 1)
    stored = session.get(RelayedSignature, row.id)
    assert (stored.status, stored.tx_hash) == (RelayStatus.CAST, report.transactions[0])
    assert governor.hasVoted(s.proposal, s.dev[3].address)


def test_batches_hold_at_most_the_batch_size(relay_db, relay_dao, relayer):
    """Three valid ballots with a batch size of 2 go out in two transactions."""
    s = relay_dao
    for index in (3, 4, 5):
        submit(relay_db, s.contracts, sign_vote(s.contracts, s.dev[index], s.proposal, 1), config=CONFIG)
    report = relay_pending(relay_db, s.contracts, relayer, config=CONFIG, batch_size=2)
    assert len(report.transactions) == 2 and len(report.cast) == 3


def test_a_delegation_by_signature_is_relayed_and_counts(relay_db, relay_dao, relayer, chain):
    """A holder who never paid gas delegates by signature; the relay carries it and the votes move."""
    s, token = relay_dao, relay_dao.contracts.token
    holder, delegatee = s.nobody, s.dev[4]
    token.transfer(holder.address, 2_500 * UNIT, sender=s.dev[2])
    before = token.getVotes(delegatee.address)
    expiry = chain.pending_timestamp + 3600
    row = submit(
        relay_db,
        s.contracts,
        sign_delegation(s.contracts, holder, delegatee.address, expiry=expiry),
        config=CONFIG,
    )
    assert row.status == RelayStatus.PENDING and row.weight == 2_500 * UNIT
    report = relay_pending(relay_db, s.contracts, relayer, config=CONFIG)
    assert [r.id for r in report.cast] == [row.id]
    assert token.delegates(holder.address) == delegatee.address
    assert token.getVotes(delegatee.address) == before + 2_500 * UNIT
    again = submit(
        relay_db,
        s.contracts,
        sign_delegation(s.contracts, holder, delegatee.address, expiry=expiry),
        config=CONFIG,
    )
    assert again.code == Code.ALREADY_DELEGATED


def test_invalid_delegations_are_rejected_with_their_reason(relay_db, relay_dao, chain):
    """Expired, reused nonce, no tokens, below the minimum, forged: each refused before any gas."""
    s, c = relay_dao, relay_dao.contracts
    now = chain.pending_timestamp
    poor = s.dev[7]  # 10 SAHARA
    cases = {
        Code.EXPIRED: sign_delegation(c, s.dev[4], s.dev[3].address, expiry=now - 10),
        Code.BAD_NONCE: sign_delegation(c, s.dev[4], s.dev[3].address, expiry=now + 600, nonce=7),
        Code.NO_VOTING_POWER: sign_delegation(c, s.nobody, s.dev[3].address, expiry=now + 600),
        Code.BELOW_MINIMUM: sign_delegation(c, poor, s.dev[3].address, expiry=now + 600),
    }
    forged = sign_delegation(c, s.dev[9], s.dev[3].address, expiry=now + 600)
    cases[Code.BAD_SIGNATURE] = forged | {"signer": s.dev[4].address}
    for code, envelope in cases.items():
        row = submit(relay_db, c, envelope, config=CONFIG)
        assert (row.status, row.code) == (RelayStatus.REJECTED, code), row.detail


def test_unknown_proposals_and_support_values_are_refused_and_hex_chain_ids_taken(relay_db, relay_dao):
    """An unknown proposal id or a support outside 0..2 is rejected with its own code; a domain's
    chainId may be 0x-hex."""
    s = relay_dao
    envelope = sign_vote(s.contracts, s.dev[3], 12345, 1)
    assert submit(relay_db, s.contracts, envelope, config=CONFIG).code == Code.UNKNOWN_PROPOSAL
    envelope = sign_vote(s.contracts, s.dev[3], s.proposal, 3)
    assert submit(relay_db, s.contracts, envelope, config=CONFIG).code == Code.INVALID_SUPPORT
    hex_domain = sign_vote(s.contracts, s.dev[3], s.proposal, 1)
    hex_domain["domain"]["chainId"] = hex(hex_domain["domain"]["chainId"])
    assert submit(relay_db, s.contracts, hex_domain, config=CONFIG).status == RelayStatus.PENDING


def test_a_ballot_submitted_before_voting_opens_is_accepted_once_it_opens(relay_db, relay_dao, chain):
    """A rejected signature is checked again when submitted again: the same row turns pending."""
    s, governor = relay_dao, relay_dao.contracts.governor
    from sahara_dao.governance import lifecycle

    grant = treasury_grant(s.contracts, s.dev[9].address, 9 * UNIT, "Relay: later")
    later = lifecycle.propose(governor, grant, s.dev[2])
    envelope = sign_vote(s.contracts, s.dev[3], later, 1)
    early = submit(relay_db, s.contracts, envelope, config=CONFIG)
    assert early.code == Code.VOTING_CLOSED and "pending" in early.detail
    chain.mine(deltatime=governor.votingDelay() + 2)
    now_open = submit(relay_db, s.contracts, envelope, config=CONFIG)
    assert now_open.id == early.id and (now_open.status, now_open.code) == (RelayStatus.PENDING, None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e | {"primaryType": "Permit"}, "primaryType 'Permit' is not one of"),
        (lambda e: e | {"signature": "0x1234"}, "the signature has 2 bytes"),
        (
            lambda e: e | {"message": e["message"] | {"reason": "hi"}},
            "Ballot has no field reason .*ExtendedBallot",
        ),
        (
            lambda e: e | {"message": e["message"] | {"support": 256}},
            "support must be an integer from 0 to 255",
        ),
        (lambda e: e | {"message": e["message"] | {"voter": "0x12"}}, "voter '0x12' is not an address"),
        (lambda e: e | {"types": {"Ballot": []}}, "types differ from OpenZeppelin's Ballot"),
        (lambda e: [e], "is a JSON object"),
    ],
)
def test_malformed_envelopes_are_refused_with_the_reason(relay_dao, change, message):
    """A document that is not a well-formed envelope raises RelayError naming the problem."""
    envelope = sign_vote(relay_dao.contracts, relay_dao.dev[3], relay_dao.proposal, 1)
    with pytest.raises(RelayError, match=message):
        parse_envelope(change(envelope))


def test_the_relay_config_file_is_read_and_checked(tmp_path):
    """relay.yaml: whole SAHARA to base units; unknown or non-positive settings refused."""
    from sahara_dao.core.settings import get_settings

    default = load_relay_config(get_settings().relay_file)
    assert default.batch_size == 50 and default.min_voting_power == 1_000 * UNIT
    path = tmp_path / "relay.yaml"
    path.write_text("min_voting_power: '0.5'\nballots_per_proposal: 1\n")
    assert load_relay_config(path).min_voting_power == UNIT // 2
    path.write_text("batch_sise: 10\n")
    with pytest.raises(RelayError, match="unknown settings batch_sise"):
        load_relay_config(path)
    path.write_text("batch_size: 0\n")
    with pytest.raises(RelayError, match="batch_size must be a whole number of at least 1"):
        load_relay_config(path)


def test_a_relayer_without_native_coin_is_refused_before_signing(relay_db, relay_dao, accounts):
    """An unfunded relayer gets an error that says to fund it; the ballot stays pending for the rerun."""
    from sahara_dao.core.errors import AccountError

    s = relay_dao
    broke = accounts.generate_test_account()
    assert broke.balance == 0
    row = submit(relay_db, s.contracts, sign_vote(s.contracts, s.dev[3], s.proposal, 1), config=CONFIG)
    with pytest.raises(
        AccountError, match="has no native coin to pay gas for relaying signed ballots: fund it"
    ):
        relay_pending(relay_db, s.contracts, broke, config=CONFIG)
    assert relay_db.get(RelayedSignature, row.id).status == RelayStatus.PENDING
