"""Revenue distribution: per epoch, chain, asset and contributor; the flow from license and usage fees
through assets (with lineage) to contributors and the treasury; concentration of payouts (Lorenz
curve, Gini); a contributor lookup with the proof to claim."""

import altair as alt
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from app_common import TTL, address_input, as_float, read, sahara, sidebar, table, when

from sahara_dao.token import analytics
from sahara_dao.token.epochs import read_epoch_file
from sahara_dao.token.errors import TokenError
from sahara_dao.token.treasury import deployment_names

EMPTY = "No epoch settled yet on these chains: run `sahara settle` or the royalty_settlement DAG (after `sahara index`)."


@st.cache_data(ttl=TTL, show_spinner=False)
def epochs(url: str, chain_ids: tuple[int, ...]):
    return [e.model_dump() for e in read(url, analytics.epochs, chain_ids=chain_ids)]


@st.cache_data(ttl=TTL, show_spinner=False)
def lines(url: str, chain_ids: tuple[int, ...]):
    return read(url, analytics.earned_lines, chain_ids=chain_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def names(url: str, chain_ids: tuple[int, ...]):
    assets = read(url, analytics.asset_names, chain_ids=chain_ids)
    accounts = {address: name for (_, address), name in read(url, deployment_names, chain_ids=chain_ids).items()}
    return assets, {address: ("Treasury (timelock)" if name == "timelock" else name) for address, name in accounts.items()}


@st.cache_data(ttl=TTL, show_spinner=False)
def epoch_document(path: str):
    return read_epoch_file(path)


@st.cache_data(ttl=TTL, show_spinner=False)
def positions(url: str, chain_ids: tuple[int, ...], account: str, clocks: tuple[tuple[int, int], ...]):
    return read(url, analytics.contributor_positions, account=account, chain_ids=chain_ids, as_of=dict(clocks))


st.title("Revenue distribution")
ctx = sidebar()
if ctx is None:
    st.stop()
rows = epochs(ctx.url, ctx.chain_ids)
if not rows:
    st.info(EMPTY)
    st.stop()
asset_labels, account_labels = names(ctx.url, ctx.chain_ids)
settled = lines(ctx.url, ctx.chain_ids)


def who(address: str) -> str:
    return account_labels.get(address, "")


cols = st.columns([3, 3, 2, 1])
cols[0].metric("Revenue settled", f"{sahara(sum(e['earned'] for e in rows))} SAHARA")
cols[1].metric("Licenses", f"{sahara(sum(e['license_revenue'] for e in rows))} SAHARA")
cols[2].metric("Pay-per-use", f"{sahara(sum(e['usage_revenue'] for e in rows))} SAHARA")
cols[3].metric("Accounts paid", len({line.account for line in settled}))

st.subheader("Per epoch and chain")
table([{"chain": ctx.label(e["chain_id"]), "epoch": e["epoch"], "window ends": when(e["window_end"]),
        "license fees": e["license_revenue"], "pay-per-use": e["usage_revenue"], "split": e["earned"],
        "protocol fee": e["protocol_fee"], "requests": e["usage_events"], "status": e["status"]} for e in rows],
      amounts=("license fees", "pay-per-use", "split", "protocol fee"), key="rev_epochs", filename="revenue-epochs.csv")  # fmt: skip

st.subheader("Flow of one epoch")
choices = {f"{ctx.label(e['chain_id'])} · epoch {e['epoch']}": e for e in reversed(rows)}
picked = choices[st.selectbox("Epoch", list(choices), key="rev_epoch")]
try:
    document = epoch_document(picked["epoch_file"])
except TokenError as exc:
    st.warning(f"{exc}. The flows need the epoch file; every other table here comes from the database.")
    document = None
if document is not None:
    chain_assets = {a: label for (c, a), label in asset_labels.items() if c == picked["chain_id"]}
    flows = analytics.epoch_flows(document, chain_assets, account_labels)
    nodes = list(dict.fromkeys([f.source for f in flows] + [f.target for f in flows]))
    colors = {"fee": "rgba(46,125,50,0.45)", "upstream": "rgba(239,108,0,0.5)", "protocol_fee": "rgba(21,101,192,0.5)",
              "contributor": "rgba(120,120,120,0.35)"}  # fmt: skip
    figure = go.Figure(go.Sankey(
        node={"label": [label if not label.startswith("0x") else label[:10] + "…" for label in nodes], "pad": 18},
        link={"source": [nodes.index(f.source) for f in flows], "target": [nodes.index(f.target) for f in flows],
              "value": [as_float(f.amount) for f in flows], "color": [colors[f.kind] for f in flows],
              "customdata": [sahara(f.amount) for f in flows],
              "hovertemplate": "%{source.label} → %{target.label}: %{customdata} SAHARA<extra></extra>"},
    ))  # fmt: skip
    figure.update_layout(height=460, margin={"l": 10, "r": 10, "t": 10, "b": 10})
    st.plotly_chart(figure, key="rev_sankey")
    st.caption("License and pay-per-use fees into assets; the protocol fee to the treasury; lineage shares "
               "upstream (orange); what each asset keeps to its contributors by their receipts' shares.")  # fmt: skip
    table([{"asset": chain_assets.get(r.asset_id, r.asset_id), "license fees": r.license_revenue,
            "pay-per-use": r.usage_revenue, "paid upstream": r.upstream_paid, "received from downstream": r.upstream_received,
            "to its contributors": r.retained} for r in analytics.asset_revenue(document)],
          amounts=("license fees", "pay-per-use", "paid upstream", "received from downstream", "to its contributors"),
          key="rev_assets", filename=f"assets-{picked['chain_id']}-epoch-{picked['epoch']}.csv")  # fmt: skip

st.subheader("Contributors")
totals = analytics.earned_by_account(settled)
table([{"account": address, "name": who(address), "earned": amount} for address, amount in totals.items()],
      amounts=("earned",), key="rev_contributors", filename="contributors.csv",
      caption="Everything earned over the epochs and chains picked.")  # fmt: skip

st.subheader("Concentration of payouts")
exclude_treasury = st.toggle("Leave out the treasury's protocol fee", value=True, key="rev_no_treasury")
treasuries = {a for a, name in account_labels.items() if name.startswith("Treasury")}
amounts = [v for a, v in totals.items() if not (exclude_treasury and a in treasuries)]
gini = analytics.gini(amounts)
cols = st.columns([1, 3])
cols[0].metric("Gini coefficient", f"{float(gini):.4f}", help="0: everyone earned the same; 1 - 1/n: one of n earned everything")
cols[0].caption(f"exactly {gini.numerator}/{gini.denominator} over {len(amounts)} accounts")
curve = pd.DataFrame([{"accounts": float(x), "payouts": float(y), "line": "Lorenz curve"} for x, y in analytics.lorenz(amounts)]
                     + [{"accounts": x, "payouts": x, "line": "equality"} for x in (0.0, 1.0)])  # fmt: skip
cols[1].altair_chart(
    alt.Chart(curve).mark_line(point=True).encode(
        x=alt.X("accounts:Q", title="share of accounts (smallest first)", axis=alt.Axis(format="%")),
        y=alt.Y("payouts:Q", title="share of payouts", axis=alt.Axis(format="%")),
        color=alt.Color("line:N", scale=alt.Scale(domain=["Lorenz curve", "equality"], range=["#1565c0", "#9e9e9e"])),
    ),
    width="stretch",
)  # fmt: skip

st.subheader("Contributor lookup")
account = address_input("Account address", key="rev_account")
if account:
    found = positions(ctx.url, ctx.chain_ids, account, ctx.clocks)
    if not found:
        st.info(f"{account} has earned nothing on these chains.")
    for p in found:
        st.markdown(f"**{ctx.label(p.chain_id)}**")
        cols = st.columns(4)
        cols[0].metric("Earned", f"{sahara(p.earned)} SAHARA")
        cols[1].metric("Claimed", f"{sahara(p.claimed)} SAHARA")
        cols[2].metric("Claimable now", f"{sahara(p.claimable)} SAHARA")
        cols[3].metric("Not claimable yet", f"{sahara(p.pending)} SAHARA", help="Earned in epochs whose root is not active yet")
        if p.active_epoch is None:
            st.caption("No root is active on this chain yet: the vault pays once a published root activates.")
        elif p.claimable:
            st.caption(f"Proof under the active root of epoch {p.active_epoch} ({p.root}); claim with "
                       f"`sahara claim {p.account} --chain {ctx.ecosystems[p.chain_id]}`")  # fmt: skip
            st.json({"account": p.account, "cumulativeAmount": str(p.claimable_cumulative), "proof": p.proof},
                    expanded=False)  # fmt: skip
        else:
            st.caption(f"Everything under the active root of epoch {p.active_epoch} is claimed.")
    mine = [line for line in settled if line.account == account]
    if mine:
        table([{"chain": ctx.label(line.chain_id), "epoch": line.epoch, "earned": line.earned, "cumulative": line.cumulative}
               for line in mine], amounts=("earned", "cumulative"), key="rev_lookup", filename=f"earned-{account}.csv")  # fmt: skip
