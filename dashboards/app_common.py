"""What every page shares: the sidebar's choices (database, chains), cached reads through the
``sahara_dao`` read functions, and the formatting of SAHARA amounts and tables.

Reads go through ``st.cache_data`` wrappers keyed on the database URL and the chains; nothing runs at
import time. The dashboard only reads: it never migrates the database or signs with an operator key.
"""

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import streamlit as st
from sqlmodel import Session

from sahara_dao.core.units import UNIT, format_tokens

TTL = 60  # seconds a cached read is kept: the indexer adds events while the page is open


# --- the database --------------------------------------------------------------------------------


def default_url() -> str:
    from sahara_dao.core.db import database_url

    return database_url()


@st.cache_data(ttl=TTL, show_spinner=False)
def schema_problem(url: str) -> str | None:
    """Why the database at ``url`` cannot be read (None when it can)."""
    from sahara_dao.core.db import current_revision, get_engine, head_revision, redacted_url

    try:
        current = current_revision(get_engine(url))
    except Exception as exc:  # noqa: BLE001 - any driver error means the same thing here
        return f"cannot open the database at {redacted_url(url)}: {exc}. Check the URL in the sidebar or DATABASE_URL."
    if current is None:
        return (f"the database at {redacted_url(url)} is empty: run `make demo` (or `sahara db upgrade`, then "
                "`sahara deploy` and `sahara index`) to fill it")  # fmt: skip
    if current != head_revision():
        return (f"the database at {redacted_url(url)} is at schema revision {current}, this code reads "
                f"{head_revision()}: run `sahara db upgrade`")  # fmt: skip
    return None


def read(url: str, fn: Callable, **kwargs):
    """Run a keyword-only read function of ``sahara_dao`` in a read-only session on ``url``."""
    from sahara_dao.core.db import get_engine, load_models

    load_models()
    with Session(get_engine(url)) as session:
        return fn(session=session, **kwargs)


@st.cache_data(ttl=TTL, show_spinner=False)
def chains(url: str):
    from sahara_dao.token.treasury import indexed_chains

    return read(url, indexed_chains)


# --- the sidebar ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    url: str
    chain_ids: tuple[int, ...]
    labels: dict[int, str]  # chain id -> "ethereum local (31337)"
    ecosystems: dict[int, str]  # chain id -> ecosystem (what `--chain` takes on local chains)
    clocks: tuple[tuple[int, int], ...]  # chain id -> "now" on it: the later of the wall clock and its last indexed block

    def label(self, chain_id: int) -> str:
        return self.labels.get(chain_id, str(chain_id))

    @property
    def as_of(self) -> dict[int, int]:
        """Each chain's "now" (local chains run ahead of the wall clock)."""
        return dict(self.clocks)

    @property
    def now(self) -> int:
        return max(time for _, time in self.clocks)


def sidebar() -> Context | None:
    """The database and chain pickers; None (with the reason shown) when nothing can be read."""
    st.sidebar.text_input("Database URL", value=default_url(), key="db_url",
                          help="SQLite file (sqlite:///var/sahara.db) or PostgreSQL (postgresql+psycopg://...); "
                               "default: DATABASE_URL, else the data directory's sahara.db")  # fmt: skip
    url = st.session_state["db_url"].strip()
    problem = schema_problem(url)
    if problem:
        st.error(problem)
        return None
    known = chains(url)
    if not known:
        st.info("No chain in the database yet: run `make demo`, or `sahara deploy` then `sahara index`.")
        return None
    labels = {c.chain_id: c.label for c in known}
    picked = st.sidebar.multiselect("Chains", options=list(labels), default=list(labels), format_func=labels.get,
                                    key="chain_ids", help="Figures sum over the chains picked here.")  # fmt: skip
    if st.sidebar.button("Reload data", help="Forget cached reads (they refresh every minute anyway)."):
        st.cache_data.clear()
    st.sidebar.caption(
        "Indexed up to: " + "; ".join(f"{c.label} block {c.last_block} ({when(c.last_time)})" for c in known
                                       if c.chain_id in picked and c.last_block is not None)  # fmt: skip
        + ". Run `sahara index` for newer events."
    )
    if not picked:
        st.info("Pick at least one chain in the sidebar.")
        return None
    ecosystems = {c.chain_id: c.ecosystem for c in known}
    now = int(time.time()) // TTL * TTL  # steady within a minute, so cached reads keyed on it are reused
    clocks = tuple((c.chain_id, max(now, c.last_time or 0)) for c in known if c.chain_id in picked)
    return Context(url, tuple(sorted(picked)), labels, ecosystems, clocks)


# --- formatting ----------------------------------------------------------------------------------


def sahara(amount: int) -> str:
    """Base units as SAHARA, exactly (``1,999,000,081.425``)."""
    return format_tokens(int(amount))


def as_float(amount: int) -> float:
    """Base units as SAHARA for a chart axis only (never for figures shown as numbers)."""
    return float(Decimal(int(amount)) / UNIT)


def when(timestamp: int | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d %H:%M UTC")


def percent(share) -> str:
    return f"{float(share) * 100:.2f} %"


def short(address: str | None) -> str:
    return "" if not address else f"{address[:6]}…{address[-4:]}"


def address_input(label: str, *, key: str) -> str | None:
    """An address typed by the user, checksummed; None while empty. A malformed one shows the
    reason and stops the page."""
    from sahara_dao.token.claims import checksum_address

    text = st.text_input(label, key=key, placeholder="0x…").strip()
    if not text:
        return None
    try:
        return checksum_address(text)
    except ValueError:
        st.error(f"{text!r} is not an address: 0x followed by 40 hex digits")
        st.stop()


def table(rows: Sequence[dict], *, amounts: Iterable[str] = (), key: str, filename: str, caption: str | None = None) -> None:
    """A table with its ``amounts`` columns shown as SAHARA, and a CSV download of it in which each
    amount comes twice: exact base units and SAHARA (``.`` decimals, no separators)."""
    amounts = [a for a in amounts]
    frame = pd.DataFrame(rows)
    shown = frame.copy()
    for column in amounts:
        if column in shown:
            shown[column] = shown[column].map(sahara)
    st.dataframe(shown, hide_index=True, width="stretch", key=f"{key}_table")
    csv = frame.copy()
    for column in amounts:
        if column in csv:
            csv[f"{column} (base units)"] = csv[column].map(str)
            csv[column] = csv[column].map(lambda v: sahara(v).replace(",", ""))
    cols = st.columns([4, 1])
    if caption:
        cols[0].caption(caption)
    cols[1].download_button("CSV", csv.to_csv(index=False).encode(), file_name=filename, mime="text/csv",
                            key=f"{key}_csv", help="Download this table; amounts in base units and in SAHARA")  # fmt: skip
