"""``getScores`` and ``getScoresByStrategy`` of snapshot.js 0.17.5's voting classes, bit for bit.

Every sum runs in the order JavaScript's ``reduce`` runs it: ``numpy.bincount`` adds its weights one
by one in array order, starting from 0, which is that order; every product, quotient and square root
is the same IEEE double operation. Ranked choice runs its instant-runoff rounds on numpy arrays: one
row per valid ballot, a pointer to each ballot's highest candidate still in the race, one
``bincount`` per round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sahara_dao.governance.jsvalues import is_number, number, object_items
from sahara_dao.governance.loose_runoff import loose_scores


@dataclass(frozen=True)
class Ballots:
    """The votes of one tally, as arrays."""

    choices: list  # every vote's choice, as sent
    balances: np.ndarray  # (N,) float64
    scores: np.ndarray  # (N, S) float64
    valid: np.ndarray  # (N,) bool: isValidChoice


# ---- sums in JavaScript's order --------------------------------------------------------------------


def seqsum(values: np.ndarray) -> float:
    """``values.reduce((a, b) => a + b, 0)``."""
    return float(np.bincount(np.zeros(len(values), np.intp), weights=values, minlength=1)[0])


def _binsum(bins: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """Per bin, the sum from 0 of its weights in array order."""
    return np.bincount(bins, weights=weights, minlength=size).astype(np.float64)[:size]


def _colsum(matrix: np.ndarray) -> np.ndarray:
    """Column sums of a 2-D array, each from 0 down the rows in order."""
    rows, cols = matrix.shape
    return _binsum(np.tile(np.arange(cols), rows), matrix.ravel(), cols)


def _nan_to_zero(values: np.ndarray) -> np.ndarray:
    """``isNaN(percent) ? 0 : percent``."""
    values[np.isnan(values)] = 0.0
    return values


# ---- tallies (getScores and getScoresByStrategy) ---------------------------------------------------


def _selections(ballots: Ballots, single: bool) -> tuple[np.ndarray, np.ndarray]:
    """(vote index, 0-based choice) of every number a valid vote selects, in vote order."""
    votes, picked = [], []
    for i in np.flatnonzero(ballots.valid):
        elements = [ballots.choices[i]] if single else ballots.choices[i]
        for element in elements:
            if is_number(element):  # `includes(i + 1)` and `=== i + 1` match numbers only
                votes.append(i)
                picked.append(int(number(element)) - 1)
    return np.array(votes, np.intp), np.array(picked, np.intp)


def _tally_selections(ballots: Ballots, n: int, single: bool) -> tuple[np.ndarray, np.ndarray]:
    votes, picked = _selections(ballots, single)
    strategies = ballots.scores.shape[1]
    scores = _binsum(picked, ballots.balances[votes], n)
    bins = (picked[:, None] * strategies + np.arange(strategies)).ravel()
    by_strategy = _binsum(bins, ballots.scores[votes].ravel(), n * strategies).reshape(n, strategies)
    return scores, by_strategy


def tally_single(ballots: Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    return _tally_selections(ballots, n, single=True)


def tally_approval(ballots: Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    return _tally_selections(ballots, n, single=False)


def _weight_shares(ballots: Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per valid vote, ``choice[i + 1]`` per choice (NaN where absent) and ``sum(Object.values(choice))``."""
    index = np.flatnonzero(ballots.valid)
    weights = np.full((len(index), n), np.nan)
    totals = np.zeros(len(index))
    for row, i in enumerate(index):
        total = 0.0
        for key, weight in object_items(ballots.choices[i]):
            total += number(weight)
            position = int(key) - 1 if key.isdigit() and str(int(key)) == key else -1
            if 0 <= position < n:
                weights[row, position] = number(weight)
        totals[row] = total
    return weights, totals


def tally_weighted(ballots: Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    weights, totals = _weight_shares(ballots, n)
    balances, scores = ballots.balances[ballots.valid], ballots.scores[ballots.valid]
    valid_total = seqsum(balances)
    with np.errstate(all="ignore"):
        shares = _nan_to_zero((weights / totals[:, None]) * 100) / 100  # weightedPower
        results = _colsum(shares * balances[:, None])
        percents = _nan_to_zero((results / seqsum(results)) * 100)
        by_power = _colsum(
            (shares[:, :, None] * scores[:, None, :]).reshape(len(scores), n * scores.shape[1])
        )
        by_percents = _nan_to_zero((by_power / seqsum(by_power)) * 100)
    strategies = scores.shape[1]
    return (valid_total / 100) * percents, ((valid_total / 100) * by_percents).reshape(n, strategies)


def tally_quadratic(ballots: Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    weights, totals = _weight_shares(ballots, n)
    balances, scores = ballots.balances[ballots.valid], ballots.scores[ballots.valid]
    valid_total = seqsum(balances)
    with np.errstate(all="ignore"):
        shares = _nan_to_zero(weights / totals[:, None])  # calcPercentageOfSum
        roots = _colsum(np.sqrt(shares * balances[:, None]))
        quadratic = roots * roots
        percents = _nan_to_zero(quadratic / seqsum(quadratic))
        by_roots = _colsum(
            np.sqrt(shares[:, :, None] * scores[:, None, :]).reshape(len(scores), n * scores.shape[1])
        )
        by_quadratic = by_roots * by_roots
        by_percents = _nan_to_zero(by_quadratic / seqsum(by_quadratic))
    strategies = scores.shape[1]
    return valid_total * percents, (valid_total * by_percents).reshape(n, strategies)


def _zero_based(rows: np.ndarray) -> np.ndarray:
    """Valid rows of choice numbers (1..n, any numeric dtype) as 0-based integer candidate ids."""
    return (rows.astype(np.intp) if rows.dtype.kind == "f" else rows) - 1


def _ranked_rows(ballots: Ballots, rows: np.ndarray | None) -> np.ndarray | None:
    """The valid ballots as 0-based candidate rows, or None when some holds more than numbers."""
    index = np.flatnonzero(ballots.valid)
    if rows is not None:
        return _zero_based(rows[index])
    choices = [ballots.choices[i] for i in index]
    if not all(is_number(element) for choice in choices for element in choice):
        return None
    return np.array([[int(number(element)) - 1 for element in choice] for choice in choices], np.intp)


def _instant_runoff(rows: np.ndarray, balances: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """snapshot.js's ``irv``: the final round's first-choice counts and each ballot's top candidate.

    Every valid ballot ranks every choice, so every round has every candidate still in the race and
    no ballot runs empty. A round counts first choices in ballot order; the race ends when the
    leader holds more than half of all the power or fewer than 3 candidates remain; otherwise the
    lowest count leaves, the lowest choice number first among equals (``Object.entries`` order).
    """
    top = rows[:, 0].astype(np.intp)
    pointer = np.zeros(len(rows), np.intp)
    eliminated = np.zeros(n, bool)
    half = seqsum(balances) / 2
    while True:
        counts = _binsum(top, balances, n)
        alive = np.flatnonzero(~eliminated)
        if counts[alive].max() > half or len(alive) < 3:
            return counts, top
        bottom = alive[np.argmin(counts[alive])]
        eliminated[bottom] = True
        moved = np.flatnonzero(top == bottom)
        while moved.size:
            pointer[moved] += 1
            top[moved] = rows[moved, pointer[moved]]
            moved = moved[eliminated[top[moved]]]


def tally_ranked(ballots: Ballots, n: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    rows = _ranked_rows(ballots, rows)
    strategies = ballots.scores.shape[1]
    if rows is None:  # JavaScript's coercions decide: snapshot.js's runoff, line for line
        index = np.flatnonzero(ballots.valid)
        loose = [
            (list(ballots.choices[i]), float(ballots.balances[i]), ballots.scores[i].tolist()) for i in index
        ]
        scores, by_strategy = loose_scores(loose, n, strategies)
        return np.array(scores, np.float64), np.array(by_strategy, np.float64).reshape(n, strategies)
    if len(rows) == 0:
        return np.zeros(n), np.zeros((n, strategies))
    balances, scores = ballots.balances[ballots.valid], ballots.scores[ballots.valid]
    counts, top = _instant_runoff(rows, balances, n)
    bins = (top[:, None] * strategies + np.arange(strategies)).ravel()
    return counts, _binsum(bins, scores.ravel(), n * strategies).reshape(n, strategies)


def _copeland_matrices(rows: np.ndarray, power: np.ndarray, n: int) -> tuple[list[list[float]], list[float]]:
    """Pairwise margins ``[a][b]`` and support per choice, each added up vote by vote as snapshot.js does."""
    position = np.empty(rows.shape, np.intp)
    position[np.arange(len(rows))[:, None], rows] = np.arange(n)
    margins = [[0.0] * n for _ in range(n)]
    for a in range(n):
        for b in range(n):
            if a != b:
                margins[a][b] = seqsum(np.where(position[:, a] < position[:, b], power, -power))
    # A choice at rank r gains the vote's power once per lower-ranked choice, in a row.
    support = [seqsum(np.repeat(power, n - 1 - position[:, c])) for c in range(n)]
    return margins, support


def _copeland_points(margins: list[list[float]], support: list[float], total: float, n: int) -> list[float]:
    points = [0.0] * n
    for choice in range(n):
        for opponent in range(n):
            if choice != opponent:
                margin = margins[choice][opponent]
                if margin > 0:
                    points[choice] += 1
                elif margin < 0:
                    points[opponent] += 1
                else:
                    points[choice] += 0.5
                    points[opponent] += 0.5
    if total > 0 and n - 1 > 0:  # Average Support breaks ties
        for choice in range(n):
            points[choice] += 0.5 * (support[choice] / ((n - 1) * total))
    return points


def _copeland_share(points: list[float], total: float, n: int, equal_split: bool) -> list[float]:
    sum_points = 0.0
    for value in points:
        sum_points += value
    if sum_points > 0:
        return [(value / sum_points) * total for value in points]
    return [total / n for _ in range(n)] if equal_split else [0.0] * n


def tally_copeland(ballots: Ballots, n: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    index = np.flatnonzero(ballots.valid)
    if rows is None:
        rows = np.array([[int(number(c)) - 1 for c in ballots.choices[i]] for i in index], np.intp).reshape(
            -1, n
        )
    else:
        rows = _zero_based(rows[index])
    balances, scores = ballots.balances[index], ballots.scores[index]
    total = seqsum(balances)
    headline = _copeland_share(
        _copeland_points(*_copeland_matrices(rows, balances, n), total, n), total, n, True
    )
    columns = []
    for strategy in range(scores.shape[1]):
        power = scores[:, strategy]
        strategy_total = seqsum(power)
        margins, support = _copeland_matrices(rows, power, n)
        points = _copeland_points(margins, support, strategy_total, n)  # skips the bonus when total <= 0
        columns.append(_copeland_share(points, strategy_total, n, strategy_total > 0))
    by_strategy = np.array(columns, np.float64).T.reshape(n, scores.shape[1])
    return np.array(headline, np.float64), by_strategy
