"""Vote from the dashboard: pick a proposal and a choice; the page builds the EIP-712 ballot
(``castVoteBySig``), the holder signs it in their browser wallet (EIP-1193 ``eth_signTypedData_v4``),
with a local development account, or pastes a signature; the relay verifies it and stores it for its
next batch, and the page shows it counted once the relay has run. Delegation works the same way. The
dashboard holds no operator key: the relayer (`sahara gov relay run`) pays the gas.

Off-chain polls too: the page builds the Snapshot vote message for the poll's voting type, the
holder signs it the same three ways, and the poll service judges it (signature, window, choice,
voting power from the index) and counts it in the poll's running tally, shown at once."""

import json
import threading
import time
from contextlib import contextmanager

import streamlit as st
from app_common import TTL, address_input, read, sahara, short, sidebar, when
from wallet import wallet

from sahara_dao.core.errors import SaharaError
from sahara_dao.governance import records
from sahara_dao.governance.lifecycle import ProposalState, Support

CHOICES = {"For": Support.FOR, "Against": Support.AGAINST, "Abstain": Support.ABSTAIN}
WAYS = ("Browser wallet", "Local development account", "Paste a signature")


@st.cache_resource(show_spinner=False)
def chain_lock() -> threading.RLock:
    """One page at a time talks to a chain through Ape (its connection is process-wide)."""
    return threading.RLock()


def deployment(chain_id: int):
    from sahara_dao.core.deployments import COMPLETE, DeploymentStore
    from sahara_dao.core.settings import get_settings

    record = DeploymentStore(get_settings().deployments_dir).load(chain_id)
    return record if record is not None and record.status == COMPLETE else None


@contextmanager
def on_chain(record):
    """The relay's view of the deployment's contracts, connected (read-only calls only)."""
    from sahara_dao.core.chain import connect
    from sahara_dao.governance.relay import RelayContracts

    with chain_lock(), connect(record.network):
        yield RelayContracts.from_record(record)


@st.cache_data(ttl=TTL, show_spinner=False)
def proposals(url: str, chain_id: int, now: int):
    return read(url, records.list_proposals, chain_id=chain_id, now=now)


@st.cache_data(ttl=10, show_spinner=False)
def head_time(chain_id: int) -> int:
    """The chain's clock (its head block's timestamp): what decides whether voting is open."""
    from ape import chain

    with on_chain(deployment(chain_id)):
        return chain.blocks.head.timestamp


@st.cache_data(ttl=10, show_spinner=False)
def vote_request(chain_id: int, voter: str, proposal_id: int, support: int, reason: str):
    from sahara_dao.governance.wallet_requests import vote_request as build

    with on_chain(deployment(chain_id)) as contracts:
        return build(contracts, voter, proposal_id, support, reason or None)


@st.cache_data(ttl=10, show_spinner=False)
def delegation_request(chain_id: int, delegator: str, delegatee: str, expiry: int):
    from sahara_dao.governance.wallet_requests import delegation_request as build

    with on_chain(deployment(chain_id)) as contracts:
        return build(contracts, delegator, delegatee, expiry)


def submit(url: str, chain_id: int, request: dict, signature: str, signer: str):
    """Verify the signed request and hand it to the relay; returns the relay's row (pending or rejected)."""
    from sqlmodel import Session

    from sahara_dao.core.db import get_engine
    from sahara_dao.core.settings import get_settings
    from sahara_dao.governance.relay import load_relay_config
    from sahara_dao.governance.relay import submit as relay_submit
    from sahara_dao.governance.wallet_requests import signed

    envelope = signed(request, signature, signer)
    config = load_relay_config(get_settings().relay_file)
    with on_chain(deployment(chain_id)) as contracts, Session(get_engine(url), expire_on_commit=False) as session:
        return relay_submit(session, contracts, envelope, config=config).model_dump()


def counted(chain_id: int, proposal_id: int, voter: str) -> bool:
    with on_chain(deployment(chain_id)) as contracts:
        return bool(contracts.governor.hasVoted(proposal_id, voter))


def current_delegate(chain_id: int, holder: str) -> str:
    with on_chain(deployment(chain_id)) as contracts:
        return contracts.token.delegates(holder)


def dev_sign(request: dict, alias: str, digest) -> tuple[str, str]:
    """Sign with a development account of a local chain (the holder's own test key, never an operator's)."""
    from sahara_dao.core.accounts import load_account

    account = load_account(alias, local=True)
    return account.address, "0x" + account.sign_raw_msghash(digest(request)).encode_rsv().hex()


def relay_digest(request: dict) -> bytes:
    from sahara_dao.governance.wallet_requests import digest

    return digest(request)


def signer_section(prefix: str, chain_id: int, local: bool, build, label: str, *, digest=relay_digest,
                   hand=None, hint: str = "`sahara gov sign-vote`", submit_label: str = "Submit to the relay") -> None:  # fmt: skip
    """Who signs and how; on a signature, ``hand(prefix, chain_id, request, signature, signer)`` (the
    relay's by default). ``build(account)`` returns the request; ``digest(request)`` what is signed."""
    hand = hand or hand_over
    way = st.radio("Sign with", WAYS if local else (WAYS[0], WAYS[2]), horizontal=True, key=f"{prefix}_way")
    account_key = f"{prefix}_account"
    if way == WAYS[0]:
        account = st.session_state.get(account_key)
        request = build(account) if account else None
        result = wallet(key=f"{prefix}_wallet", chain_id=chain_id, account=account, request=request,
                        request_id=json.dumps(request, sort_keys=True) if request else None, label=label)  # fmt: skip
        if result.connected and result.connected != account:
            st.session_state[account_key] = result.connected
            st.rerun()
        if result.failed:
            st.error(f"The wallet did not sign: {result.failed}")
        if result.signed and request and result.signed.get("request") == json.dumps(request, sort_keys=True):
            hand(prefix, chain_id, request, result.signed["signature"], result.signed["account"])
        if not account:
            st.caption("Connect your wallet: the ballot is built for its account and signed there; the key never leaves it.")
    elif way == WAYS[1]:
        alias = st.selectbox("Development account", [f"dev:{i}" for i in range(10)], key=f"{prefix}_dev")
        if st.button(label, key=f"{prefix}_dev_sign"):
            from sahara_dao.core.accounts import load_account

            request = build(load_account(alias, local=True).address)
            signer, signature = dev_sign(request, alias, digest)
            hand(prefix, chain_id, request, signature, signer)
    else:
        account = address_input("Your address (the signer)", key=f"{prefix}_paste_account")
        if account:
            request = build(account)
            st.caption(f"Sign this with `eth_signTypedData_v4` (or {hint}) and paste the signature:")
            st.code(json.dumps(request, indent=2), language="json")
            signature = st.text_input("Signature (0x…)", key=f"{prefix}_signature")
            if signature.strip() and st.button(submit_label, key=f"{prefix}_paste_submit"):
                hand(prefix, chain_id, request, signature, account)


def hand_over(prefix: str, chain_id: int, request: dict, signature: str, signer: str) -> None:
    try:
        row = submit(ctx.url, chain_id, request, signature, signer)
    except SaharaError as exc:
        st.error(str(exc))
        return
    st.session_state[f"{prefix}_submitted"] = row


def relay_answer(prefix: str) -> dict | None:
    row = st.session_state.get(f"{prefix}_submitted")
    if not row:
        return None
    if row["status"] == "rejected":
        st.error(f"The relay refused it ({row['code']}): {row['detail']}")
    else:
        st.success(f"The relay accepted it (#{row['id']}, {row['status']}): it is sent with the next batch "
                   "(`sahara gov relay run`); the relayer pays the gas.")  # fmt: skip
    return row


@st.cache_data(ttl=10, show_spinner=False)
def open_polls(url: str, now: int):
    from sahara_dao.governance.poll_report import list_polls

    return [poll for poll in read(url, list_polls, now=now) if poll.state == "active"]


def poll_choice(poll):
    """The choice widget of the poll's voting type: the choice as snapshot.js takes it, or None until complete."""
    number = {name: n for n, name in enumerate(poll.choices, start=1)}
    key = f"poll_choice_{poll.id}"
    if poll.type in ("single-choice", "basic"):
        return number[st.radio("Your choice", poll.choices, horizontal=True, key=key)]
    if poll.type == "approval":
        return sorted(number[c] for c in st.multiselect("The choices you approve", poll.choices, key=key)) or None
    if poll.type in ("ranked-choice", "copeland"):
        ranked = st.multiselect("Rank every choice, best first (in the order you pick them)", poll.choices, key=key)
        if len(ranked) != len(poll.choices):
            st.caption(f"Rank all {len(poll.choices)} choices to sign.")
            return None
        return [number[c] for c in ranked]
    weights = {str(number[c]): int(st.number_input(f"{c} (weight)", min_value=0, step=1, key=f"{key}_{n}"))
               for n, c in enumerate(poll.choices)}  # fmt: skip
    return {k: v for k, v in weights.items() if v} or None  # weighted, quadratic: weights per choice number


def poll_digest(request: dict) -> bytes:
    from sahara_dao.governance.wallet_requests import poll_digest as build

    return build(request)


def poll_hand_over(prefix: str, chain_id: int, request: dict, signature: str, signer: str) -> None:
    """The signed vote to the poll service, which judges it and, once accepted, tallies the poll again."""
    from sqlmodel import Session

    from sahara_dao.core.db import get_engine
    from sahara_dao.governance.poll_results import tally
    from sahara_dao.governance.polls import submit_vote
    from sahara_dao.governance.wallet_requests import poll_envelope

    handled = st.session_state.setdefault("poll_handled", set())
    if signature in handled:  # the wallet hands the same signature back on every rerun
        return
    handled.add(signature)
    try:
        envelope = poll_envelope(request, signature, signer)
        with Session(get_engine(ctx.url), expire_on_commit=False) as session:
            row = submit_vote(session, envelope)
            if row.status == "accepted":
                tally(session, row.proposal_id)
            session.commit()
    except SaharaError as exc:
        st.error(str(exc))
        return
    st.session_state[f"{prefix}_submitted"] = {"status": row.status, "reason": row.reason, "vp": row.vp,
                                               "voter": row.voter or signer}  # fmt: skip
    st.session_state.pop("poll_timestamp", None)  # the next vote is a new message
    open_polls.clear()
    st.rerun()  # the scores shown include the vote


st.title("Vote from the dashboard")
ctx = sidebar()
if ctx is None:
    st.stop()
chain_id = st.selectbox("Chain", ctx.chain_ids, format_func=ctx.label, key="vote_chain")
record = deployment(chain_id)
if record is None:
    st.error(f"No complete deployment record for chain {chain_id} in the data directory: the page needs the "
             "deployment (`sahara deploy`) to reach its governor and token.")  # fmt: skip
    st.stop()
local = record.network.split(":")[1] == "local"
st.caption(f"Signed here, relayed by the DAO's relayer on {record.network}; the dashboard holds no key.")
vote_tab, delegate_tab, poll_tab = st.tabs(["Vote", "Delegate", "Off-chain poll"])

with poll_tab:  # needs no chain: voting power comes from the indexed database
    st.caption("Snapshot-compatible: the message is the one snapshot.js would have your wallet sign; the poll's voting "
               "power is read at its snapshot blocks from the index.")  # fmt: skip
    polls = open_polls(ctx.url, int(time.time()) // 10 * 10)
    if not polls:
        st.info("No off-chain poll is open for voting: `sahara poll propose` opens one in the space "
                "(governance/space.yaml); the Proposals & votes page lists the closed ones.")  # fmt: skip
    else:
        by_label = {f"{p.title} · {p.type} · ends {when(p.end)}": p for p in polls}
        poll = by_label[st.selectbox("Poll", list(by_label), key="poll_pick")]
        st.table({"choice": poll.choices, "score so far": [f"{score:,.2f}" for score in poll.scores]})
        poll_vote = poll_choice(poll)
        poll_reason = st.text_input("Reason (optional, signed with the vote)", key="poll_reason")
        signed_at = st.session_state.setdefault("poll_timestamp", int(time.time()))

        def build_poll_vote(account: str) -> dict:
            from sahara_dao.governance.wallet_requests import poll_vote_request

            return poll_vote_request(space=poll.space, proposal_id=poll.id, voting_type=poll.type, voter=account,
                                     choice=poll_vote, reason=poll_reason.strip(), timestamp=signed_at)  # fmt: skip

        if poll_vote is None:
            st.caption("Pick your choice to sign.")
        else:
            try:
                signer_section("poll", chain_id, local, build_poll_vote, "Sign: poll vote", digest=poll_digest,
                               hand=poll_hand_over, hint="any EIP-712 signer: it is snapshot.js's `Client712.vote` message", submit_label="Submit the vote")  # fmt: skip
            except SaharaError as exc:
                st.error(str(exc))
        answer = st.session_state.get("poll_submitted")
        if answer and answer["status"] == "rejected":
            st.error(f"The poll refused the vote: {answer['reason']}")
        elif answer:
            st.success(f"Counted: {answer['voter']}'s vote with {sahara(answer['vp'])} SAHARA of voting power; the "
                       "scores above include it.")  # fmt: skip

try:
    now = max(ctx.as_of[chain_id], head_time(chain_id))
except SaharaError as exc:
    st.error(f"{exc} Voting needs the chain: the page reads the ballot's nonce and domain from it and asks the "
             "relay to check the signature against it.")  # fmt: skip
    st.stop()

with vote_tab:
    views = proposals(ctx.url, chain_id, now)
    open_ = [v for v in views if v.state is ProposalState.ACTIVE]
    if not open_:
        st.info("No proposal is open for voting on this chain"
                + (f" (latest: {views[0].title}, {views[0].state.name.lower() if views[0].state else 'unknown'})" if views else "")
                + ". Voting opens a voting delay after `sahara gov propose ...`; run `sahara index` to see new proposals.")  # fmt: skip
    else:
        labels = {f"{v.title} · {short(str(v.proposal_id))} · ends {when(v.deadline)}": v for v in open_}
        view = labels[st.selectbox("Proposal", list(labels), key="vote_proposal")]
        cols = st.columns(3)
        cols[0].metric("For", f"{sahara(view.for_)}")
        cols[1].metric("Against", f"{sahara(view.against)}")
        cols[2].metric("Abstain", f"{sahara(view.abstain)}")
        choice = st.radio("Your vote", list(CHOICES), horizontal=True, key="vote_choice")
        reason = st.text_input("Reason (optional, signed with the ballot)", key="vote_reason")

        def build_vote(account: str) -> dict:
            return vote_request(chain_id, account, view.proposal_id, int(CHOICES[choice]), reason.strip())

        try:
            signer_section("vote", chain_id, local, build_vote, f"Sign: vote {choice}")
        except SaharaError as exc:
            st.error(str(exc))
        row = relay_answer("vote")
        if row and row["status"] != "rejected":
            try:
                done = counted(chain_id, view.proposal_id, row["signer"])
            except SaharaError as exc:
                st.warning(f"Cannot read the chain to see whether it was counted: {exc}")
            else:
                if done:
                    st.success(f"Counted on chain: the governor has {row['signer']}'s vote on this proposal.")
                else:
                    st.caption("Not on chain yet: reload once the relayer has run.")
                if st.button("Check again", key="vote_check"):
                    st.cache_data.clear()
                    st.rerun()

with delegate_tab:
    st.caption("Your SAHARA votes only count once delegated: to yourself, or to someone who votes for you.")
    delegatee = address_input("Delegate to (empty: yourself)", key="delegate_to")
    days = st.number_input("Signature valid for (days)", min_value=1, max_value=365, value=7, key="delegate_days")
    expiry = int(time.time()) // TTL * TTL + int(days) * 86_400
    expiry = max(expiry, ctx.as_of[chain_id] + int(days) * 86_400)  # local chains run ahead of the wall clock

    def build_delegation(account: str) -> dict:
        return delegation_request(chain_id, account, delegatee or account, expiry)

    try:
        signer_section("delegate", chain_id, local, build_delegation, "Sign: delegate")
    except SaharaError as exc:
        st.error(str(exc))
    row = relay_answer("delegate")
    if row and row["status"] != "rejected":
        try:
            now_delegate = current_delegate(chain_id, row["signer"])
        except SaharaError as exc:
            st.warning(f"Cannot read the chain: {exc}")
        else:
            target = row["delegatee"]
            st.caption(f"{row['signer']} delegates to {now_delegate} now"
                       + (" (done)." if now_delegate.lower() == str(target).lower() else f"; {target} once the relayer has run."))  # fmt: skip
