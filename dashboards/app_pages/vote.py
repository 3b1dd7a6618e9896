"""Vote from the dashboard: pick a proposal and a choice; the page builds the EIP-712 ballot
(``castVoteBySig``), the holder signs it in their browser wallet (EIP-1193 ``eth_signTypedData_v4``),
with a local development account, or pastes a signature; the relay verifies it and stores it for its
next batch, and the page shows it counted once the relay has run. Delegation works the same way. The
dashboard holds no operator key: the relayer (`sahara gov relay run`) pays the gas."""

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


def dev_sign(request: dict, alias: str) -> tuple[str, str]:
    """Sign with a development account of a local chain (the holder's own test key, never an operator's)."""
    from sahara_dao.core.accounts import load_account
    from sahara_dao.governance.wallet_requests import digest

    account = load_account(alias, local=True)
    return account.address, "0x" + account.sign_raw_msghash(digest(request)).encode_rsv().hex()


def signer_section(prefix: str, chain_id: int, local: bool, build, label: str) -> None:
    """Who signs and how; on a signature, the relay's answer. ``build(account)`` returns the request."""
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
            hand_over(prefix, chain_id, request, result.signed["signature"], result.signed["account"])
        if not account:
            st.caption("Connect your wallet: the ballot is built for its account and signed there; the key never leaves it.")
    elif way == WAYS[1]:
        alias = st.selectbox("Development account", [f"dev:{i}" for i in range(10)], key=f"{prefix}_dev")
        if st.button(label, key=f"{prefix}_dev_sign"):
            from sahara_dao.core.accounts import load_account

            request = build(load_account(alias, local=True).address)
            signer, signature = dev_sign(request, alias)
            hand_over(prefix, chain_id, request, signature, signer)
    else:
        account = address_input("Your address (the signer)", key=f"{prefix}_paste_account")
        if account:
            request = build(account)
            st.caption("Sign this with `eth_signTypedData_v4` (or `sahara gov sign-vote`) and paste the signature:")
            st.code(json.dumps(request, indent=2), language="json")
            signature = st.text_input("Signature (0x…)", key=f"{prefix}_signature")
            if signature.strip() and st.button("Submit to the relay", key=f"{prefix}_paste_submit"):
                hand_over(prefix, chain_id, request, signature, account)


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
vote_tab, delegate_tab = st.tabs(["Vote", "Delegate"])

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
