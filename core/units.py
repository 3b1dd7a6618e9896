"""Exact conversions for configuration values: token amounts to base units, durations to seconds.

Amounts are parsed as decimal strings, never floats, so ``"0.1"`` SAHARA is exactly 10**17 base units.
"""

import re
from decimal import Decimal, InvalidOperation

from sahara_dao.core.errors import ConfigError

DECIMALS = 18
UNIT = 10**DECIMALS
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdwy]?)\s*$")
_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400, "y": 365 * 86_400}


def to_base_units(value: int | str, what: str) -> int:
    """Whole tokens (``1_000`` or ``"1000.5"``) to base units; refuses floats and extra decimals."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ConfigError(f"{what}: write the amount {value!r} as an integer or a quoted decimal string")
    try:
        amount = Decimal(str(value).replace("_", ""))
    except InvalidOperation:
        raise ConfigError(f"{what}: {value!r} is not an amount of SAHARA") from None
    base = amount * UNIT
    if base != base.to_integral_value() or base < 0:
        raise ConfigError(f"{what}: {value!r} is negative or has more than {DECIMALS} decimals")
    return int(base)


def to_seconds(value: int | str, what: str) -> int:
    """``7d``, ``48h``, ``1y`` (365 days) or plain seconds."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    match = _DURATION.match(str(value))
    if not match:
        raise ConfigError(f"{what}: {value!r} is not a duration; use seconds or a suffix s, m, h, d, w, y")
    return int(match.group(1)) * _SECONDS[match.group(2)]


def format_tokens(base_units: int) -> str:
    """Base units as SAHARA with thousands separators, trailing zeros dropped."""
    whole, frac = divmod(abs(base_units), UNIT)
    sign = "-" if base_units < 0 else ""
    text = f"{sign}{whole:,}"
    if frac:
        text += "." + f"{frac:0{DECIMALS}d}".rstrip("0")
    return text
