"""snapshot.js's instant runoff, line for line, for ranked ballots that hold more than numbers.

snapshot.js accepts a ranked ballot such as ``["2", 1, 3]`` or ``[true, 2, 3]`` because
``choices[c - 1]`` coerces each element to a number. Its ``irv()`` then keys candidates by
``String(element)``, counts first choices under those keys, and eliminates with the loose
``c != bottomCand``, so ``"2"`` and ``2`` are one candidate while ``true`` is a candidate of its own
that can never be eliminated. This module reproduces that exactly, on plain Python lists (such
ballots are rare; ballots made only of numbers take numpy's path in voting.py). Where snapshot.js
never finishes (a last candidate it cannot eliminate: JavaScript ends with "Maximum call stack size
exceeded"), :func:`loose_runoff` raises :class:`VotingError` instead.
"""

from __future__ import annotations

from sahara_dao.governance.errors import VotingError
from sahara_dao.governance.jsvalues import is_number, number, object_items, string_to_number, to_string

Ballot = tuple[list, float, list[float]]  # choice, balance, scores per strategy


def _loosely_equal(element: object, key: str) -> bool:
    """``element == key`` in JavaScript, for a property key (a string)."""
    if isinstance(element, str):
        return element == key
    if isinstance(element, bool) or is_number(element):
        return number(element) == string_to_number(key)  # NaN equals nothing
    if element is None:
        return False
    return to_string(element) == key  # arrays and objects compare as their strings


def _add_scores(totals: list[float], scores: list[float]) -> list[float]:
    """How snapshot.js adds a ballot's strategy scores to its first choice's."""
    if len(scores) > 1:  # score.map((s, sI) => s + totals[sI] || s)
        added = []
        for i, s in enumerate(scores):
            value = s + totals[i] if i < len(totals) else s
            added.append(s if value == 0 or value != value else value)
        return added
    total = 0.0  # [totals.concat(score).reduce((a, b) => a + b, 0)]
    for value in (*totals, *scores):
        total += value
    return [total]


def _round(ballots: list[Ballot]) -> list[tuple[str, list]]:
    """One round's ``Object.entries(votes)``: [key, [count, scores]] in JavaScript's key order."""
    counts: dict[str, list] = {}
    for choice, _, _ in ballots:
        for element in choice:
            counts.setdefault(to_string(element), [0.0, []])
    for choice, balance, scores in ballots:
        entry = counts[to_string(choice[0])]
        entry[0] += balance
        entry[1] = _add_scores(entry[1], scores)
    return object_items(counts)


def loose_runoff(ballots: list[Ballot]) -> list[tuple[str, list]]:
    """The final round of snapshot.js's ``irv(ballots)``, sorted as its ``sortedByHighest``."""
    while True:
        entries = _round(ballots)
        top_count = -float("inf")
        bottom, bottom_count = "?", float("inf")
        for key, (count, _) in entries:
            if count > top_count:
                top_count = count
            if count < bottom_count:
                bottom, bottom_count = key, count
        power = 0.0
        for _, balance, _ in ballots:
            power += balance
        if top_count > power / 2 or len(entries) < 3:
            return sorted(entries, key=lambda entry: -entry[1][0])  # stable, as V8's sort
        remaining = [([c for c in choice if not _loosely_equal(c, bottom)], balance, scores)
                     for choice, balance, scores in ballots]  # fmt: skip
        remaining = [ballot for ballot in remaining if ballot[0]]
        if remaining == ballots:
            raise VotingError(
                f"snapshot.js never finishes this ranked-choice runoff: its last candidate {bottom!r} cannot be "
                "eliminated (JavaScript compares it loosely with the ballots' elements and ends with 'Maximum "
                "call stack size exceeded'); ballots must rank choice numbers"
            )
        ballots = remaining


def loose_scores(ballots: list[Ballot], n: int, n_strategies: int) -> tuple[list[float], list[list[float]]]:
    """``getScores`` and ``getScoresByStrategy`` of snapshot.js's RankedChoiceVoting."""
    final = loose_runoff(ballots) if ballots else []
    scores, by_strategy = [], []
    for choice in range(1, n + 1):
        mine = [entry for key, entry in final if string_to_number(key) == choice]
        total = 0.0
        for count, _ in mine:
            total += count
        scores.append(total)
        row = []
        for strategy in range(n_strategies):
            total = 0.0
            for _, strategy_scores in mine:
                value = strategy_scores[strategy] if strategy < len(strategy_scores) else 0.0
                total += 0.0 if value != value else value  # (b[1][1][sI] || 0)
            row.append(total)
        by_strategy.append(row)
    return scores, by_strategy
