"""Snapshot voting types score exactly as @snapshot-labs/snapshot.js does: the tests run snapshot.js's
own classes in Node (tests/governance/snapshot_voting.js) on many generated ballots per type and
compare scores, scores by strategy, totals, choice checks and choice strings bit for bit."""

import json
import math
import random
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from sahara_dao.governance.errors import ChoiceError, GovernanceError, VotingError
from sahara_dao.governance.jsvalues import number_to_string
from sahara_dao.governance.poll_cli import poll
from sahara_dao.governance.voting import (
    VOTING_TYPES,
    choice_string,
    is_valid_choice,
    score,
    valid_votes,
    validate_choice,
)

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT_JS = Path(__file__).with_name("snapshot_voting.js")
SPECIAL = {"-0": -0.0, "NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def snapshot(voting_type: str, cases=(), checks=()) -> dict:
    """snapshot.js's answer for the cases (tallies) and checks (isValidChoice), one Node run."""
    request = json.dumps({"type": voting_type, "cases": list(cases), "checks": list(checks)})
    out = subprocess.run(
        ["node", str(SNAPSHOT_JS)], input=request, cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def js_number(value):
    return SPECIAL[value] if isinstance(value, str) else float(value)


def assert_same_number(ours: float, theirs, where: str) -> None:
    """Equal doubles, the sign of zero included (NaN equals NaN)."""
    theirs = js_number(theirs)
    assert isinstance(ours, float), where
    if math.isnan(theirs):
        assert math.isnan(ours), f"{where}: ours {ours!r}, snapshot.js NaN"
        return
    assert ours == theirs and math.copysign(1, ours) == math.copysign(1, theirs), (
        f"{where}: ours {ours!r}, snapshot.js {theirs!r}"
    )


def assert_same_tally(voting_type: str, case: dict, answer: dict) -> None:
    """Our tally equals snapshot.js's answer; where snapshot.js fails, ours refuses with the reason."""
    if "error" in answer:
        assert "Maximum call stack size exceeded" in answer["error"], answer
        with pytest.raises(VotingError, match="snapshot.js never finishes this ranked-choice runoff"):
            score(voting_type, case["choices"], case["votes"], case["strategies"])
        return
    result = score(voting_type, case["choices"], case["votes"], case["strategies"])
    where = f"{voting_type} {case['name']}"
    assert len(result.scores) == len(answer["scores"]), where
    for i, (ours, theirs) in enumerate(zip(result.scores, answer["scores"], strict=True)):
        assert_same_number(ours, theirs, f"{where} scores[{i}]")
    for i, (ours, theirs) in enumerate(
        zip(result.scores_by_strategy, answer["scoresByStrategy"], strict=True)
    ):
        assert len(ours) == len(theirs), where
        for s, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            assert_same_number(a, b, f"{where} scores_by_strategy[{i}][{s}]")
    assert_same_number(result.scores_total, answer["scoresTotal"], f"{where} scores_total")
    assert [
        is_valid_choice(voting_type, vote["choice"], case["choices"]) for vote in case["votes"]
    ] == answer["valid"]


# ---- generated ballots -----------------------------------------------------------------------------


def balance(rng: random.Random) -> float | int:
    kind = rng.random()
    if kind < 0.3:
        return rng.randint(0, 4)  # small whole numbers: ties
    if kind < 0.4:
        return 0
    if kind < 0.8:
        return round(rng.random() * 1000, rng.randint(0, 6))
    if kind < 0.9:
        return rng.random() * 10 ** rng.randint(-9, 24)
    return rng.random()


def numeric_junk(rng: random.Random, n: int):
    return rng.choice([0, n + 1, -1, 1.5, -0.0, 2**70, 1e300, 1e-9])


def single_choice(rng: random.Random, n: int):
    if rng.random() < 0.8:
        c = rng.randint(1, n)
        return float(c) if rng.random() < 0.1 else c
    return rng.choice([numeric_junk(rng, n), "1", True, None, [1], {"1": 1}, []])


def approval_choice(rng: random.Random, n: int):
    if rng.random() < 0.75:
        return rng.sample(range(1, n + 1), rng.randint(0, n))
    picks = rng.sample(range(1, n + 1), rng.randint(1, n))
    return rng.choice([
        picks + [picks[0]], picks + [n + 1], picks + [0], picks + ["1"], picks + [True], picks + [[n]],
        picks + [None], 1, "1,2", {"1": 1}, None,
    ])  # fmt: skip


def ranking(rng: random.Random, n: int, coercions: bool):
    order = rng.sample(range(1, n + 1), n)
    if rng.random() < 0.8:
        return order
    broken = [order[:-1], order + [order[0]], [*order[:-1], n + 1], [*order[:-1], 0], [*order[:-1], 1.5], [], 1,
              {"1": 1}, None, [*order[:-1], order[0]]]  # fmt: skip
    if coercions:
        broken += [[str(order[0]), *order[1:]], [True, *order[1:]], [[order[0]], *order[1:]]]
    return rng.choice(broken)


def weights_choice(rng: random.Random, n: int):
    keys = rng.sample(range(1, n + 1), rng.randint(1, n))
    weights = {str(k): rng.choice([0, 1, 2, 3, rng.random() * 100, rng.randint(0, 10**6)]) for k in keys}
    if rng.random() < 0.75:
        if not any(weights.values()):
            weights[str(keys[0])] = 1
        return weights
    return rng.choice([
        {**weights, str(keys[0]): -1}, {k: 0 for k in weights}, {}, {**weights, str(n + 1): 1}, {**weights, "0": 1},
        {**weights, f" {keys[0]}": 2}, {**weights, f"0{keys[0]}": 2}, {**weights, f"{keys[0]}.0": 2},
        {**weights, str(keys[0]): "2"}, {**weights, str(keys[0]): True}, {**weights, str(keys[0]): None},
        [1, 2], 1, None,
    ])  # fmt: skip


CHOICES = {
    "single-choice": single_choice,
    "basic": single_choice,
    "approval": approval_choice,
    "ranked-choice": lambda rng, n: ranking(rng, n, coercions=True),
    "copeland": lambda rng, n: ranking(rng, n, coercions=True),
    "quadratic": weights_choice,
    "weighted": weights_choice,
}


def cases_for(voting_type: str, seed: int, count: int = 60) -> list[dict]:
    rng = random.Random(f"{voting_type}-{seed}")
    cases = []
    for k in range(count):
        n = rng.choice([1, 2, 3, 3, 4, 5, 6, 10])
        strategies = rng.choice([1, 1, 2, 3])
        size = rng.choice([0, 1, 2, 3, 5, 8, 20, 60, 200]) if k < count - 2 else 3000
        votes = []
        for _ in range(size):
            scores = [balance(rng) for _ in range(strategies)]
            total = 0
            for value in scores:
                total += value
            votes.append({"choice": CHOICES[voting_type](rng, n),
                          "balance": total if rng.random() < 0.8 else balance(rng), "scores": scores})  # fmt: skip
        labels = [f"option {i}" for i in range(1, n + 1)]
        cases.append({"name": f"case {k} ({size} votes, {n} choices, {strategies} strategies)", "choices": labels,
                      "strategies": strategies, "votes": votes})  # fmt: skip
    return cases


@pytest.mark.parametrize("voting_type", VOTING_TYPES)
def test_scores_equal_snapshot_js_on_generated_ballots(voting_type):
    """Scores, scores by strategy, totals and valid votes equal snapshot.js's, bit for bit, on 60
    generated proposals per type (valid and invalid choices, 1 to 3 strategies, ties, zero balances,
    no votes at all, and 3,000-vote proposals)."""
    cases = cases_for(voting_type, seed=1)
    answers = snapshot(voting_type, cases)["cases"]
    for case, answer in zip(cases, answers, strict=True):
        assert_same_tally(voting_type, case, answer)


def test_ranked_choice_breaks_ties_as_snapshot_js():
    """Equal lowest counts drop the lowest choice number first; the runoff stops at a majority or at
    two candidates; every order of the same ballots, and rounds with ties all the way, agree."""
    base = [([1, 2, 3, 4], 1), ([2, 1, 3, 4], 1), ([3, 4, 1, 2], 1), ([4, 3, 2, 1], 1), ([2, 3, 4, 1], 0)]
    cases = []
    for k in range(40):
        rng = random.Random(k)
        ballots = base * rng.randint(1, 3) + [
            (rng.sample(range(1, 5), 4), rng.randint(0, 2)) for _ in range(k % 7)
        ]
        rng.shuffle(ballots)
        votes = [{"choice": c, "balance": b, "scores": [b]} for c, b in ballots]
        cases.append({"name": f"ties {k}", "choices": 4, "strategies": 1, "votes": votes})
    for case, answer in zip(cases, snapshot("ranked-choice", cases)["cases"], strict=True):
        assert_same_tally("ranked-choice", case, answer)


def test_ranked_ballots_valid_only_through_coercion_equal_snapshot_js():
    """["2", 1, 3] counts "2" and 2 as one candidate; a `true` that ends last can never be eliminated,
    where snapshot.js recurses until the stack overflows and ours refuses with the reason."""
    endless = [([True, 2, 3], 1), ([2, 3, True], 2), ([3, 2, True], 2)]
    merged = [(["2", 1, 3], 1), ([2, 3, 1], 1.5), ([1, 3, 2], 1), ([3, 1, 2], 0.75), ([[3], 1, 2], 0.5)]
    cases = [
        {"name": name, "choices": 3, "strategies": 2,
         "votes": [{"choice": c, "balance": b, "scores": [b / 4, b - b / 4]} for c, b in ballots]}
        for name, ballots in (("endless", endless), ("merged", merged))
    ]  # fmt: skip
    answers = snapshot("ranked-choice", cases)["cases"]
    assert "Maximum call stack size exceeded" in answers[0]["error"]
    for case, answer in zip(cases, answers, strict=True):
        assert_same_tally("ranked-choice", case, answer)


def test_a_hundred_thousand_ranked_votes_equal_snapshot_js():
    """100,000 ranked ballots over 10 choices with 2 strategies (the numpy path at scale) equal snapshot.js."""
    rng = random.Random(7)
    votes = []
    for _ in range(100_000):
        scores = [round(rng.random() * 100, 3), rng.choice([0, 1, rng.random()])]
        votes.append(
            {"choice": rng.sample(range(1, 11), 10), "balance": scores[0] + scores[1], "scores": scores}
        )
    case = {"name": "100k", "choices": 10, "strategies": 2, "votes": votes}
    assert_same_tally("ranked-choice", case, snapshot("ranked-choice", [case])["cases"][0])


@pytest.mark.parametrize("voting_type", ["ranked-choice", "copeland"])
def test_numpy_checked_ballots_equal_snapshot_js(voting_type):
    """Ranked ballots made of numbers only are checked with numpy (bytes, then a numeric matrix):
    wrong lengths, duplicates, 0, n + 1, 300, 1.5, 2.0 and -1 are invalid there exactly as in
    snapshot.js, and a `true` hidden among the numbers sends the proposal to the one-by-one check
    (and ranked-choice to the line-for-line runoff)."""
    junk = [[], [1.5], [2.0], [300], [-1], [0], [5], [True], [2**40]]
    cases = []
    for k, extra in enumerate(junk):
        rng = random.Random(k)
        votes = []
        for _ in range(500):
            order = rng.sample(range(1, 5), 4)
            mangled = rng.choice(
                [order, order, order, order[:3], order + [order[0]], [*order[:3], *extra] or order]
            )
            votes.append({"choice": mangled, "balance": rng.randint(0, 3), "scores": [rng.randint(0, 3)] * 2})
        cases.append({"name": f"junk {extra}", "choices": 4, "strategies": 2, "votes": votes})
    for case, answer in zip(cases, snapshot(voting_type, cases)["cases"], strict=True):
        assert_same_tally(voting_type, case, answer)


ODD_CHOICES = [
    1, 2, 3, 0, -1, 4, 1.0, 2.5, -0.0, 2**64, 1e300, True, False, None, "", " ", "1", "2", " 2 ", "\u00a02\t",
    "02", "2.0", "2.", ".2e1", "+2", "-2", "0x2", "0X3", "0b10", "0o3", "-0x2", "2e0", "Infinity", "1_0", "abc",
    "٢", [], [1], [2], [[2]], [" 3"], [True], [None], [1, 2], [1, 2, 3], [3, 2, 1], [1, 1, 2], [1, "1", 2],
    [1, True, 3], [[1], [1], 2], [2, 1.0, 3], ["3", "2", "1"], [None, 2, 3], [0, 1, 2], {}, {"1": 1}, {"2": 0.5, "3": 2},
    {"1": 0}, {"1": -1}, {"4": 1}, {" 1": 1}, {"01": 1, "2": 1}, {"1": "1"}, {"1": True}, {"1": None}, {"0x1": 1},
    {"1.0": 2}, {"1": 1e308, "2": 1e308}, {"3": 1, "1": 2, "b": 1, "2": 0},
]  # fmt: skip


@pytest.mark.parametrize("voting_type", VOTING_TYPES)
def test_choice_checks_equal_snapshot_js(voting_type):
    """isValidChoice agrees with snapshot.js on odd choices too: JavaScript's coercions of strings,
    booleans and nested lists to numbers, SameValueZero duplicates, integer-like object keys."""
    checks = [{"choice": choice, "choices": n} for n in (1, 3) for choice in ODD_CHOICES]
    theirs = snapshot(voting_type, checks=checks)["checks"]
    ours = [is_valid_choice(voting_type, check["choice"], check["choices"]) for check in checks]
    differing = [
        (c["choice"], c["choices"], a, b) for c, a, b in zip(checks, ours, theirs, strict=True) if a != b
    ]
    assert not differing
    assert any(theirs) and not all(theirs)


SELECTIONS = {
    "single-choice": [1, 3, 4, 0, "2"],
    "basic": [2],
    "approval": [[1, 3], [], [2, 2], "13", None, 0, ""],
    "ranked-choice": [[3, 1, 2], [2, 9, 1], [1], ["2", 1]],
    "copeland": [[3, 1, 2], [2, 9]],
    "quadratic": [{"1": 1, "3": 2}, {"2": 1}, {"1": 0, "2": 3}, {"1": 1, "2": 1, "3": 1}],
    "weighted": [{"1": 1, "3": 2}, {"2": 1}, {"1": 1, "2": 1, "3": 1}, {"3": 0.1, "1": 7, "x": 2}],
}


@pytest.mark.parametrize("voting_type", VOTING_TYPES)
def test_choice_strings_equal_snapshot_js(voting_type):
    """getChoiceString: labels, ordinals and rounded percentages as snapshot.js writes them."""
    labels = ["Alice", "Bob", "Carol"]
    cases = [{"name": repr(s), "choices": labels, "strategies": 1, "votes": [], "selected": s}
             for s in SELECTIONS[voting_type]]  # fmt: skip
    for case, answer in zip(cases, snapshot(voting_type, cases)["cases"], strict=True):
        assert choice_string(voting_type, labels, case["selected"]) == answer["choiceString"], case["name"]


def test_unknown_types_and_malformed_votes_are_refused_with_the_reason():
    """An unknown voting type, a vote without a balance, a negative balance, scores of the wrong
    length: VotingError (a GovernanceError and a ValueError) saying what to send instead."""
    with pytest.raises(VotingError, match="unknown voting type 'ranked'; choose one of single-choice"):
        score("ranked", 3, [])
    assert issubclass(VotingError, GovernanceError) and issubclass(VotingError, ValueError)
    with pytest.raises(VotingError, match='vote 1 must be an object with "choice" and "balance"'):
        score("approval", 3, [{"choice": [1], "balance": 1}, {"choice": [2]}])
    with pytest.raises(VotingError, match="vote 0: balance must be a finite number >= 0, not -1"):
        score("approval", 3, [{"choice": [1], "balance": -1}])
    with pytest.raises(VotingError, match="vote 0: balance must be a number, not a string"):
        score("approval", 3, [{"choice": [1], "balance": "1"}])
    with pytest.raises(VotingError, match=r'vote 0: "scores" must list one number per strategy \(2\)'):
        score("weighted", 3, [{"choice": {"1": 1}, "balance": 1, "scores": [1]}], n_strategies=2)


def test_validate_choice_says_why_a_choice_is_refused():
    """validate_choice raises ChoiceError with the reason; valid choices pass; valid_votes filters."""
    validate_choice("ranked-choice", [2, 1, 3], 3)
    with pytest.raises(ChoiceError, match="ranked-choice needs all 3 choices ranked, got 2"):
        validate_choice("ranked-choice", [2, 1], 3)
    with pytest.raises(ChoiceError, match="choice 4 is not one of 1..3"):
        validate_choice("approval", [1, 4], ["a", "b", "c"])
    with pytest.raises(ChoiceError, match="choice 2 is listed twice"):
        validate_choice("approval", [2, 2], 3)
    with pytest.raises(ChoiceError, match="at least one weight must be above 0"):
        validate_choice("weighted", {"1": 0}, 3)
    votes = [{"choice": 1, "balance": 1}, {"choice": 4, "balance": 2}, {"choice": True, "balance": 3}]
    assert valid_votes("single-choice", 3, votes) == votes[:1]
    result = score("single-choice", 3, votes)
    assert result.scores == [1.0, 0.0, 0.0] and result.scores_total == 6.0


def test_poll_score_prints_snapshot_js_scores_on_its_last_line(tmp_path):
    """`sahara poll score` prints a summary, then the scores as JSON on the last line, written as
    JSON.stringify writes snapshot.js's getScores()."""
    rng = random.Random(3)
    votes = [
        {"choice": rng.sample(range(1, 6), 5), "balance": round(rng.random() * 50, 2)} for _ in range(300)
    ]
    votes.append({"choice": [1, 2], "balance": 5})  # invalid: ignored by the scores, counted in the total
    path = tmp_path / "votes.json"
    path.write_text(json.dumps(votes))
    result = CliRunner().invoke(poll, ["score", "--type", "ranked-choice", "--choices", "5", str(path)])
    assert result.exit_code == 0, result.output
    case = {"choices": 5, "strategies": 1, "votes": [{**vote, "scores": [vote["balance"]]} for vote in votes]}
    node = subprocess.run(
        ["node", "-e", "const {voting} = require('@snapshot-labs/snapshot.js').utils;"
         "const c = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
         "const t = new voting['ranked-choice']({choices: ['a','b','c','d','e']}, c.votes, [{}], undefined);"
         "console.log(JSON.stringify(t.getScores()))"],
        input=json.dumps(case), cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    lines = result.output.strip().splitlines()
    assert lines[-1] == node.stdout.strip()
    assert "300 of 301 votes valid" in result.output


@pytest.mark.parametrize(
    ("content", "voting_type", "reason"),
    [
        ('[{"choice": 1, "balance": NaN}]', "single-choice", "NaN is not a JSON number"),
        ('[{"choice": 1}]', "single-choice", 'vote 0 must be an object with "choice" and "balance"'),
        (
            '[{"choice": 1, "balance": 1, "scores": [1, "2"]}]',
            "single-choice",
            "must be a number, not a string",
        ),
        ("[{", "approval", "is not JSON"),
        ('{"choice": 1}', "approval", "must hold a JSON list"),
        ("[]", "ranked", "'ranked' is not one of 'single-choice'"),
    ],
)
def test_poll_score_refuses_bad_input_with_the_reason(tmp_path, content, voting_type, reason):
    """NaN, a vote without a balance, a score that is a string, invalid JSON, an object instead of a
    list, an unknown type: non-zero exit and the reason."""
    path = tmp_path / "votes.json"
    path.write_text(content)
    result = CliRunner().invoke(poll, ["score", "--type", voting_type, "--choices", "2", str(path)])
    assert result.exit_code != 0 and reason in result.output, result.output


def test_poll_score_of_no_votes_is_zeros(tmp_path):
    """No votes: every choice scores 0, written as JSON.stringify writes it."""
    path = tmp_path / "votes.json"
    path.write_text("[]")
    result = CliRunner().invoke(poll, ["score", "--type", "approval", "--choices", "2", str(path)])
    assert result.exit_code == 0 and result.output.strip().splitlines()[-1] == "[0,0]"


def test_numbers_are_written_as_javascript_writes_them():
    """number_to_string (the CLI's last line) equals JavaScript's String(x) on awkward doubles."""
    rng = random.Random(11)
    values = [0.0, -0.0, 1.0, -2.5, 1e21, 1e20, 123456789012345680000.0, 1e-6, 1e-7, 1.5e-7, 0.000001234,
              5e-324, 1.7976931348623157e308, 0.1 + 0.2, 2**53 + 2.0, 1 / 3, 100.0, 1e16, 12345.678e10]  # fmt: skip
    values += [rng.random() * 10 ** rng.randint(-12, 25) for _ in range(300)]
    node = subprocess.run(
        ["node", "-e", "const v = JSON.parse(require('fs').readFileSync(0, 'utf8')); console.log(JSON.stringify(v.map(String)))"],
        input=json.dumps(values), cwd=ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert [number_to_string(v) for v in values] == json.loads(node.stdout)
