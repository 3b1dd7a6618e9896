"""Treasury: the Timelock's and revenue vaults' SAHARA and native coin (ETH, BNB) per chain and in
total, inflows and outflows over time, the genesis allocation's vesting progress, and how much of the
treasury's value is SAHARA at the prices the analyst gives."""

import altair as alt
import pandas as pd
import streamlit as st
from app_common import TTL, as_float, percent, read, sahara, short, sidebar, table, when

from sahara_dao.token import treasury


@st.cache_data(ttl=TTL, show_spinner=False)
def balances(url: str, chain_ids: tuple[int, ...]):
    return read(url, treasury.treasury_balances, chain_ids=chain_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def natives(url: str, chain_ids: tuple[int, ...]):
    return read(url, treasury.native_holdings, chain_ids=chain_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def native_history(url: str, chain_ids: tuple[int, ...]):
    return read(url, treasury.native_history, chain_ids=chain_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def configured_prices() -> dict[str, float]:
    from sahara_dao.core.settings import get_settings

    return {symbol.upper(): float(price) for symbol, price in get_settings().treasury_prices.items()}


@st.cache_data(ttl=TTL, show_spinner=False)
def flows(url: str, chain_ids: tuple[int, ...]):
    return read(url, treasury.treasury_flows, chain_ids=chain_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def vesting(url: str, chain_ids: tuple[int, ...], clocks: tuple[tuple[int, int], ...]):
    from sahara_dao.core.deployments import DeploymentStore
    from sahara_dao.core.settings import get_settings
    from sahara_dao.token.allocation import load_genesis

    settings = get_settings()
    store = DeploymentStore(settings.deployments_dir)
    times = {chain_id: record.genesis_time for chain_id in chain_ids if (record := store.load(chain_id))}
    genesis = load_genesis(settings.genesis_file)
    return read(url, treasury.vesting_progress, genesis=genesis, chain_ids=chain_ids, genesis_times=times, as_of=dict(clocks))


st.title("Treasury")
ctx = sidebar()
if ctx is None:
    st.stop()
st.caption(f"SAHARA held by the DAO's Timelock and the revenue vaults, from indexed Transfer events, and their native "
           f"coin as the indexer last read it, as of {when(ctx.now)}.")  # fmt: skip

rows = balances(ctx.url, ctx.chain_ids)
if not rows:
    st.info("No treasury account in the database for these chains: deploy with `sahara deploy`, then `sahara index`.")
    st.stop()
coins = natives(ctx.url, ctx.chain_ids)
held = treasury.holdings(rows, coins)
held_native = {symbol: amount for symbol, amount in held.items() if symbol != treasury.OWN_TOKEN}
total = held[treasury.OWN_TOKEN]
timelock = sum(b.balance for b in rows if b.name == "timelock")
cols = st.columns(2)
cols[0].metric("Treasury total", f"{sahara(total)} SAHARA", help="Timelock and revenue vaults on the chains picked")
cols[1].metric("Timelock (DAO-controlled)", f"{sahara(timelock)} SAHARA")

with st.expander("Prices for the dependence share (USD per whole unit)"):
    st.caption("The share weighs each holding by its price. Defaults come from SAHARA_TREASURY_PRICES; 0 means no price. "
               "The dashboard fetches no price feed.")  # fmt: skip
    known = configured_prices()
    symbols = [treasury.OWN_TOKEN, *sorted(held_native)]
    price_cols = st.columns(len(symbols))
    prices = {symbol: col.number_input(symbol, min_value=0.0, value=known.get(symbol, 0.0), format="%.6f",
                                       key=f"treasury_price_{symbol}")
              for col, symbol in zip(price_cols, symbols, strict=True)}  # fmt: skip
dependence = treasury.dependence(held, len(ctx.chain_ids), {s: p for s, p in prices.items() if p > 0})
cols = st.columns(2 + len(held_native))
for col, (symbol, amount) in zip(cols[2:], sorted(held_native.items()), strict=True):
    col.metric(f"Native {symbol}", f"{sahara(amount)} {symbol}", help="Timelock and vaults, read by the indexer at its last run")
share = dependence.own_token_share
cols[0].metric("Share in SAHARA", percent(share) if share is not None else "needs prices",
               help=("DeepDAO's dependence on the own token: the SAHARA part of the treasury's value. "
                     + (f"Give a price for {', '.join(dependence.missing_prices)} (above) to compute it."
                        if dependence.missing_prices else
                        "Counted: SAHARA and the native coin of the Timelock and vaults; other tokens are not indexed.")))  # fmt: skip
cols[1].metric("Treasury share of supply", percent(dependence.supply_share),
               help="Treasury SAHARA over the total supply of the chains picked (10,000,000,000 each)")  # fmt: skip
if dependence.values:
    st.caption("Value at these prices: " + ", ".join(f"{symbol} {float(value):,.2f} USD"
                                                     for symbol, value in dependence.values.items()))  # fmt: skip

st.subheader("Balances per chain")
per_chain = [{"chain": ctx.label(b.chain_id), "account": b.label, "address": b.address, "balance": b.balance,
              "received": b.inflow, "sent": b.outflow} for b in rows]  # fmt: skip
per_chain.append({"chain": "all chains", "account": "total", "address": "", "balance": total,
                  "received": sum(b.inflow for b in rows), "sent": sum(b.outflow for b in rows)})  # fmt: skip
table(per_chain, amounts=("balance", "received", "sent"), key="treasury_balances", filename="treasury-balances.csv")

if coins:
    st.subheader("Native coin")
    table([{"chain": ctx.label(c.chain_id), "account": c.label, "asset": c.symbol, "balance": c.balance,
            "read at block": c.block_number, "read at": when(c.block_timestamp)} for c in coins],
          amounts=("balance",), key="treasury_native", filename="treasury-native.csv",
          caption="Native transfers leave no event: the indexer reads these balances at the end of each run "
                  "and keeps every change.")  # fmt: skip
    native_points = pd.DataFrame([{"time": pd.to_datetime(at, unit="s", utc=True), "series": f"{symbol} on {ctx.label(chain_id)}",
                                   "amount": as_float(amount), "balance": f"{sahara(amount)} {symbol}"}
                                  for chain_id, symbol, at, amount in native_history(ctx.url, ctx.chain_ids)])  # fmt: skip
    if len(native_points) > native_points["series"].nunique():  # some balance changed since the first reading
        st.altair_chart(alt.Chart(native_points).mark_line(interpolate="step-after", point=True).encode(
            x=alt.X("time:T", title=None, axis=alt.Axis(format="%Y-%m-%d")), y=alt.Y("amount:Q", title="native coin held"),
            color="series:N", tooltip=["series", "time:T", "balance"],
        ).properties(height=200), width="stretch")  # fmt: skip

st.subheader("Inflows and outflows")
moves = flows(ctx.url, ctx.chain_ids)
history = pd.DataFrame([{"time": pd.to_datetime(at, unit="s", utc=True), "chain": ctx.label(chain_id),
                         "SAHARA": as_float(amount), "balance": sahara(amount)}
                        for chain_id, at, amount in treasury.balance_history(moves)])  # fmt: skip
if not history.empty:
    st.altair_chart(alt.Chart(history).mark_line(interpolate="step-after", point=True).encode(
        x=alt.X("time:T", title=None, axis=alt.Axis(format="%Y-%m-%d")), y=alt.Y("SAHARA:Q", title="treasury balance (SAHARA)", scale=alt.Scale(zero=False)),
        color="chain:N", tooltip=["chain", "time:T", "balance"],
    ).properties(height=220), width="stretch")  # fmt: skip
show_mint = st.toggle("Include the genesis mint", value=False, key="treasury_mint",
                      help="The mint dwarfs every later movement")  # fmt: skip
show_internal = st.toggle("Include moves between treasury accounts", value=False, key="treasury_internal",
                          help="e.g. the protocol fee the Timelock claims from the vault")  # fmt: skip
picked = [f for f in moves if (show_mint or f.counterparty_name != "mint") and (show_internal or not f.internal)]
if not picked:
    st.info("No movement to show for these chains yet (toggle the genesis mint to see it).")
else:
    chart = pd.DataFrame([{"day": when(f.block_timestamp)[:10], "chain": ctx.label(f.chain_id),
                           "SAHARA": as_float(f.amount) * (1 if f.direction == "in" else -1),
                           "direction": "inflow" if f.direction == "in" else "outflow"} for f in picked])  # fmt: skip
    st.altair_chart(
        alt.Chart(chart).mark_bar().encode(
            x=alt.X("day:O", title="day (UTC)"), y=alt.Y("sum(SAHARA):Q", title="SAHARA (in +, out -)"),
            color=alt.Color("direction:N", scale=alt.Scale(domain=["inflow", "outflow"], range=["#2e7d32", "#c62828"])),
            tooltip=["day", "chain", "direction", alt.Tooltip("sum(SAHARA):Q", format=",.4f")],
        ),
        width="stretch",
    )  # fmt: skip
    table([{"time": when(f.block_timestamp), "chain": ctx.label(f.chain_id), "account": f.account,
            "direction": f.direction, "counterparty": f.counterparty_name or f.counterparty, "amount": f.amount,
            "tx": f.tx_hash} for f in reversed(picked)],
          amounts=("amount",), key="treasury_flows", filename="treasury-flows.csv")  # fmt: skip

st.subheader("Genesis allocation and vesting")
grants = vesting(ctx.url, ctx.chain_ids, ctx.clocks)
if not grants:
    st.info("No genesis allocation found for these chains: the genesis file (SAHARA_GENESIS_FILE) must be the "
            "one they were deployed with.")  # fmt: skip
    st.stop()
buckets = treasury.bucket_progress(grants)
bars = []
for b in buckets:
    for part, amount in (("released", b.released), ("vested, not released", b.vested - b.released), ("locked", b.locked)):
        bars.append({"bucket": b.bucket, "part": part, "SAHARA": as_float(amount)})
st.altair_chart(
    alt.Chart(pd.DataFrame(bars)).mark_bar().encode(
        y=alt.Y("bucket:N", sort=[b.bucket for b in buckets]), x=alt.X("SAHARA:Q", stack="zero"),
        color=alt.Color("part:N", scale=alt.Scale(domain=["released", "vested, not released", "locked"],
                                                   range=["#1565c0", "#90caf9", "#bdbdbd"])),
        tooltip=["bucket", "part", alt.Tooltip("SAHARA:Q", format=",.2f")],
    ),
    width="stretch",
)  # fmt: skip
table([{"bucket": b.bucket, "allocated": b.amount, "vested": b.vested, "released": b.released, "locked": b.locked,
        "vesting": "yes" if b.vesting else "no (direct grant)",
        "released %": percent(b.released / b.amount if b.amount else 0)} for b in buckets],
      amounts=("allocated", "vested", "released", "locked"), key="treasury_buckets", filename="allocation.csv",
      caption="Summed over the chains picked: each chain mints the full genesis allocation.")  # fmt: skip
with st.expander("Vesting wallets"):
    table([{"chain": ctx.label(g.chain_id), "bucket": g.bucket, "beneficiary": treasury.beneficiary_label(g.beneficiary),
            "wallet": short(g.wallet), "amount": g.amount, "vested": g.vested, "released": g.released,
            "releasable": g.releasable, "cliff ends": when(g.cliff_end), "fully vested": when(g.end)}
           for g in grants if g.wallet],
          amounts=("amount", "vested", "released", "releasable"), key="treasury_wallets", filename="vesting-wallets.csv")  # fmt: skip
