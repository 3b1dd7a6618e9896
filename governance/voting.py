"""Snapshot's voting types, scored exactly as @snapshot-labs/snapshot.js 0.17.5 scores them.

One entry point per question the poll service asks:

- :func:`validate_choice` / :func:`is_valid_choice`: ``isValidChoice`` of the type's class (a vote
  whose choice is invalid is ignored by the tally, but still counts in ``scores_total`` except under
  copeland, as in snapshot.js);
- :func:`score`: ``getScores``, ``getScoresByStrategy`` and ``getScoresTotal`` in one pass;
- :func:`valid_votes`: ``getValidVotes``; :func:`choice_string`: ``getChoiceString``.

Votes are shaped as snapshot.js takes them: ``{"choice": ..., "balance": float, "scores":
[float per strategy]}``. Results are equal to snapshot.js's, bit for bit (tallies.py says how). Two
input rules are stricter than snapshot.js, which never meets such votes from a hub: balances and
strategy scores must be finite and not negative (``-0.0`` counts as ``0.0``), and votes must be JSON
values. Ranked ballots that pass only through JavaScript's coercions (``["2", 1, 3]``,
``[true, 2, 3]``) run through a line-for-line port of snapshot.js's runoff (loose_runoff.py).

Ranked ballots made of plain numbers are checked in one C pass (``bytes`` over the choices) and
numpy: 1,000,000 ballots over 10 choices are scored in about 1 s where snapshot.js takes about 29 s
(``make bench-tally``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, compress
from operator import getitem, itemgetter, methodcaller

import numpy as np

from sahara_dao.governance.choice_checks import (
    approval_problem,
    copeland_problem,
    describe,
    quadratic_problem,
    ranked_choice_problem,
    single_choice_problem,
    weighted_problem,
)
from sahara_dao.governance.choice_strings import choice_string_of
from sahara_dao.governance.errors import ChoiceError, VotingError
from sahara_dao.governance.jsvalues import is_number, number
from sahara_dao.governance.tallies import (
    Ballots,
    seqsum,
    tally_approval,
    tally_copeland,
    tally_quadratic,
    tally_ranked,
    tally_single,
    tally_weighted,
)

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


# ---- the registry ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Type:
    problem: object  # (choice, n) -> reason or None
    tally: object  # (ballots, n[, rows]) -> (scores, scores_by_strategy)
    total_of_valid_only: bool = False  # copeland's getScoresTotal sums valid votes only
    permutations: bool = False  # valid choices are permutations of 1..n (the numpy fast path)


_TYPES = {
    "single-choice": _Type(single_choice_problem, tally_single),
    "basic": _Type(single_choice_problem, tally_single),
    "approval": _Type(approval_problem, tally_approval),
    "quadratic": _Type(quadratic_problem, tally_quadratic),
    "weighted": _Type(weighted_problem, tally_weighted),
    "ranked-choice": _Type(ranked_choice_problem, tally_ranked, permutations=True),
    "copeland": _Type(copeland_problem, tally_copeland, total_of_valid_only=True, permutations=True),
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
                raise VotingError(f"vote {i // per_vote}: {what} must be a number, not {describe(value)}")
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
    return kind, n, Ballots(vote_choices, balances, scores, valid), rows


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
        scores_total=seqsum(counted),
        valid_count=int(ballots.valid.sum()),
    )


def choice_string(voting_type: str, labels: Sequence[str], selected: object) -> str | None:
    """snapshot.js's ``getChoiceString`` of a vote's choice (None where snapshot.js gives undefined)."""
    _type(voting_type)
    return choice_string_of(voting_type, labels, selected)
