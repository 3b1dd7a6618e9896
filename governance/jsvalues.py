"""JavaScript's view of JSON values, as far as snapshot.js's voting classes depend on it.

snapshot.js checks choices with JavaScript operators: ``proposalChoices[choice - 1]`` coerces the
choice to a number (``"2"``, ``[2]`` and ``true`` all pass), ``new Set(choice)`` compares with
SameValueZero, and ``Object.keys``/``Object.values`` list integer-like keys first in ascending
order. These helpers reproduce those rules on Python's JSON values (None, bool, int, float, str,
list/tuple, dict), so that a choice is valid here exactly when it is valid in snapshot.js.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from sahara_dao.governance.errors import VotingError

# StrWhiteSpaceChar of ECMA-262: WhiteSpace and LineTerminator.
_JS_SPACE = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
_DECIMAL = re.compile(r"[+-]?(?:Infinity|[0-9]+\.?[0-9]*(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)")
_NON_DECIMAL = re.compile(r"0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_BASES = {"x": 16, "o": 8, "b": 2}
_ARRAY_INDEX = re.compile(r"0|[1-9][0-9]*")
_MAX_ARRAY_INDEX = 2**32 - 2


def is_number(value: object) -> bool:
    """``typeof value === 'number'``: an int or a float, never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: int | float) -> float:
    """The double JavaScript holds for a JSON number (ints beyond the double range are infinite)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def string_to_number(text: str) -> float:
    """ECMA-262 StringToNumber: ``Number(text)``."""
    text = text.strip(_JS_SPACE)
    if not text:
        return 0.0
    if _NON_DECIMAL.fullmatch(text):
        return number(int(text[2:], _BASES[text[1].lower()]))
    if _DECIMAL.fullmatch(text):
        return float(text.replace("Infinity", "inf"))
    return math.nan


def to_number(value: object) -> float:
    """ECMA-262 ToNumber of a JSON value (what ``value - 1`` starts from)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if is_number(value):
        return number(value)
    if isinstance(value, str):
        return string_to_number(value)
    if isinstance(value, list | tuple):
        return string_to_number(to_string(value))
    if isinstance(value, dict):
        return math.nan  # "[object Object]"
    raise VotingError(
        f"{value!r} ({type(value).__name__}) is not a JSON value; send numbers, strings, lists or objects"
    )


def to_string(value: object) -> str:
    """ECMA-262 ToString of a JSON value (arrays join their elements with commas)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_number(value):
        return number_to_string(number(value))
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return ",".join("" if element is None else to_string(element) for element in value)
    if isinstance(value, dict):
        return "[object Object]"
    raise VotingError(
        f"{value!r} ({type(value).__name__}) is not a JSON value; send numbers, strings, lists or objects"
    )


def number_to_string(x: float) -> str:
    """ECMA-262 Number::toString(x): what ``String(x)`` and ``JSON.stringify`` print."""
    if x != x:
        return "NaN"
    if x == 0:
        return "0"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x < 0:
        return "-" + number_to_string(-x)
    _, digit_tuple, exponent = Decimal(repr(x)).as_tuple()  # repr: the shortest digits that round-trip
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len(digit_tuple) - len(digits)
    k, n = len(digits), len(digits) + exponent  # x = 0.d1...dk * 10**n
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def is_index(value: object, length: int) -> bool:
    """``array[value - 1] !== undefined`` for an array of ``length`` defined elements."""
    k = to_number(value) - 1
    return k.is_integer() and 0 <= k < length


def same_value_zero_key(value: object, position: int) -> tuple:
    """A key under which two values are equal exactly when ``new Set`` counts them once."""
    if is_number(value):
        x = number(value)
        return ("number", "NaN") if x != x else ("number", x)  # -0.0 == 0.0 and hashes alike
    if value is None or isinstance(value, bool | str):
        return (type(value).__name__, value)
    return ("object", position)  # arrays and objects are distinct by identity


def property_key(key: object) -> str:
    """The property key JavaScript makes of a Python dict key (JSON keys are strings already)."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, bool | int | float):
        return to_string(key)
    raise VotingError(f"object key {key!r} is not a string or a number")


def object_items(obj: dict) -> list[tuple[str, object]]:
    """``Object.entries(obj)`` order: array-index keys ascending, then the others as inserted."""
    items: dict[str, object] = {}
    for key, value in obj.items():
        name = property_key(key)
        if name in items:
            raise VotingError(
                f"object keys {key!r} and {name!r} are the same key in JSON; send each key once"
            )
        items[name] = value
    indexes = sorted(
        (name for name in items if _ARRAY_INDEX.fullmatch(name) and int(name) <= _MAX_ARRAY_INDEX), key=int
    )
    numbered = set(indexes)
    rest = [name for name in items if name not in numbered]
    return [(name, items[name]) for name in (*indexes, *rest)]
