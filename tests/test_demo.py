"""The main job (`make demo`) runs end to end on two fresh anvil chains and moves exactly the grant."""

import pytest
from demo_run import demo_env, run_demo

from sahara_dao.core.nodes import rpc_chain_id
from sahara_dao.core.settings import get_settings
from sahara_dao.inference.store import file_sha256


@pytest.mark.anvil
def test_demo_deploys_executes_a_grant_and_settles_both_chains(tmp_path):
    """Deploys on ethereum and bsc (again unchanged), executes a proposal, settles an epoch per chain
    with verified roots and full claims, stops its nodes; a second run settles the next epochs."""
    env, ports = demo_env(tmp_path)
    out = run_demo(env)
    assert out.returncode == 0, out.stdout + out.stderr
    text = out.stdout
    assert "chain 31937: complete" in text and "chain 31938: complete" in text
    assert text.count("deployed again: nothing changed") == 2
    for state in ("state pending", "state succeeded", "state executed"):
        assert state in text
    assert "2,000,000,000    1,999,000,000" in text
    # governance: a delegation by signature and three EIP-712 ballots relayed gaslessly (one batch each)
    assert "relayed    1 signature in 1 Multicall3 transaction(s)" in text
    assert "relayed    3 signatures in 1 Multicall3 transaction(s)" in text
    assert "voted      for 3,500,000,000, against 500,000,000, abstain 1,200,000,000" in text
    assert "0        1,000,000" in text
    assert {p.name for p in (tmp_path / "deployments").iterdir()} == {"31937.json", "31938.json"}
    flat = " ".join(text.split())
    # staking: two holders stake, one asks some back; the DAO funds a reward period; the Foundation
    # sends the treasury a native reserve on each chain
    assert ("staked dev 2 50,000,000, dev 3 20,000,000 SAHARA (votes kept: each stake delegates to its staker); "
            "dev 3 asks 5,000,000 back, unbonding for 14 days") in flat  # fmt: skip
    assert "executed (3 calls): 10,000,000 SAHARA over 30 days, 333,333 SAHARA a day to all stakers" in flat
    assert ("dev 2 claims 769,230 SAHARA of rewards (its share of the stake); total staked 65,000,000, unbonding "
            "5,000,000 SAHARA") in flat  # fmt: skip
    assert "the Foundation sends 25 ETH to the treasury; it holds 25 ETH" in flat
    assert "the Foundation sends 100 BNB to the treasury; it holds 100 BNB" in flat
    # the economy on both chains: assets, licenses, metering, settlement, verification, claims in full
    assert flat.count("registered dataset 1 (3 contributors), model 2 trained on it") == 2
    # inference: the 30-day licensee's requests run and are metered once; no license -> rejected; the
    # agent's API licensee is charged on its quota by one consumeMany
    assert flat.count("inference: 31 requests, 29 ran in 2 batches on CPUExecutionProvider; rejected: 1 no "
                      "license; failed alone: 1 wrong shape") == 2
    assert "model 2 (labeling-quality.onnx): 19 metered at 1.5 SAHARA each" in flat
    assert flat.count("agent 3 (review-triage.onnx): 10 requests under the API license, metered 10 of 1000 API "
                      "calls (10 charged by one batched consumeMany)") == 2
    assert ("epoch 1: 1,600 SAHARA of license fees + 28.5 of pay-per-use (29 requests; 0 records held in quarantine) "
            "= 1,628.5 SAHARA split (fee 81.425, upstream 111.815); deposited 28.5 of pay-per-use fees") in flat
    assert "epoch 1: 3,200 SAHARA of license fees + 57 of pay-per-use" in flat  # bsc, prices doubled
    assert flat.count("settled again: nothing published; verify-epoch: verified") == 2
    for line in ("ana (dataset creator) 420.926 420.926 420.926", "treasury (timelock) 81.425 81.425 1,989,000,081.425",
                 "bo (labeler, model trainer) 777.57025 777.57025 777.57025",
                 "bo (labeler, model trainer) 1,555.1405 1,555.1405"):  # fmt: skip
        assert line in flat
    for chain_id in ("31937", "31938"):
        assert (tmp_path / "epochs" / chain_id / "epoch-1.json").exists()
    # labelers: 0.5 SAHARA an item times the quality factor of their trap-question accuracy, paid once
    assert flat.count("4 results stored, 1 quarantined") == 2 and flat.count("paid again: 0 batches sent") == 2
    assert "dev 7: 200 items, accuracy 100% -> quality 110%, paid 110 SAHARA" in flat
    assert "dev 8: 60 items, accuracy 50% -> quality 0%, paid 0 SAHARA" in flat
    # the embedding model (make models-minilm) is an asset: its licensed batch flags the reworded task
    if get_settings().inference_text_model.exists():
        digest = file_sha256(get_settings().inference_text_model)[:18]
        assert f"model 4 (minilm-l6.onnx, sha256 {digest}…): a free perpetual license; 5 task " in flat
        assert "5 texts metered" in flat and "1 pair(s) flagged among 5 tasks" in flat
        assert ("near duplicates (cosine 0.90 >= 0.85): 'stop-signs' \"Draw a box around every stop sign in the "
                "image.\" and 'stop-signs-2'") in flat  # fmt: skip
    else:
        assert "skipped: " in flat and "is not built (`make models-minilm`" in flat
    # the off-chain poll: holders and contributors (Receipts) rank choices; every ballot counts
    assert "5 signed ballots" in flat and "final; 5 votes counted" in flat and "quorum reached" in flat
    assert "receipt-holders" in flat and "chain 31937" in flat and "chain 31938" in flat
    assert ("summary DAO proposal (on-chain, votes relayed gaslessly): executed; for 3,500,000,000, against "
            "500,000,000, abstain 1,200,000,000 SAHARA") in flat
    assert "staked-sahara" in flat and "Datasets 7,000,747,430.77 6,950,747,430.77 0 50,000,000 0" in flat
    assert "(ranked-choice): winner Datasets; Datasets 7,000,747,431, Models 1,550,003,721" in flat
    assert all(rpc_chain_id(f"http://127.0.0.1:{port}") is None for port in ports.values())

    # a second run reloads the saved chains: nothing is redeployed and the next epoch settles
    again = run_demo(env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.count("deployed again: nothing changed") == 2
    flat = " ".join(again.stdout.split())
    assert "epoch 2: 1,600 SAHARA of license fees" in flat and "epoch 2: 3,200 SAHARA of license fees" in flat
    assert flat.count("settled again: nothing published; verify-epoch: verified") == 2 and "state executed" in flat
    assert "ana (dataset creator) 420.926 420.926 841.852" in flat
    assert "(the airdrop holder delegated in an earlier run)" in flat and "relayed 3 signatures" in flat
    assert "total staked 130,000,000, unbonding 10,000,000 SAHARA" in flat and "it holds 50 ETH" in flat
    assert "winner Datasets" in flat  # cumulative: one claim per epoch's earnings
    if get_settings().inference_text_model.exists():  # a new asset each run; its texts were metered in epoch 2
        assert "model 8 (minilm-l6.onnx" in flat and "1 pair(s) flagged among 5 tasks" in flat
    assert (tmp_path / "epochs" / "31938" / "epoch-2.json").exists()
