"""snapshot.js 0.17.5's ``getChoiceString``: a vote's choice as people read it."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from sahara_dao.governance.choice_checks import describe
from sahara_dao.governance.errors import VotingError
from sahara_dao.governance.jsvalues import (
    is_index,
    is_number,
    number,
    number_to_string,
    object_items,
    to_number,
)


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
        raise VotingError(f"selected must be an object of weights by choice number, not {describe(selected)}")
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


def choice_string_of(voting_type: str, labels: Sequence[str], selected: object) -> str | None:
    """``getChoiceString`` of a known voting type (None where snapshot.js gives undefined)."""
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
            raise VotingError(f"selected must be a list of choice numbers, not {describe(selected)}")
        wanted = {number(element) for element in selected if is_number(element)}
        return ", ".join(label for i, label in enumerate(labels) if i + 1 in wanted)
    if voting_type == "quadratic":
        return _weights_string(labels, selected, _quadratic_percent)
    if voting_type == "weighted":
        return _weights_string(labels, selected, _weighted_percent)
    if not isinstance(selected, list | tuple):
        raise VotingError(f"selected must be a list of choice numbers, not {describe(selected)}")
    names = [_label(labels, element) for element in selected]
    if voting_type == "copeland":
        return ", ".join(name or "" for name in names)
    ranked = [name for name in names if name]
    return ", ".join(f"({_ordinal(i + 1)}) {name}" for i, name in enumerate(ranked))
