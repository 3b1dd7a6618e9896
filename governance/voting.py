"""Snapshot's voting types, scored exactly as @snapshot-labs/snapshot.js 0.17.5 scores them.

One entry point per question the poll service asks:

- :func:`validate_choice` / :func:`is_valid_choice`: ``isValidChoice`` of the type's class (a vote
  whose choice is invalid is ignored by the tally, but still counts in ``scores_total`` except under
  copeland, as in snapshot.js);
- :func:`score`: ``getScores``, ``getScoresByStrategy`` and ``getScoresTotal`` in one pass;
- :func:`valid_votes`: ``getValidVotes``; :func:`choice_string`: ``getChoiceString``.

Votes are shaped as snapshot.js takes them: ``{"choice": ..., "balance": float, "scores":
[float per strategy]}``. Results are equal to snapshot.js's, bit for bit: every sum runs in the order
JavaScript's ``reduce`` runs it (``numpy.bincount`` adds its weights one by one in array order, which
is that order), and every product and quotient is the same IEEE double operation. Two input rules are
stricter than snapshot.js, which never meets such votes from a hub: balances and strategy scores
must be finite and not negative (``-0.0`` counts as ``0.0``), and votes must be JSON values. Ranked
ballots that pass only through JavaScript's coercions (``["2", 1, 3]``, ``[true, 2, 3]``) run through
a line-for-line port of snapshot.js's runoff (loose_runoff.py), loose comparisons included.

Ranked choice runs its instant-runoff rounds on numpy arrays: one row per valid ballot, a pointer to
each ballot's highest candidate still in the race, and one ``bincount`` per round; ballots made of
plain numbers are checked in one C pass (``bytes`` over the choices) and numpy. 1,000,000 ballots
over 10 choices take about 1 s where snapshot.js takes about 29 s (``make bench-tally``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from operator import getitem, itemgetter, methodcaller

import numpy as np

from sahara_dao.governance.errors import ChoiceError, VotingError
from sahara_dao.governance.jsvalues import (
    is_index,
    is_number,
    number,
    number_to_string,
    object_items,
    same_value_zero_key,
    to_number,
)
from sahara_dao.governance.loose_runoff import loose_scores

VOTING_TYPES = ("single-choice", "approval", "quadratic", "ranked-choice", "copeland", "weighted", "basic")
"""The voting types of snapshot.js; ``basic`` is scored as ``single-choice`` (snapshot.js 0.17.5 maps it
to the same class)."""


@dataclass(frozen=True)
class Result:
    """A tally: per-choice scores, per-choice per-strategy scores, the total voting power
    (``getScoresTotal``) and how many votes have a valid choice."""

    scores: list[float]
    scores_by_strategy: list[list[float]]
    scores_total: float
    valid_count: int


@dataclass(frozen=True)
class _Ballots:
    choices: list  # every vote's choice, as sent
    balances: np.ndarray  # (N,) float64
    scores: np.ndarray  # (N, S) float64
    valid: np.ndarray  # (N,) bool: isValidChoice


def _kind(value: object) -> str:
    return {list: "a list", tuple: "a list", dict: "an object", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else f"{value!r}"
    )


# ---- sums in JavaScript's order --------------------------------------------------------------------


def _seqsum(values: np.ndarray) -> float:
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


# ---- choice checks (isValidChoice), each returning the reason a choice is refused ------------------


def _number_problem(choice: object, n: int) -> str | None:
    if not is_number(choice):
        return f"single-choice takes one choice number, not {_kind(choice)}"
    if not is_index(choice, n):
        return f"choice {choice!r} is not one of 1..{n}"
    return None


def _list_problem(choice: object, n: int, voting_type: str) -> str | None:
    if not isinstance(choice, list | tuple):
        return f"{voting_type} takes a list of choice numbers, not {_kind(choice)}"
    for element in choice:
        if not is_index(element, n):
            return f"choice {element!r} is not one of 1..{n}"
    return _duplicate_problem(choice)


def _duplicate_problem(choice: Sequence) -> str | None:
    seen = set()
    for position, element in enumerate(choice):
        key = same_value_zero_key(element, position)
        if key in seen:
            return f"choice {element!r} is listed twice"
        seen.add(key)
    return None


def _approval_problem(choice: object, n: int) -> str | None:
    return _list_problem(choice, n, "approval")


def _ranked_problem(choice: object, n: int) -> str | None:
    problem = _list_problem(choice, n, "ranked-choice")
    if problem is None and (len(choice) == 0 or len(choice) != n):
        problem = f"ranked-choice needs all {n} choices ranked, got {len(choice)}"
    return problem


def _copeland_problem(choice: object, n: int) -> str | None:
    if not isinstance(choice, list | tuple):
        return f"copeland takes a list of choice numbers, not {_kind(choice)}"
    if len(choice) == 0 or len(choice) != n:
        return f"copeland needs all {n} choices ranked, got {len(choice)}"
    problem = _duplicate_problem(choice)
    for element in choice:
        if problem is None and not (
            is_number(element) and number(element).is_integer() and 1 <= element <= n
        ):
            problem = f"choice {element!r} is not a whole number in 1..{n}"
    return problem


def _weights_problem(choice: object, n: int, voting_type: str) -> str | None:
    if not isinstance(choice, dict):
        return f'{voting_type} takes an object of weights by choice number ({{"1": 2, "3": 1}}), not {_kind(choice)}'
    items = object_items(choice)
    for key, _ in items:
        if not is_index(key, n):
            return f"choice {key!r} is not one of 1..{n}"
    if not items:
        return "give a weight to at least one choice"
    for key, weight in items:
        if not (is_number(weight) and number(weight) >= 0):
            return f"the weight of choice {key!r} must be a number >= 0, not {_kind(weight)}"
    if not any(number(weight) > 0 for _, weight in items):
        return "at least one weight must be above 0"
    return None


def _quadratic_problem(choice: object, n: int) -> str | None:
    return _weights_problem(choice, n, "quadratic")


def _weighted_problem(choice: object, n: int) -> str | None:
    return _weights_problem(choice, n, "weighted")


# ---- tallies (getScores and getScoresByStrategy) ---------------------------------------------------


def _selections(ballots: _Ballots, single: bool) -> tuple[np.ndarray, np.ndarray]:
    """(vote index, 0-based choice) of every number a valid vote selects, in vote order."""
    votes, picked = [], []
    for i in np.flatnonzero(ballots.valid):
        elements = [ballots.choices[i]] if single else ballots.choices[i]
        for element in elements:
            if is_number(element):  # `includes(i + 1)` and `=== i + 1` match numbers only
                votes.append(i)
                picked.append(int(number(element)) - 1)
    return np.array(votes, np.intp), np.array(picked, np.intp)


def _tally_selections(ballots: _Ballots, n: int, single: bool) -> tuple[np.ndarray, np.ndarray]:
    votes, picked = _selections(ballots, single)
    strategies = ballots.scores.shape[1]
    scores = _binsum(picked, ballots.balances[votes], n)
    bins = (picked[:, None] * strategies + np.arange(strategies)).ravel()
    by_strategy = _binsum(bins, ballots.scores[votes].ravel(), n * strategies).reshape(n, strategies)
    return scores, by_strategy


def _tally_single(ballots: _Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    return _tally_selections(ballots, n, single=True)


def _tally_approval(ballots: _Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    return _tally_selections(ballots, n, single=False)


def _weight_shares(ballots: _Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
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


def _tally_weighted(ballots: _Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    weights, totals = _weight_shares(ballots, n)
    balances, scores = ballots.balances[ballots.valid], ballots.scores[ballots.valid]
    valid_total = _seqsum(balances)
    with np.errstate(all="ignore"):
        shares = _nan_to_zero((weights / totals[:, None]) * 100) / 100  # weightedPower
        results = _colsum(shares * balances[:, None])
        percents = _nan_to_zero((results / _seqsum(results)) * 100)
        by_power = _colsum(
            (shares[:, :, None] * scores[:, None, :]).reshape(len(scores), n * scores.shape[1])
        )
        by_percents = _nan_to_zero((by_power / _seqsum(by_power)) * 100)
    strategies = scores.shape[1]
    return (valid_total / 100) * percents, ((valid_total / 100) * by_percents).reshape(n, strategies)


def _tally_quadratic(ballots: _Ballots, n: int) -> tuple[np.ndarray, np.ndarray]:
    weights, totals = _weight_shares(ballots, n)
    balances, scores = ballots.balances[ballots.valid], ballots.scores[ballots.valid]
    valid_total = _seqsum(balances)
    with np.errstate(all="ignore"):
        shares = _nan_to_zero(weights / totals[:, None])  # calcPercentageOfSum
        roots = _colsum(np.sqrt(shares * balances[:, None]))
        quadratic = roots * roots
        percents = _nan_to_zero(quadratic / _seqsum(quadratic))
        by_roots = _colsum(
            np.sqrt(shares[:, :, None] * scores[:, None, :]).reshape(len(scores), n * scores.shape[1])
        )
        by_quadratic = by_roots * by_roots
        by_percents = _nan_to_zero(by_quadratic / _seqsum(by_quadratic))
    strategies = scores.shape[1]
    return valid_total * percents, (valid_total * by_percents).reshape(n, strategies)


def _zero_based(rows: np.ndarray) -> np.ndarray:
    """Valid rows of choice numbers (1..n, any numeric dtype) as 0-based integer candidate ids."""
    return (rows.astype(np.intp) if rows.dtype.kind == "f" else rows) - 1


def _ranked_rows(ballots: _Ballots, rows: np.ndarray | None) -> np.ndarray | None:
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
    half = _seqsum(balances) / 2
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


def _tally_ranked(ballots: _Ballots, n: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
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
                margins[a][b] = _seqsum(np.where(position[:, a] < position[:, b], power, -power))
    # A choice at rank r gains the vote's power once per lower-ranked choice, in a row.
    support = [_seqsum(np.repeat(power, n - 1 - position[:, c])) for c in range(n)]
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


def _tally_copeland(
    ballots: _Ballots, n: int, rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    index = np.flatnonzero(ballots.valid)
    if rows is None:
        rows = np.array([[int(number(c)) - 1 for c in ballots.choices[i]] for i in index], np.intp).reshape(
            -1, n
        )
    else:
        rows = _zero_based(rows[index])
    balances, scores = ballots.balances[index], ballots.scores[index]
    total = _seqsum(balances)
    headline = _copeland_share(
        _copeland_points(*_copeland_matrices(rows, balances, n), total, n), total, n, True
    )
    columns = []
    for strategy in range(scores.shape[1]):
        power = scores[:, strategy]
        strategy_total = _seqsum(power)
        margins, support = _copeland_matrices(rows, power, n)
        points = _copeland_points(margins, support, strategy_total, n)  # skips the bonus when total <= 0
        columns.append(_copeland_share(points, strategy_total, n, strategy_total > 0))
    by_strategy = np.array(columns, np.float64).T.reshape(n, scores.shape[1])
    return np.array(headline, np.float64), by_strategy


# ---- the registry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Type:
    problem: object  # (choice, n) -> reason or None
    tally: object  # (ballots, n[, rows]) -> (scores, scores_by_strategy)
    total_of_valid_only: bool = False  # copeland's getScoresTotal sums valid votes only
    permutations: bool = False  # valid choices are permutations of 1..n (the numpy fast path)


_TYPES = {
    "single-choice": _Type(_number_problem, _tally_single),
    "basic": _Type(_number_problem, _tally_single),
    "approval": _Type(_approval_problem, _tally_approval),
    "quadratic": _Type(_quadratic_problem, _tally_quadratic),
    "weighted": _Type(_weighted_problem, _tally_weighted),
    "ranked-choice": _Type(_ranked_problem, _tally_ranked, permutations=True),
    "copeland": _Type(_copeland_problem, _tally_copeland, total_of_valid_only=True, permutations=True),
}


def _type(voting_type: str) -> _Type:
    try:
        return _TYPES[voting_type]
    except (KeyError, TypeError):
        raise VotingError(
            f"unknown voting type {voting_type!r}; choose one of {', '.join(VOTING_TYPES)}"
        ) from None


def _count(choices: int | Sequence[str]) -> int:
    n = choices if isinstance(choices, int) and not isinstance(choices, bool) else None
    if n is None and isinstance(choices, Sequence) and not isinstance(choices, str):
        n = len(choices)
    if n is None or n < 0:
        raise VotingError(
            f"choices must be the number of choices or the list of their labels, not {choices!r}"
        )
    return n


def choice_problem(voting_type: str, choice: object, choices: int | Sequence[str]) -> str | None:
    """Why snapshot.js's ``isValidChoice`` refuses ``choice``, or None when it accepts it."""
    return _type(voting_type).problem(choice, _count(choices))


def is_valid_choice(voting_type: str, choice: object, choices: int | Sequence[str]) -> bool:
    """snapshot.js's ``isValidChoice(choice, proposal.choices)`` of the type's class."""
    return choice_problem(voting_type, choice, choices) is None


def validate_choice(voting_type: str, choice: object, choices: int | Sequence[str]) -> None:
    """Raise :class:`ChoiceError` with the reason when snapshot.js would ignore a vote with ``choice``."""
    problem = choice_problem(voting_type, choice, choices)
    if problem is not None:
        raise ChoiceError(f"invalid {voting_type} choice {choice!r}: {problem}")


# ---- votes in -------------------------------------------------------------------------------------


def _numbers(values: list, what: str, per_vote: int = 1) -> np.ndarray:
    """A float64 array of finite, non-negative JSON numbers (-0.0 becomes 0.0); ``per_vote`` numbers
    come from each vote."""
    if not set(map(type, values)) <= {int, float}:
        for i, value in enumerate(values):
            if not is_number(value):
                raise VotingError(f"vote {i // per_vote}: {what} must be a number, not {_kind(value)}")
    try:
        array = np.array(values, np.float64)
    except OverflowError:
        array = np.array([number(value) for value in values], np.float64)
    bad = np.flatnonzero(~(np.isfinite(array) & (array >= 0)))
    if bad.size:
        raise VotingError(
            f"vote {bad[0] // per_vote}: {what} must be a finite number >= 0, not {values[bad[0]]!r}"
        )
    return array + 0.0


def _ballots(votes: Sequence[Mapping], n_strategies: int) -> tuple[list, np.ndarray, np.ndarray]:
    try:
        choices = list(map(itemgetter("choice"), votes))
        balances = list(map(itemgetter("balance"), votes))
        try:
            scores = list(map(itemgetter("scores"), votes))
        except KeyError:  # "scores" is optional
            scores = list(map(methodcaller("get", "scores"), votes))
    except (KeyError, TypeError, AttributeError):
        for i, vote in enumerate(votes):
            if not isinstance(vote, Mapping) or "choice" not in vote or "balance" not in vote:
                raise VotingError(
                    f'vote {i} must be an object with "choice" and "balance" (and "scores"), not {vote!r}'
                ) from None
        raise
    balance_array = _numbers(balances, "balance")
    if scores.count(None) == len(scores) and n_strategies == 1:
        return choices, balance_array, balance_array[:, None].copy()
    if set(map(type, scores)) <= {list, tuple} and set(map(len, scores)) == {n_strategies}:
        flat = _numbers(list(chain.from_iterable(scores)), "each strategy score", n_strategies)
        return choices, balance_array, flat.reshape(len(votes), n_strategies)
    rows = []
    for i, value in enumerate(scores):
        if value is None and n_strategies == 1:
            value = [balances[i]]
        if not isinstance(value, list | tuple) or len(value) != n_strategies:
            raise VotingError(
                f'vote {i}: "scores" must list one number per strategy ({n_strategies}), not {value!r}'
            )
        rows.append(value)
    flat = _numbers(list(chain.from_iterable(rows)), "each strategy score", max(n_strategies, 1))
    return choices, balance_array, flat.reshape(len(votes), n_strategies)


def _number_matrix(rows: list, n: int) -> np.ndarray | None:
    """The ballots (lists of n elements) as a numeric matrix, or None when some element is not a
    plain number (a string, null, a list: the caller then checks ballot by ballot)."""
    if n <= 255:
        try:  # one C pass that also refuses floats, strings and everything but small ints
            return np.frombuffer(bytes(chain.from_iterable(rows)), np.uint8).reshape(len(rows), n)
        except (TypeError, ValueError):
            pass
    try:
        array = np.array(rows)
    except (ValueError, OverflowError):
        return None
    return array if array.ndim == 2 and array.dtype.kind in "iuf" else None


def _hides_booleans(rows: list, array: np.ndarray, ok: np.ndarray) -> bool:
    """Whether a ``true`` stands where the matrix holds a 1: bytes() and numpy read it as 1, while
    JavaScript's Set tells it from 1 and Number.isInteger refuses it. (``false`` reads as 0, which
    makes its ballot invalid on both sides.)"""
    firsts = np.argmin(array, axis=1)[ok].tolist()  # a valid row is a permutation: its 1 is its least
    if bool in set(map(type, map(getitem, compress(rows, ok), firsts))):
        return True
    doubled = np.flatnonzero(~ok)  # an invalid row with two 1s may be [1, true, ...]
    doubled = doubled[(array[doubled] == 1).sum(axis=1) > 1]
    return any(type(element) is bool for i in doubled for element in rows[i])


def _permutation_rows(choices: list, n: int) -> tuple[np.ndarray, np.ndarray] | None:
    """(valid mask, rows of choice numbers) of ranked ballots checked with numpy: valid ballots are
    the permutations of 1..n. None when some ballot needs JavaScript's coercions (checked one by one)."""
    if not choices or n == 0 or not set(map(type, choices)) <= {list, tuple}:
        return None
    full = np.fromiter(map(len, choices), np.intp, len(choices)) == n  # other lengths are invalid
    rows = choices if full.all() else list(compress(choices, full))
    array = _number_matrix(rows, n)
    if array is None:
        return None
    ok = ((array >= 1) & (array <= n)).all(axis=1)
    if array.dtype.kind == "f":
        ok &= (array == np.floor(array)).all(axis=1) & (np.sort(array, axis=1) == np.arange(1, n + 1)).all(
            axis=1
        )
    elif n <= 63:  # one bit per choice number: a permutation sets bits 1..n
        width = np.uint32 if n <= 31 else np.uint64
        shifts = array if array.dtype.kind == "u" else array.astype(width)  # out-of-range rows fail above
        bits = np.bitwise_or.reduce(np.left_shift(width(1), shifts, dtype=width), axis=1)
        ok &= bits == width((1 << (n + 1)) - 2)
    else:
        ok &= (np.sort(array, axis=1) == np.arange(1, n + 1)).all(axis=1)
    if _hides_booleans(rows, array, ok):
        return None
    if rows is choices:
        return ok, array
    valid = np.zeros(len(choices), bool)
    valid[full] = ok
    ranks = np.ones((len(choices), n), array.dtype)
    ranks[full] = array
    return valid, ranks


def _prepare(voting_type: str, choices: int | Sequence[str], votes: Sequence[Mapping], n_strategies: int):
    kind, n = _type(voting_type), _count(choices)
    if not isinstance(n_strategies, int) or n_strategies < 0:
        raise VotingError(f"n_strategies must be a whole number >= 0, not {n_strategies!r}")
    vote_choices, balances, scores = _ballots(votes, n_strategies)
    fast = _permutation_rows(vote_choices, n) if kind.permutations else None
    if fast is not None:
        valid, rows = fast
    else:
        rows = None
        valid = np.fromiter(
            (kind.problem(choice, n) is None for choice in vote_choices), bool, len(vote_choices)
        )
    return kind, n, _Ballots(vote_choices, balances, scores, valid), rows


def valid_votes(voting_type: str, choices: int | Sequence[str], votes: Sequence[Mapping]) -> list[Mapping]:
    """snapshot.js's ``getValidVotes``: the votes whose choice is valid, in their order."""
    kind, n = _type(voting_type), _count(choices)
    try:
        return [vote for vote in votes if kind.problem(vote["choice"], n) is None]
    except (KeyError, TypeError):
        raise VotingError('every vote must be an object with a "choice"') from None


def score(
    voting_type: str, choices: int | Sequence[str], votes: Sequence[Mapping], n_strategies: int = 1
) -> Result:
    """Tally ``votes`` as snapshot.js's class for ``voting_type`` does.

    ``choices`` is the proposal's number of choices (or its list of labels). Each vote is
    ``{"choice": ..., "balance": float, "scores": [float] * n_strategies}``; without ``scores``, a
    single strategy's score is the balance. Votes with an invalid choice are ignored by the scores.
    Raises :class:`VotingError` for an unknown type or a malformed vote (the message names it).
    """
    kind, n, ballots, rows = _prepare(voting_type, choices, votes, n_strategies)
    if kind.permutations:
        scores, by_strategy = kind.tally(ballots, n, rows)
    else:
        scores, by_strategy = kind.tally(ballots, n)
    counted = ballots.balances[ballots.valid] if kind.total_of_valid_only else ballots.balances
    return Result(
        scores=[float(value) for value in scores],
        scores_by_strategy=[
            [float(value) for value in row] for row in np.asarray(by_strategy).reshape(n, n_strategies)
        ],
        scores_total=_seqsum(counted),
        valid_count=int(ballots.valid.sum()),
    )


# ---- getChoiceString ---------------------------------------------------------------------------------


def _label(labels: Sequence[str], selected: object) -> str | None:
    return labels[int(to_number(selected)) - 1] if is_index(selected, len(labels)) else None


def _js_round(x: float) -> float:
    """``Math.round``: to the nearest integer, halves up."""
    if not math.isfinite(x):
        return x
    floor = math.floor(x)
    return float(floor + 1 if x - floor >= 0.5 else floor)


def _ordinal(n: int) -> str:
    suffixes, v = ["th", "st", "nd", "rd"], n % 100
    r = int(math.fmod(v - 20, 10))
    suffix = (suffixes[r] if 0 <= r < 4 else "") or (suffixes[v] if v < 4 else "") or suffixes[0]
    return f"{n}{suffix}"


def _weights_string(labels: Sequence[str], selected: object, percent_of) -> str:
    if not isinstance(selected, dict):
        raise VotingError(f"selected must be an object of weights by choice number, not {_kind(selected)}")
    items = object_items(selected)
    if not all(is_number(weight) for _, weight in items):
        raise VotingError("selected weights must be numbers")
    values = [number(weight) for _, weight in items]
    by_key = dict(items)
    parts = []
    for i, label in enumerate(labels):
        weight = by_key.get(str(i + 1))
        if weight is not None and number(weight) == number(weight) and number(weight) != 0:
            parts.append(f"{number_to_string(percent_of(number(weight), values))}% for {label}")
    return ", ".join(parts)


def _quadratic_percent(weight: float, values: list[float]) -> float:
    whole = 0.0
    for value in values:
        whole += value
    with np.errstate(all="ignore"):
        percent = float(np.float64(weight) / whole)
    return _js_round((0.0 if percent != percent else percent) * 1000) / 10


def _weighted_percent(weight: float, values: list[float]) -> float:
    whole = 0.0
    for value in values:
        whole += value
    with np.errstate(all="ignore"):
        percent = float((np.float64(weight) / whole) * 100)
    return _js_round((0.0 if percent != percent else percent) * 10) / 10


def choice_string(voting_type: str, labels: Sequence[str], selected: object) -> str | None:
    """snapshot.js's ``getChoiceString`` of a vote's choice (None where snapshot.js gives undefined)."""
    _type(voting_type)
    if voting_type in ("single-choice", "basic"):
        return _label(labels, selected)
    if voting_type == "approval":
        if (
            selected is None
            or selected is False
            or selected == ""
            or (is_number(selected) and not number(selected) > 0 and not number(selected) < 0)
        ):
            return ""
        if isinstance(selected, str):  # String.prototype.includes
            return ", ".join(label for i, label in enumerate(labels) if str(i + 1) in selected)
        if not isinstance(selected, list | tuple):
            raise VotingError(f"selected must be a list of choice numbers, not {_kind(selected)}")
        wanted = {number(element) for element in selected if is_number(element)}
        return ", ".join(label for i, label in enumerate(labels) if i + 1 in wanted)
    if voting_type == "quadratic":
        return _weights_string(labels, selected, _quadratic_percent)
    if voting_type == "weighted":
        return _weights_string(labels, selected, _weighted_percent)
    if not isinstance(selected, list | tuple):
        raise VotingError(f"selected must be a list of choice numbers, not {_kind(selected)}")
    names = [_label(labels, element) for element in selected]
    if voting_type == "copeland":
        return ", ".join(name or "" for name in names)
    ranked = [name for name in names if name]
    return ", ".join(f"({_ordinal(i + 1)}) {name}" for i, name in enumerate(ranked))
