"""Every page of the dashboards against the demo's database (AppTest): the figures shown are the read
functions' figures, formatted in SAHARA, and pages without data say what to run."""

from fractions import Fraction
from pathlib import Path

import pytest
from sqlmodel import Session

from sahara_dao.core.db import get_engine, migrate
from sahara_dao.core.units import UNIT, format_tokens
from sahara_dao.token import analytics, treasury
from sahara_dao.token.models import Epoch, PayoutBatch

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anvil  # the demo runs on two anvil chains
ANA = "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65"  # dev 4, the dataset's creator in the demo
DEV2, DEV3 = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC", "0x90F79bf6EB2c4f870365E785982E1f101E93b906"  # stakers


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def frame(at, column: str):
    """The first table showing ``column``."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def reads(url: str, fn, **kwargs):
    with Session(get_engine(url)) as session:
        return fn(session=session, **kwargs)


def test_treasury_total_is_the_sum_of_the_balances(app, on_demo):
    """The metric and the table's total row are the timelocks' and vaults' balances on both chains."""
    at = app("treasury")
    rows = reads(on_demo["url"], treasury.treasury_balances, chain_ids=[31937, 31938])
    total = sum(b.balance for b in rows)
    with Session(get_engine(on_demo["url"])) as session:
        fees = sum(row.protocol_fee for row in session.query(Epoch))
    # the treasury bucket on both chains, less the executed 1,000,000 grant and the 10,000,000 of staking
    # rewards, plus the protocol fees it claimed
    assert total == 2 * 2_000_000_000 * UNIT - 11_000_000 * UNIT + fees
    assert metrics(at)["Treasury total"] == f"{format_tokens(total)} SAHARA"
    balances = frame(at, "balance")
    assert balances.iloc[-1]["balance"] == format_tokens(total)
    assert set(balances["account"]) == {"Treasury (Timelock)", "Revenue vault", "total"}
    # the Foundation's native reserves (25 ETH, 100 BNB) are held too: the share needs their prices
    assert metrics(at)["Native ETH"] == "25 ETH" and metrics(at)["Native BNB"] == "100 BNB"
    assert metrics(at)["Share in SAHARA"] == "needs prices"
    natives = frame(at, "read at block")
    assert sorted(zip(natives["account"], natives["asset"], natives["balance"], strict=True)) == [
        ("Revenue vault", "BNB", "0"), ("Revenue vault", "ETH", "0"),
        ("Treasury (Timelock)", "BNB", "100"), ("Treasury (Timelock)", "ETH", "25")]  # fmt: skip
    for symbol, price in (("SAHARA", 0.05), ("ETH", 3000.0), ("BNB", 600.0)):
        at.number_input(key=f"treasury_price_{symbol}").set_value(price)
    at.run()
    sahara_usd = Fraction(total, UNIT) / 20
    assert metrics(at)["Share in SAHARA"] == f"{float(sahara_usd / (sahara_usd + 25 * 3000 + 100 * 600)) * 100:.2f} %"
    buckets = frame(at, "bucket")
    assert buckets.set_index("bucket").loc["team", "allocated"] == "4,000,000,000"  # 2 chains x 2,000,000,000
    assert buckets.set_index("bucket").loc["team", "released"] == "0"  # a 1-year cliff


def test_treasury_of_one_chain(app, on_demo):
    """Picking one chain in the sidebar sums that chain only."""
    at = app("treasury", chain_ids=[31937])
    rows = reads(on_demo["url"], treasury.treasury_balances, chain_ids=[31937])
    assert metrics(at)["Treasury total"] == f"{format_tokens(sum(b.balance for b in rows))} SAHARA"
    assert len(rows) == 2 and {b.chain_id for b in rows} == {31937}


def test_revenue_shows_the_split_the_gini_and_a_contributor(app, on_demo):
    """Settled totals, the library's Gini coefficient, a Sankey, and ana's earned/claimed with proof."""
    at = app("revenue")
    shown = metrics(at)
    epochs = reads(on_demo["url"], analytics.epochs, chain_ids=[31937, 31938])
    assert shown["Revenue settled"] == f"{format_tokens(sum(e.earned for e in epochs))} SAHARA"
    assert shown["Licenses"] == f"{format_tokens(sum(e.license_revenue for e in epochs))} SAHARA"
    lines = reads(on_demo["url"], analytics.earned_lines, chain_ids=[31937, 31938])
    totals = analytics.earned_by_account(lines)
    treasury_address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    gini = analytics.gini(v for a, v in totals.items() if a != treasury_address)
    assert shown["Gini coefficient"] == f"{float(gini):.4f}"
    assert any(f"exactly {gini.numerator}/{gini.denominator}" in c.value for c in at.caption)
    assert at.get("plotly_chart"), "the Sankey of the epoch is drawn"
    contributors = frame(at, "earned").set_index("account")
    assert contributors.loc[ANA, "earned"] == format_tokens(totals[ANA])  # both chains
    ana = {line.chain_id: line.cumulative for line in lines if line.account == ANA}
    assert set(ana) == {31937, 31938}  # ana earned on both chains

    at.text_input(key="rev_account").input(ANA.lower()).run()
    assert not at.exception
    shown = [m for m in at.metric if m.label in ("Earned", "Claimed", "Claimable now")]
    earned = f"{format_tokens(ana[31937])} SAHARA"  # the first chain shown: ethereum; the demo claimed it all
    assert [(m.label, m.value) for m in shown][:3] == [("Earned", earned), ("Claimed", earned), ("Claimable now", "0 SAHARA")]
    assert any("Everything under the active root of epoch 1 is claimed" in c.value for c in at.caption)


def test_revenue_lookup_refuses_a_bad_address(app):
    at = app("revenue")
    at.text_input(key="rev_account").input("0x1234").run()
    assert "is not an address" in at.error[0].value


def test_settlements_show_each_epoch_root_verified_and_fully_claimed(app, on_demo):
    at = app("settlements")
    with Session(get_engine(on_demo["url"])) as session:
        roots = {row.root for row in session.query(Epoch)}
        earned = sum(row.earned for row in session.query(Epoch))
        paid = {(b.chain_id, b.total) for b in session.query(PayoutBatch)}
    epochs = frame(at, "root")
    assert set(epochs["root"]) == roots and len(roots) == 2
    assert set(epochs["status"]) == {"verified"} and set(epochs["vault root"]) == {"same"}
    assert metrics(at)["Alerts"] == "0" and at.success[0].value == "No late or stuck settlement."
    assert metrics(at)["Unclaimed, all epochs"] == "0 SAHARA" and metrics(at)["Claimed"] == f"{format_tokens(earned)} SAHARA"
    batches = frame(at, "period")
    assert list(batches["status"]) == ["paid", "paid"] and set(batches["total"]) == {format_tokens(t) for _, t in paid}
    lines = frame(at, "labeler")
    assert len(lines) == 3 and "0" not in set(lines["amount"])  # the labeler under the quality floor is not in the batch
    assert any("sahara verify-epoch --chain ethereum --epoch 1" in c.value for c in at.code)
    at.button(key="set_verify").click().run()  # the newest epoch shown first: bsc's
    bsc_root = next(r for r in epochs["root"] if r in roots and epochs.set_index("root").loc[r, "chain"].startswith("bsc"))
    assert at.success[-1].value.startswith(f"The file alone recomputes {bsc_root}: the same as the database's and the vault's")


def test_settlements_list_the_alerts_the_pipelines_raised(app, on_demo, tmp_path):
    """An alert recorded by the settlement DAG (on a copy of the demo's database) is listed with what to do."""
    import shutil

    from sahara_dao.core.alerts import raise_alert

    shutil.copy(on_demo["dir"] / "sahara.db", tmp_path / "sahara.db")
    url = f"sqlite:///{tmp_path / 'sahara.db'}"
    raise_alert(key="settlement-deadline:31937:2:publish", source="royalty_settlement", chain_id=31937,
                subject="epoch 2 publish: 3 h 0 min past its deadline", message="Run sahara settle.", raised_at=1, url=url)  # fmt: skip
    at = app("settlements", db_url=url)
    raised = frame(at, "what to do")
    assert list(raised["subject"]) == ["epoch 2 publish: 3 h 0 min past its deadline"]
    assert list(raised["source"]) == ["royalty_settlement"] and list(raised["what to do"]) == ["Run sahara settle."]


def test_staking_without_stakes_says_how_to_stake(app):
    """Nobody stakes on bsc in the demo."""
    at = app("staking", chain_ids=[31938])
    assert metrics(at)["Total staked"] == "0 SAHARA" and metrics(at)["Unbonding period"] == "14 d"
    assert "Nothing staked yet" in at.info[0].value


def test_staking_shows_the_demos_stakes_rewards_and_queue(app, on_demo):
    """The demo's stakes on ethereum: dev 2 and dev 3 stake 70,000,000, dev 3 asks 5,000,000 back, the DAO
    funds 10,000,000 SAHARA of rewards over 30 days and dev 2 claims its share."""
    at = app("staking")
    assert metrics(at)["Total staked"] == "65,000,000 SAHARA" and metrics(at)["Unbonding"] == "5,000,000 SAHARA"
    assert metrics(at)["Stakers"] == "2"
    rates = frame(at, "rewards added so far").set_index("chain")
    ethereum = next(label for label in rates.index if "31937" in label)
    assert rates.loc[ethereum, "rewards added so far"] == "10,000,000"
    assert rates.loc[ethereum, "per day"] == format_tokens(10_000_000 * UNIT * 10**18 // (30 * 86_400) * 86_400 // 10**18)
    assert list(frame(at, "unlocks")["account"]) == [DEV3]
    at.text_input(key="stk_account").input(DEV2).run()
    position = frame(at, "rewards paid")
    assert position.iloc[0]["staked"] == "50,000,000" and position.iloc[0]["rewards paid"].startswith("769,230.76")


def test_an_empty_database_says_to_run_the_demo(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    for url, expected in ((empty, "is empty: run `make demo`"), (None, "No chain in the database yet")):
        if url is None:
            url = f"sqlite:///{tmp_path / 'migrated.db'}"
            migrate(get_engine(url))
        for page in ("treasury", "revenue", "staking", "settlements"):
            at = AppTest.from_file(str(ROOT / "dashboards" / "streamlit_app.py"), default_timeout=60)
            at.session_state["db_url"] = url
            at.run()
            if page != "treasury":
                at.switch_page(f"app_pages/{page}.py").run()
            assert not at.exception
            assert any(expected in e.value for e in [*at.error, *at.info]), page


def test_proposals_show_the_demo_grant_with_tallies_quorum_and_voters(app):
    """The executed grant: three voters, For/Against/Abstain as cast, quorum progress, delegates (the
    demo's second proposal, staking rewards, has one voter)."""
    at = app("proposals")
    shown = metrics(at)
    assert (shown["On-chain proposals"], shown["Executed"], shown["Votes cast"]) == ("2", "2", "4")
    proposals = frame(at, "quorum reached")
    assert sorted(title.split(":")[0] for title in proposals["title"]) == ["Grant #1", "Staking rewards #2"]
    row = proposals[proposals["title"].str.startswith("Grant #1")].iloc[0]
    assert (row["state"], row["For"], row["Against"], row["Abstain"]) == ("executed", "3,500,000,000", "500,000,000", "1,200,000,000")
    assert row["quorum reached"] == "1175.0 %"  # (For + Abstain) / 4% of 10,000,000,000
    at.selectbox(key="gov_proposal").select(next(o for o in at.selectbox(key="gov_proposal").options if "Grant #1" in o))
    at.run()
    voters = frame(at, "support")
    assert list(voters["support"]) == ["For", "Abstain", "Against"] and voters.iloc[0]["weight"] == "3,500,000,000"
    assert "Bounties grow the data supply" in set(voters["reason"])
    delegates = frame(at, "voting power")
    assert len(delegates) >= 3 and (delegates["delegators"] >= 1).all()


def test_polls_show_results_per_voting_type(app, on_demo):
    """The demo's ranked-choice poll: its result as stored, and every ballot spelled as snapshot.js spells it."""
    from sahara_dao.governance.poll_report import list_polls, poll_ballots

    at = app("proposals")
    (poll,) = reads(on_demo["url"], list_polls, now=2**40)
    shown = frame(at, "voting type").iloc[0]
    assert (shown["title"], shown["voting type"], shown["votes"], shown["result"]) == (poll.title, "ranked-choice", 5, "final")
    assert shown["leading"] == ", ".join(poll.leading) and shown["voting power"] == format_tokens(poll.vp_total)
    received = frame(at, "why refused")
    ballots = reads(on_demo["url"], poll_ballots, proposal_id=poll.id)
    assert sorted(received["choice"]) == sorted(b.choice for b in ballots) and len(ballots) == 5
    assert all(choice.startswith("(1st) ") for choice in received["choice"]) and set(received["status"]) == {"accepted"}


def test_the_vote_page_says_to_start_the_chain(app):
    """Without a running node the page cannot build a ballot, and says what to start."""
    at = app("vote")
    assert any("sahara node start" in e.value for e in at.error)
