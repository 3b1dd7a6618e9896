"""Off-chain polls end to end: a space, a signed ranked-choice proposal, holders' and contributors'
signed votes (replaced, rejected with reasons), the tally with its breakdowns, verification, the CLI."""

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from click.testing import CliRunner
from eth_account import Account
from poll_ledger import Ledger, block_time
from sqlmodel import select

from sahara_dao.core.units import UNIT
from sahara_dao.governance import messages, voting
from sahara_dao.governance.hub import push
from sahara_dao.governance.models import PollProposal, PollResult, PollVote
from sahara_dao.governance.poll_cli import poll
from sahara_dao.governance.poll_results import tally, verify
from sahara_dao.governance.polls import PollError, create_space, submit_proposal, submit_vote
from sahara_dao.governance.spaces import SpaceSettings
from sahara_dao.governance.strategies import NotIndexedError

ETH, BSC = 31337, 31338
KEYS = {name: "0x" + f"{n:064x}" for n, name in enumerate(["holder", "trader", "quiet", "alice_c", "bob_c", "nobody", "small"], 1)}  # fmt: skip
WHO = {name: Account.from_key(key).address for name, key in KEYS.items()}
SNAPSHOT = 10  # the Ethereum block the proposal is signed at
T0 = block_time(12)  # the proposal's timestamp: after the snapshot block
START, END = T0 + 60, T0 + 3660
CHOICES = ["Fund the data grants", "Lower the protocol fee", "Do nothing"]
SPACE = {
    "id": "sahara.eth", "name": "Sahara DAO", "network": ETH, "chains": [ETH, BSC],
    "strategies": [
        {"name": "erc20-balance-of", "weight": 1},
        {"name": "delegation", "weight": 1},
        {"name": "staked-sahara", "weight": 1},
        {"name": "receipt-holders", "weight": 1, "params": {"mode": "share", "amount": 1000}},
    ],
    "voting": {"type": "ranked-choice", "period": 3600, "quorum": 500},
    "validation": {"name": "basic", "params": {"minScore": 50}},
}  # fmt: skip


def proposal_envelope(key=KEYS["holder"], **changes):
    message = {
        "space": "sahara.eth", "timestamp": T0, "type": "ranked-choice", "title": "Use of the Q1 treasury",
        "body": "Rank the options.", "discussion": "", "choices": CHOICES, "labels": [], "start": START,
        "end": END, "snapshot": SNAPSHOT, "plugins": "{}", "privacy": "", "app": "sahara",
    } | changes  # fmt: skip
    return messages.sign_envelope("proposal", message, key)


def vote_envelope(name, proposal_id, choice, timestamp=START + 10, space="sahara.eth"):
    message = {"space": space, "timestamp": timestamp, "proposal": proposal_id, "type": "ranked-choice", "choice": choice,
               "reason": "", "app": "sahara", "metadata": "{}"}  # fmt: skip
    return messages.sign_envelope("vote", message, KEYS[name])


@pytest.fixture
def economy(session):
    """Holders on both chains, a delegation, a stake, and contributors' receipts, indexed."""
    eth, bsc = Ledger(session, ETH), Ledger(session, BSC, "bsc", time_offset=3)
    eth.mint(1, WHO["holder"], 100)
    bsc.mint(1, WHO["holder"], 50)
    eth.mint(1, WHO["trader"], 30)
    eth.mint(1, WHO["quiet"], 40)
    eth.delegate(2, WHO["quiet"], WHO["holder"])  # quiet never votes: the holder speaks for it
    eth.mint(1, WHO["small"], 10)
    eth.receipt(3, 1, WHO["alice_c"], 5_000)  # half of asset 1: 500 SAHARA-equivalent
    bsc.receipt(3, 7, WHO["bob_c"], 10_000)  # all of asset 7 on BSC: 1000
    bsc.mint(4, WHO["bob_c"], 20)
    bsc.stake(5, WHO["bob_c"], 20)
    eth.mint(SNAPSHOT + 1, WHO["trader"], 1000)  # after the snapshot: does not count
    eth.indexed(SNAPSHOT)
    eth.indexed(20)
    bsc.indexed(20)
    create_space(session, SpaceSettings.parse(SPACE), now=T0 - 100)
    return session


@pytest.fixture
def proposal(economy):
    return submit_proposal(economy, proposal_envelope(), now=T0 + 1)


def test_a_proposal_is_stored_with_its_snapshot_on_every_chain(economy, proposal, snapshot_js):
    """The id is Snapshot's (snapshot.js's getHash of the signed data); BSC's block is its last at or
    before Ethereum's snapshot time."""
    assert [proposal.id] == snapshot_js("hash", [proposal.envelope["data"]])
    assert proposal.snapshot_blocks == {str(ETH): SNAPSHOT, str(BSC): 5}
    assert proposal.author == WHO["holder"]
    assert proposal.author_power == 190 * UNIT  # 100 + 50 on BSC + 40 delegated by quiet
    again = submit_proposal(economy, proposal_envelope(), now=T0 + 2)
    assert again.id == proposal.id
    assert len(economy.exec(select(PollProposal)).all()) == 1


@pytest.mark.parametrize(
    ("key", "changes", "message"),
    [
        (KEYS["small"], {}, "under the space's minimum of 50"),
        (KEYS["holder"], {"type": "approval"}, "only takes ranked-choice"),
        (KEYS["holder"], {"end": START + 60}, "exactly 3600 s"),
        (KEYS["holder"], {"space": "other.eth"}, "unknown space 'other.eth'"),
        (KEYS["holder"], {"choices": []}, "non-empty list"),
        (KEYS["holder"], {"privacy": "shutter"}, "not supported"),
    ],
)
def test_proposals_breaking_the_space_rules_are_refused(economy, key, changes, message):
    """Proposal validation by minimum score and the space's voting settings."""
    with pytest.raises(PollError, match=message):
        submit_proposal(economy, proposal_envelope(key, **changes), now=T0 + 1)
    assert economy.exec(select(PollProposal)).all() == []


def test_a_proposal_whose_snapshot_is_not_indexed_is_refused(economy):
    """A snapshot past the indexer's checkpoint says to run `sahara index`."""
    with pytest.raises(NotIndexedError, match="sahara index"):
        submit_proposal(economy, proposal_envelope(snapshot=25), now=T0 + 1)


def test_a_forged_proposal_is_refused(economy):
    """A proposal whose message changed after signing does not verify."""
    envelope = proposal_envelope()
    envelope["data"]["message"]["title"] = "Something else"
    with pytest.raises(PollError):
        submit_proposal(economy, envelope, now=T0 + 1)


def cast_everything(session, proposal_id):
    """Counted votes from holders and contributors, plus every kind of refused vote."""
    pid = proposal_id
    cast = {}

    def send(label, envelope, at=START + 30):
        cast[label] = submit_vote(session, envelope, now=at)
        return envelope

    first = send("holder", vote_envelope("holder", pid, [1, 2, 3]))
    send("trader early", vote_envelope("trader", pid, [2, 1, 3], timestamp=START + 10))
    send("trader later", vote_envelope("trader", pid, [3, 1, 2], timestamp=START + 20))
    send("trader stale", vote_envelope("trader", pid, [1, 3, 2], timestamp=START + 15))
    send("alice_c", vote_envelope("alice_c", pid, [2, 3, 1]))
    send("bob_c", vote_envelope("bob_c", pid, [3, 2, 1]))
    send("duplicate", copy.deepcopy(first))
    send("duplicate again", copy.deepcopy(first))
    forged = vote_envelope("small", pid, [1, 2, 3])
    forged["data"]["message"]["choice"] = [3, 2, 1]
    send("bad signature", forged)
    wrong_domain = vote_envelope("small", pid, [1, 2, 3])
    wrong_domain["data"]["domain"]["version"] = "0.1.3"
    send("wrong domain", wrong_domain)
    send("unknown proposal", vote_envelope("small", "0x" + "de" * 32, [1, 2, 3]))
    send("unknown space", vote_envelope("small", pid, [1, 2, 3], space="other.eth"))
    send("too late", vote_envelope("small", pid, [1, 2, 3], timestamp=END + 5), at=END + 6)
    send("too early", vote_envelope("small", pid, [1, 2, 3], timestamp=START - 5), at=START - 4)
    send("invalid choice", vote_envelope("small", pid, [1, 1, 2]))
    send("out of range", vote_envelope("small", pid, [1, 2, 4]))
    send("no power", vote_envelope("nobody", pid, [1, 2, 3]))
    send("not an envelope", {"sig": "0x00"})
    send("data not an object", {"address": WHO["small"], "sig": "0x01", "data": "vote"})
    send("a list", [1, 2])
    return cast


REASONS = {
    "duplicate": "duplicate signature",
    "bad signature": "signer-mismatch",  # a changed message recovers another address
    "wrong domain": "wrong-domain",
    "unknown proposal": "unknown proposal",
    "unknown space": "unknown space 'other.eth'",
    "too late": "outside the voting window: voting ended",
    "too early": "outside the voting window: voting starts",
    "invalid choice": "invalid choice",
    "out of range": "invalid choice",
    "no power": "no voting power",
    "not an envelope": "malformed-envelope",
    "data not an object": "malformed-envelope",
    "a list": "malformed-envelope",
}


def test_a_ranked_choice_poll_of_contributors_and_holders(economy, proposal):
    """The full flow: rejections recorded and not counted, replacement, scores equal to voting.py's."""
    cast = cast_everything(economy, proposal.id)
    for label, part in REASONS.items():
        assert cast[label].status == "rejected", label
        assert part.lower() in cast[label].reason.lower(), (label, cast[label].reason)
    assert cast["trader stale"].status == "replaced" and "earlier-signed" in cast["trader stale"].reason
    duplicates = economy.exec(select(PollVote).where(PollVote.reason.startswith("duplicate"))).all()
    assert len(duplicates) == 1  # resubmitting the duplicate records it once
    economy.refresh(cast["trader early"])
    assert cast["trader early"].status == "replaced"

    result = tally(economy, proposal.id, now=END + 100)
    assert result.state == "final" and result.votes == 4
    # holder 190 (incl. 40 delegated), trader 30, alice_c 500 (receipt share), bob_c 1000 receipt + 20 staked
    power = {"holder": 190, "trader": 30, "alice_c": 500, "bob_c": 1020}
    ballots = [{"choice": c, "balance": float(power[n]), "scores": s} for n, c, s in [
        ("holder", [1, 2, 3], [150.0, 40.0, 0.0, 0.0]), ("trader", [3, 1, 2], [30.0, 0.0, 0.0, 0.0]),
        ("alice_c", [2, 3, 1], [0.0, 0.0, 0.0, 500.0]), ("bob_c", [3, 2, 1], [0.0, 0.0, 20.0, 1000.0])]]  # fmt: skip
    expected = voting.score("ranked-choice", 3, ballots, 4)
    assert result.scores == expected.scores == [190.0, 500.0, 1050.0]
    assert result.scores_by_strategy == expected.scores_by_strategy
    assert result.scores_total == 1740.0
    assert result.scores_by_chain == {str(ETH): [140.0, 500.0, 30.0], str(BSC): [50.0, 0.0, 1020.0]}
    assert result.vp_total == 1740 * UNIT
    assert result.vp_by_strategy == [str(180 * UNIT), str(40 * UNIT), str(20 * UNIT), str(1500 * UNIT)]
    assert result.vp_by_chain == {str(ETH): str(670 * UNIT), str(BSC): str(1070 * UNIT)}
    assert verify(economy, proposal.id).ok
    assert verify(economy, proposal.id, recompute_power=True).ok


def test_delegated_power_goes_back_to_a_delegator_who_votes(economy, proposal):
    """When quiet votes too, the holder's power loses quiet's 40 at the tally."""
    submit_vote(economy, vote_envelope("holder", proposal.id, [1, 2, 3]), now=START + 30)
    submit_vote(economy, vote_envelope("quiet", proposal.id, [2, 1, 3]), now=START + 31)
    result = tally(economy, proposal.id, now=START + 100)
    assert result.state == "pending"
    assert result.scores == [150.0, 40.0, 0.0]


def test_verify_detects_a_tampered_result_and_tampered_votes(economy, proposal):
    """Changing a stored score, a vote's power or a signed choice makes `verify` fail."""
    cast_everything(economy, proposal.id)
    tally(economy, proposal.id, now=END + 100)
    result = economy.get(PollResult, proposal.id)
    result.scores = [190.0, 1050.0, 500.0]
    economy.add(result)
    economy.flush()
    report = verify(economy, proposal.id)
    assert not report.ok and any(p.startswith("scores:") for p in report.problems)

    tally(economy, proposal.id, now=END + 100)
    assert verify(economy, proposal.id).ok
    vote = economy.exec(select(PollVote).where(PollVote.voter == WHO["alice_c"])).one()
    vote.vp, vote.vp_by_strategy = 5000 * UNIT, ["0", "0", "0", str(5000 * UNIT)]
    economy.add(vote)
    economy.flush()
    assert any("inputs_digest" in p for p in verify(economy, proposal.id).problems)
    assert any("stored power" in p for p in verify(economy, proposal.id, recompute_power=True).problems)

    tally(economy, proposal.id, now=END + 100)
    envelope = copy.deepcopy(vote.envelope)
    envelope["data"]["message"]["choice"] = [1, 2, 3]
    vote.envelope = envelope
    economy.add(vote)
    economy.flush()
    problems = verify(economy, proposal.id).problems
    assert any(f"vote {vote.id} is stored as counted but the rules say rejected" in p for p in problems)


def test_the_cli_tallies_shows_and_verifies(economy, proposal, tmp_path):
    """`sahara poll vote/tally/show/verify` on the stored poll."""
    economy.commit()
    runner = CliRunner()
    good = tmp_path / "votes.json"
    good.write_text(json.dumps([vote_envelope("holder", proposal.id, [1, 2, 3]),
                                vote_envelope("bob_c", proposal.id, [3, 2, 1])]))  # fmt: skip
    # The poll is in 2027: received now, these votes are signed in the future.
    out = runner.invoke(poll, ["vote", str(good)])
    assert out.exit_code == 1 and out.output.count("in the future (received at") == 2, out.output
    for label, choice in (
        ("holder", [1, 2, 3]),
        ("bob_c", [3, 2, 1]),
    ):  # signed anew: the same would be duplicates
        submit_vote(economy, vote_envelope(label, proposal.id, choice, timestamp=START + 11), now=START + 30)
    economy.commit()
    out = runner.invoke(poll, ["tally", proposal.id])
    assert out.exit_code == 0, out.output
    assert "receipt-holders" in out.output and "chain 31338" in out.output and "Do nothing" in out.output
    assert "rejected vote" in out.output and "in the future" in out.output
    out = runner.invoke(poll, ["verify", proposal.id])
    assert out.exit_code == 0 and "verified: 4 stored votes, 2 counted" in out.output, out.output
    out = runner.invoke(poll, ["show", "0x" + "00" * 32])
    assert out.exit_code == 1 and "unknown proposal" in out.output


def test_space_create_from_a_yaml_file_is_idempotent(db_url, tmp_path):
    """`sahara poll space create CONFIG` stores once, then reports the space unchanged."""
    import yaml

    config = tmp_path / "space.yaml"
    config.write_text(yaml.safe_dump(SPACE))
    runner = CliRunner()
    first = runner.invoke(poll, ["space", "create", str(config)])
    assert first.exit_code == 0 and "space sahara.eth stored" in first.output, first.output
    again = runner.invoke(poll, ["space", "create", str(config)])
    assert "space sahara.eth unchanged" in again.output
    config.write_text(yaml.safe_dump(SPACE | {"strategies": [{"name": "votes"}]}))
    bad = runner.invoke(poll, ["space", "create", str(config)])
    assert bad.exit_code == 1 and "unknown strategy 'votes'" in bad.output


class _Hub(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hub.received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps({"id": "ok"}).encode())

    def log_message(self, *args):
        pass


def test_push_posts_the_envelopes_verbatim_once(economy, proposal):
    """`push` sends the proposal and counted votes as snapshot.js's Client does, and only once."""
    submit_vote(economy, vote_envelope("holder", proposal.id, [1, 2, 3]), now=START + 30)
    submit_vote(
        economy, vote_envelope("nobody", proposal.id, [1, 2, 3]), now=START + 30
    )  # rejected: not sent
    server = HTTPServer(("127.0.0.1", 0), _Hub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _Hub.received.clear()
        hub = f"http://127.0.0.1:{server.server_port}/api/msg"
        assert len(push(economy, hub)) == 2
        assert [path for path, _, _ in _Hub.received] == ["/api/msg", "/api/msg"]
        assert _Hub.received[0][1] == "application/json"
        assert _Hub.received[0][2] == proposal.envelope
        assert _Hub.received[1][2]["data"]["message"]["choice"] == [1, 2, 3]
        assert push(economy, hub) == []
    finally:
        server.shutdown()
        server.server_close()
    with pytest.raises(PollError, match="cannot reach the hub"):
        economy.exec(select(PollProposal)).one().pushed_at = None
        push(economy, f"http://127.0.0.1:{server.server_port}")


def test_votes_signed_by_snapshot_js_count_and_ours_verify_in_snapshot_js(economy, proposal, snapshot_js):
    """A contributor votes from snapshot.js's Client712 (Node); the holder's vote signed here verifies
    with ethers' verifyTypedData, what snapshot.js uses."""
    message = {"space": "sahara.eth", "proposal": proposal.id, "type": "ranked-choice", "choice": [2, 3, 1],
               "timestamp": START + 5, "reason": "from snapshot.js", "app": "snapshot"}  # fmt: skip
    [js_vote] = snapshot_js("sign", [{"key": KEYS["alice_c"], "action": "vote", "message": message}])
    row = submit_vote(economy, js_vote, now=START + 30)
    assert row.status == "accepted" and row.voter == WHO["alice_c"] and row.vp == 500 * UNIT
    [js_id] = snapshot_js("hash", [js_vote["data"]])
    assert row.vote_id == js_id
    ours = submit_vote(economy, vote_envelope("holder", proposal.id, [1, 2, 3]), now=START + 30)
    assert snapshot_js("verify", [ours.envelope]) == [{"signer": WHO["holder"], "valid": True}]
    result = tally(economy, proposal.id, now=END + 1)
    assert result.scores == [190.0, 500.0, 0.0]
    assert verify(economy, proposal.id).ok


def test_a_weighted_poll_scores_the_signed_json_choices(economy):
    """Weighted votes sign their choice as JSON text (snapshot.js's vote-string); the tally reads it."""
    create_space(economy, SpaceSettings.parse(SPACE | {"id": "open.sahara.eth", "voting": {}}), now=T0)
    proposal = submit_proposal(
        economy, proposal_envelope(space="open.sahara.eth", type="weighted"), now=T0 + 1
    )
    ballots = {"holder": {"1": 3, "2": 1}, "trader": {"3": 1}, "bob_c": {"1": 1, "3": 1}}
    for name, choice in ballots.items():
        message = {"space": "open.sahara.eth", "timestamp": START + 10, "proposal": proposal.id,
                   "type": "weighted", "choice": choice}  # fmt: skip
        envelope = messages.sign_envelope("vote", message, KEYS[name])
        assert isinstance(envelope["data"]["message"]["choice"], str)
        assert submit_vote(economy, envelope, now=START + 20).status == "accepted"
    result = tally(economy, proposal.id, now=END + 1)
    power = {"holder": 190.0, "trader": 30.0, "bob_c": 1020.0}
    expected = voting.score("weighted", 3, [{"choice": c, "balance": power[n]} for n, c in ballots.items()])
    assert result.scores == expected.scores  # snapshot.js's float sums, bit for bit
    assert result.scores == pytest.approx([142.5 + 510.0, 47.5, 30.0 + 510.0])
    assert verify(economy, proposal.id).ok


def test_the_cli_proposes_and_refuses_with_the_reason(economy, tmp_path):
    """`sahara poll propose` stores a proposal signed now, says why it refuses one, and `push` needs a hub."""
    import time

    economy.commit()
    now = int(time.time())
    good, weak = tmp_path / "proposal.json", tmp_path / "weak.json"
    good.write_text(json.dumps(proposal_envelope(timestamp=now, start=now, end=now + 3600)))
    weak.write_text(json.dumps(proposal_envelope(KEYS["small"], timestamp=now, start=now, end=now + 3600)))
    runner = CliRunner()
    out = runner.invoke(poll, ["propose", str(good), "--snapshot-block", f"{BSC}=4"])
    assert out.exit_code == 0, out.output
    assert (
        f"snapshot blocks {{'{ETH}': {SNAPSHOT}, '{BSC}': 4}}" in out.output
        and "with 190 of voting power" in out.output
    )
    out = runner.invoke(poll, ["propose", str(weak)])
    assert out.exit_code == 1 and "under the space's minimum of 50" in out.output
    out = runner.invoke(poll, ["propose", str(good), "--snapshot-block", "bsc=4"])
    assert out.exit_code == 2 and "CHAIN_ID=BLOCK" in out.output
    out = runner.invoke(poll, ["push"])
    assert out.exit_code == 1 and "SAHARA_SNAPSHOT_HUB" in out.output


def test_a_proposal_keeps_the_space_settings_it_was_made_under(economy, proposal):
    """Changing the space's strategies later does not change an existing proposal's tally."""
    submit_vote(economy, vote_envelope("holder", proposal.id, [1, 2, 3]), now=START + 30)
    before = tally(economy, proposal.id, now=END + 1).scores
    changed = SPACE | {"strategies": [{"name": "erc20-balance-of", "weight": 2}]}
    assert create_space(economy, SpaceSettings.parse(changed), now=T0 + 5)[1]
    assert tally(economy, proposal.id, now=END + 1).scores == before == [190.0, 0.0, 0.0]
    assert verify(economy, proposal.id).ok


def test_a_poll_without_votes_tallies_to_zero(economy, proposal):
    """No votes: zero scores on every choice, strategy and chain, and it verifies."""
    result = tally(economy, proposal.id, now=END + 1)
    assert result.votes == 0 and result.scores == [0.0, 0.0, 0.0] and result.vp_total == 0
    assert result.scores_by_strategy == [[0.0] * 4] * 3
    assert result.scores_by_chain == {str(ETH): [0.0] * 3, str(BSC): [0.0] * 3}
    assert verify(economy, proposal.id).ok
