"""Voting from the dashboard on running chains (a copy of the demo's data with a proposal open): in a
real browser, a test EIP-1193 wallet injected into the page signs the ballot with a development key
(through a DevTools binding, as a wallet extension would), the page hands it to the relay, the
relayer (`sahara gov relay run`, the CLI: the dashboard has no key) casts it, and the vote is
counted on chain; in AppTest, a development account votes and a forged pasted signature is refused,
and off-chain poll votes (development account, a wallet's signature pasted, a forged one) are judged
and counted in the poll's tally."""

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from anvil_chain import dev, rpc
from browser import browser, chromium, served_app
from demo_run import CHAIN_IDS, demo_env, sahara
from eth_account import Account
from sqlmodel import Session, select

from sahara_dao.core.db import get_engine
from sahara_dao.core.settings import get_settings
from sahara_dao.core.units import UNIT
from sahara_dao.governance.models import GovVote, PollResult, PollVote

pytestmark = pytest.mark.anvil
VOTER = 2  # development account 2 holds (and delegated to itself) the community bucket in the demo
RECIPIENT = "0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f"
NETWORK = "ethereum:local:foundry"

PROVIDER = """
(() => {
  const account = %(account)s, chainId = %(chain)s, pending = {};
  let next = 0;
  window.__saharaResolve = (id, signature) => { pending[id](signature); delete pending[id]; };
  window.ethereum = {
    isSaharaTestWallet: true,
    request: async ({ method, params }) => {
      if (method === 'eth_requestAccounts' || method === 'eth_accounts') return [account];
      if (method === 'eth_chainId') return chainId;
      if (method === 'wallet_switchEthereumChain') return null;
      if (method === 'eth_signTypedData_v4') {
        if (params[0].toLowerCase() !== account.toLowerCase()) throw new Error('unknown account ' + params[0]);
        const id = ++next;
        const signed = new Promise((resolve) => { pending[id] = resolve; });
        window.saharaSign(JSON.stringify({ id: id, data: params[1] }));
        return signed;
      }
      throw Object.assign(new Error('unsupported method ' + method), { code: 4200 });
    },
  };
})();
"""


STAKER, STAKED, UNSTAKED = 5, 600 * UNIT, 150 * UNIT  # dev 5 holds what it earned and was paid in the demo


def _calldata(selector: str, *words: int | str) -> str:
    """ABI calldata of a function taking only static words (addresses as 0x-hex, integers)."""
    return "0x" + selector + "".join((int(w, 16) if isinstance(w, str) else w).to_bytes(32, "big").hex() for w in words)


def _view(uri: str, to: str, selector: str, *words: int | str) -> int:
    return int(rpc(uri, "eth_call", {"to": to, "data": _calldata(selector, *words)}, "latest"), 16)


def stake(uri: str, data: Path) -> None:
    """dev 5 stakes through SaharaStaking and asks to unstake part of it (anvil signs for its dev accounts)."""
    record = json.loads((data / "deployments" / f"{CHAIN_IDS['ethereum']}.json").read_text())["contracts"]
    staker = dev(STAKER).address
    for to, payload in ((record["token"], _calldata("095ea7b3", record["staking"], STAKED)),
                        (record["staking"], _calldata("7acb7757", STAKED, staker)),
                        (record["staking"], _calldata("23095721", UNSTAKED))):  # fmt: skip
        # An explicit gas limit: anvil's estimate is exact (no margin) and SaharaStaking's cost depends
        # on the block timestamp (rewards accrue only when it moved), which may differ when it is mined.
        tx = rpc(uri, "eth_sendTransaction", {"from": staker, "to": to, "data": payload, "gas": hex(500_000)})
        rpc(uri, "evm_increaseTime", 6 * 3600)  # hours apart, as the chart of stake over time shows them
        rpc(uri, "evm_mine")
        receipt = rpc(uri, "eth_getTransactionReceipt", tx)
        assert receipt and receipt["status"] == "0x1", (payload[:10], receipt)


@pytest.fixture(scope="module")
def live_demo(demo_data, tmp_path_factory):
    """A copy of the demo's data directory with its chains running and a proposal open for voting."""
    data = tmp_path_factory.mktemp("live") / "data"
    shutil.copytree(demo_data["dir"], data)
    env, ports = demo_env(data)
    uri = f"http://127.0.0.1:{ports['ethereum']}"
    sahara(env, "node", "start")
    try:
        head = rpc(uri, "eth_getBlockByNumber", "latest", False)
        rpc(uri, "evm_mine", int(head["timestamp"], 16) + 1)  # a reloaded chain mines at the wall clock: catch up
        sahara(env, "deploy", "--network", NETWORK)  # idempotent; adds the relay's Multicall3 to older records
        out = sahara(env, "gov", "propose", "transfer", "--network", NETWORK, "--account", f"dev:{VOTER}",
                     "--to", RECIPIENT, "--amount", "5000", "--description", "Grant #2: 5,000 SAHARA for a labeling sprint")  # fmt: skip
        proposal_id = int(re.search(r"proposal (\d+) created", out.stdout).group(1))
        rpc(uri, "evm_increaseTime", 86_400 + 1)  # governance/params.yaml's voting delay
        rpc(uri, "evm_mine")
        stake(uri, data)  # after the snapshot: the votes counted are the ones before it
        sahara(env, "index", "--network", NETWORK)
        yield {"env": env, "dir": data, "proposal_id": proposal_id, "uri": uri}
    finally:
        sahara(env, "node", "stop")


@pytest.fixture
def on_live(live_demo, monkeypatch):
    """Settings (of this process: AppTest) pointed at the live copy."""
    for name in ("SAHARA_DATA_DIR", "SAHARA_LOCAL_CHAINS"):
        monkeypatch.setenv(name, live_demo["env"][name])
    monkeypatch.delenv("DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield live_demo
    get_settings.cache_clear()


def vote_page(**state):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "dashboards" / "streamlit_app.py"), default_timeout=120)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page("app_pages/vote.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_staking_replayed_from_the_index_equals_the_contract(live_demo):
    """Total staked, unbonding and the staker's stake as the page computes them equal SaharaStaking's views."""
    from sahara_dao.token.staking_report import staking_states

    with Session(get_engine(f"sqlite:///{live_demo['dir'] / 'sahara.db'}")) as session:
        state = staking_states(session=session, chain_ids=[CHAIN_IDS["ethereum"]])[CHAIN_IDS["ethereum"]]
    staking = json.loads((live_demo["dir"] / "deployments" / f"{CHAIN_IDS['ethereum']}.json").read_text())["contracts"]["staking"]
    uri, staker = live_demo["uri"], dev(STAKER).address
    demo_staked, demo_unbonding = 65_000_000 * UNIT, 5_000_000 * UNIT  # the demo's stakes (scripts/demo.py)
    assert state.staked == _view(uri, staking, "817b1cd2") == demo_staked + STAKED - UNSTAKED  # totalStaked()
    assert state.unbonding == _view(uri, staking, "350fd0be") == demo_unbonding + UNSTAKED  # totalUnbonding()
    assert state.positions[staker].staked == _view(uri, staking, "af500ba3", staker) == STAKED - UNSTAKED  # stakedOf
    assert {p.account for p in state.queue()} == {staker, dev(3).address}


def test_a_development_account_votes_through_the_relay(on_live):
    """dev:3 votes Against with a reason: the relay accepts the ExtendedBallot (pending, its weight known)."""
    at = vote_page(vote_way="Local development account")
    at.radio(key="vote_choice").set_value("Against").run()
    at.text_input(key="vote_reason").input("Too early for a second grant").run()
    at.selectbox(key="vote_dev").set_value("dev:3").run()
    at.button(key="vote_dev_sign").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "The relay accepted it" in at.success[0].value
    row = at.session_state["vote_submitted"]
    assert (row["signer"], row["support"], row["reason"], row["status"]) == (dev(3).address, 0, "Too early for a second grant", "pending")


def test_a_pasted_signature_of_another_account_is_refused_with_the_reason(on_live):
    """A ballot for dev:5 signed by dev:4's key: the relay refuses it and the page says why."""
    at = vote_page(vote_way="Paste a signature", vote_paste_account=dev(5).address)
    request = json.loads(at.code[0].value)
    forged = Account.sign_typed_data(dev(4).private_key, full_message=request).signature
    at.text_input(key="vote_signature").input("0x" + bytes(forged).hex()).run()
    at.button(key="vote_paste_submit").click().run()
    assert not at.exception
    assert "The relay refused it" in at.error[0].value and at.session_state["vote_submitted"]["status"] == "rejected"


def test_a_delegation_signed_with_a_development_account_goes_to_the_relay(on_live):
    """dev:3 delegates its votes to dev:7 from the Delegate tab: accepted, and the page shows who it delegates to now."""
    at = vote_page(delegate_way="Local development account", delegate_to=dev(7).address)
    at.selectbox(key="delegate_dev").set_value("dev:3").run()
    at.button(key="delegate_dev_sign").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    row = at.session_state["delegate_submitted"]
    assert (row["kind"], row["signer"], row["delegatee"], row["status"]) == ("delegation", dev(3).address, dev(7).address, "pending")
    assert any(f"{dev(3).address} delegates to {dev(3).address} now; {dev(7).address} once the relayer has run" in c.value
               for c in at.caption)  # fmt: skip


def test_a_ballot_signed_in_the_browser_wallet_is_relayed_and_counted(live_demo, tmp_path):
    if chromium() is None:
        pytest.skip("Chromium is not installed: apt-get install chromium")
    voter = dev(VOTER)

    def sign(payload: str) -> str:
        request = json.loads(payload)
        signature = Account.sign_typed_data(voter.private_key, full_message=json.loads(request["data"])).signature
        return f"window.__saharaResolve({request['id']}, '0x{bytes(signature).hex()}')"

    provider = PROVIDER % {"account": json.dumps(voter.address), "chain": json.dumps(hex(CHAIN_IDS["ethereum"]))}
    with served_app(live_demo["env"]) as url, browser(init_script=provider, bindings={"saharaSign": sign}) as page:
        page.open(f"{url}/vote")
        assert "Your vote" in page.text(), "no proposal open for voting on the page"
        page.click("Connect wallet")
        page.wait_for("Sign: vote For")
        page.click("Sign: vote For")
        text = page.wait_for("The relay accepted it")
        assert page.exceptions() == [] and "Traceback" not in text
        page.screenshot(tmp_path / "vote.png")
        if target := os.environ.get("SAHARA_SCREENSHOT_DIR"):
            shutil.copy(tmp_path / "vote.png", Path(target) / "vote.png")

        relayed = sahara(live_demo["env"], "gov", "relay", "run", "--network", NETWORK, "--account", "dev:0")
        assert " cast, 0 failed" in relayed.stdout  # the other tests' pending ballots go in the same batch
        page.click("Check again")
        page.wait_for(f"Counted on chain: the governor has {voter.address}'s vote")
        assert page.exceptions() == []

        page.open(f"{url}/staking")  # the stake made on this chain, as the page replays it
        text = page.wait_for("Unbonding queue")
        assert "450 SAHARA" in text and "150 SAHARA" in text and page.exceptions() == []
        page.screenshot(tmp_path / "staking.png")
        if target := os.environ.get("SAHARA_SCREENSHOT_DIR"):
            shutil.copy(tmp_path / "staking.png", Path(target) / "staking.png")

    sahara(live_demo["env"], "index", "--network", NETWORK)
    with Session(get_engine(f"sqlite:///{live_demo['dir'] / 'sahara.db'}")) as session:
        votes = session.exec(select(GovVote).where(GovVote.proposal_id == str(live_demo["proposal_id"]))).all()
    mine = [v for v in votes if v.voter == voter.address]
    assert [(v.support, v.weight > 0) for v in mine] == [(1, True)]


POLL_CHOICES = ["Datasets", "Models", "Agents"]


@pytest.fixture(scope="module")
def open_poll(live_demo):
    """A ranked-choice poll of the demo's space, open for three days from a minute ago, without votes."""
    from sahara_dao.governance.polls import run_poll
    from sahara_dao.governance.spaces import load_space_file

    space = load_space_file(network=CHAIN_IDS["ethereum"], chains=list(CHAIN_IDS.values()))
    with Session(get_engine(f"sqlite:///{live_demo['dir'] / 'sahara.db'}")) as session:
        proposal, _, _ = run_poll(session, space, proposer_key=dev(2).private_key, title="Dashboard poll",
                                  choices=POLL_CHOICES, ballots=[], now=int(time.time()) - space.voting_delay - 60)  # fmt: skip
        session.commit()
        return proposal.id


def poll_page(poll_id: str, ranking: list[str], **state):
    at = vote_page(**state)
    at.selectbox(key="poll_pick").select(next(o for o in at.selectbox(key="poll_pick").options if "Dashboard poll" in o))
    at.run()
    choice = at.multiselect(key=f"poll_choice_{poll_id}")
    for name in ranking:
        choice.select(name)
    return at.run()


def poll_rows(data: Path, poll_id: str):
    with Session(get_engine(f"sqlite:///{data / 'sahara.db'}")) as session:
        votes = session.exec(select(PollVote).where(PollVote.proposal_id == poll_id).order_by(PollVote.id)).all()
        return {v.voter: (v.status, v.reason, v.vp) for v in votes}, session.get(PollResult, poll_id)


def test_a_development_account_votes_in_an_off_chain_poll_and_is_counted(on_live, open_poll):
    """dev:3 ranks Agents first: the poll accepts the Snapshot vote with its indexed power and the tally has it."""
    at = poll_page(open_poll, ["Agents", "Datasets", "Models"], poll_way="Local development account")
    at.selectbox(key="poll_dev").set_value("dev:3").run()
    at.button(key="poll_dev_sign").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert f"Counted: {dev(3).address}'s vote with" in at.success[0].value
    votes, result = poll_rows(on_live["dir"], open_poll)
    status, _, power = votes[dev(3).address]
    assert status == "accepted" and power > 0 and result.votes == 1
    assert result.scores[POLL_CHOICES.index("Agents")] == result.scores_total > 0  # its first choice wins alone


def test_a_wallet_signature_pasted_for_a_poll_is_counted_and_a_forged_one_refused(on_live, open_poll):
    """dev:4 (a dataset contributor: Receipts give it a voice) pastes what its wallet signed
    (eth_signTypedData_v4 of the page's document); a signature by another key is refused with the reason."""
    voter = dev(4)
    at = poll_page(open_poll, ["Datasets", "Models", "Agents"], poll_way="Paste a signature",
                   poll_paste_account=voter.address)  # fmt: skip
    request = next(json.loads(c.value) for c in at.code if '"Vote"' in c.value)
    forged = Account.sign_typed_data(dev(5).private_key, full_message=request).signature
    at.text_input(key="poll_signature").input("0x" + bytes(forged).hex()).run()
    at.button(key="poll_paste_submit").click().run()
    assert not at.exception and "The poll refused the vote" in at.error[0].value

    at = poll_page(open_poll, ["Datasets", "Models", "Agents"], poll_way="Paste a signature",
                   poll_paste_account=voter.address)  # fmt: skip
    request = next(json.loads(c.value) for c in at.code if '"Vote"' in c.value)
    signature = Account.sign_typed_data(voter.private_key, full_message=request).signature
    at.text_input(key="poll_signature").input("0x" + bytes(signature).hex()).run()
    at.button(key="poll_paste_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert f"Counted: {voter.address}'s vote with" in at.success[0].value
    votes, result = poll_rows(on_live["dir"], open_poll)
    assert votes[voter.address][0] == "accepted" and votes[voter.address][2] > 0
    assert result.scores[POLL_CHOICES.index("Datasets")] > 0
