"""snapshot.js's ``isValidChoice`` of each voting type, with the reason a choice is refused.

Each ``*_problem(choice, n)`` returns None exactly when snapshot.js 0.17.5's class accepts ``choice``
for a proposal of ``n`` choices (JavaScript's coercions included: see jsvalues.py), and otherwise a
sentence saying what is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

from sahara_dao.governance.jsvalues import is_index, is_number, number, object_items, same_value_zero_key


def describe(value: object) -> str:
    """A value as an error message names it."""
    return {list: "a list", tuple: "a list", dict: "an object", str: "a string", bool: "a boolean"}.get(
        type(value), "null" if value is None else f"{value!r}"
    )


def single_choice_problem(choice: object, n: int) -> str | None:
    if not is_number(choice):
        return f"single-choice takes one choice number, not {describe(choice)}"
    if not is_index(choice, n):
        return f"choice {choice!r} is not one of 1..{n}"
    return None


def _list_problem(choice: object, n: int, voting_type: str) -> str | None:
    if not isinstance(choice, list | tuple):
        return f"{voting_type} takes a list of choice numbers, not {describe(choice)}"
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


def approval_problem(choice: object, n: int) -> str | None:
    return _list_problem(choice, n, "approval")


def ranked_choice_problem(choice: object, n: int) -> str | None:
    problem = _list_problem(choice, n, "ranked-choice")
    if problem is None and (len(choice) == 0 or len(choice) != n):
        problem = f"ranked-choice needs all {n} choices ranked, got {len(choice)}"
    return problem


def copeland_problem(choice: object, n: int) -> str | None:
    if not isinstance(choice, list | tuple):
        return f"copeland takes a list of choice numbers, not {describe(choice)}"
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
        return f'{voting_type} takes an object of weights by choice number ({{"1": 2, "3": 1}}), not {describe(choice)}'
    items = object_items(choice)
    for key, _ in items:
        if not is_index(key, n):
            return f"choice {key!r} is not one of 1..{n}"
    if not items:
        return "give a weight to at least one choice"
    for key, weight in items:
        if not (is_number(weight) and number(weight) >= 0):
            return f"the weight of choice {key!r} must be a number >= 0, not {describe(weight)}"
    if not any(number(weight) > 0 for _, weight in items):
        return "at least one weight must be above 0"
    return None


def quadratic_problem(choice: object, n: int) -> str | None:
    return _weights_problem(choice, n, "quadratic")


def weighted_problem(choice: object, n: int) -> str | None:
    return _weights_problem(choice, n, "weighted")
