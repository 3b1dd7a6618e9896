"""Staking: total staked (and unbonding) over time, the reward rate, the unbonding queue, and one
account's position, replayed from SaharaStaking's indexed events."""

import altair as alt
import pandas as pd
import streamlit as st
from app_common import TTL, address_input, as_float, percent, read, sahara, sidebar, table, when

from sahara_dao.token import staking_report


@st.cache_data(ttl=TTL, show_spinner=False)
def states(url: str, chain_ids: tuple[int, ...]):
    return read(url, staking_report.staking_states, chain_ids=chain_ids)


st.title("Staking")
ctx = sidebar()
if ctx is None:
    st.stop()
by_chain = states(ctx.url, ctx.chain_ids)
staked = sum(s.staked for s in by_chain.values())
unbonding = sum(s.unbonding for s in by_chain.values())
cols = st.columns([3, 3, 1, 1.4])
cols[0].metric("Total staked", f"{sahara(staked)} SAHARA")
cols[1].metric("Unbonding", f"{sahara(unbonding)} SAHARA")
cols[2].metric("Stakers", sum(1 for s in by_chain.values() for p in s.positions.values() if p.staked))
cooldowns = {s.cooldown for s in by_chain.values() if s.cooldown is not None}
cols[3].metric("Unbonding period", ", ".join(f"{c // 86_400} d" for c in sorted(cooldowns)) or "-")

series = staking_report.staked_over_time(by_chain.values())
if not series:
    st.info("Nothing staked yet on these chains. Holders stake with SaharaStaking's `stake(amount, delegatee)` "
            "(their votes follow through the delegatee); run `sahara index` to see new stakes here.")  # fmt: skip
else:
    points = pd.DataFrame([{"time": pd.to_datetime(at, unit="s", utc=True), "SAHARA": as_float(amount), "kind": kind}
                           for at, s, u in series for kind, amount in (("staked", s), ("unbonding", u))])  # fmt: skip
    st.subheader("Staked over time")
    st.altair_chart(alt.Chart(points).mark_line(interpolate="step-after", point=True).encode(
        x=alt.X("time:T", title=None, axis=alt.Axis(format="%Y-%m-%d %H:%M")), y=alt.Y("SAHARA:Q"), color="kind:N",
        tooltip=["time:T", "kind", alt.Tooltip("SAHARA:Q", format=",.4f")]), width="stretch")  # fmt: skip

st.subheader("Reward rate")
rates = []
for chain_id, state in by_chain.items():
    period = state.reward_rate(ctx.as_of[chain_id])
    apr = state.apr(ctx.as_of[chain_id])
    rates.append({"chain": ctx.label(chain_id), "per day": period.per_day if period else 0,
                  "period ends": when(period.period_finish) if period else "no reward period running",
                  "APR at the current stake": percent(apr) if apr is not None else "-",
                  "rewards added so far": sum(r.amount for r in state.rewards)})  # fmt: skip
table(rates, amounts=("per day", "rewards added so far"), key="stk_rates", filename="staking-rates.csv",
      caption="The reward distributor funds periods with notifyRewardAmount; rewards accrue only while something is staked.")  # fmt: skip

st.subheader("Unbonding queue")
queue = [p for state in by_chain.values() for p in state.queue()]
if not queue:
    st.caption("Nobody is unbonding.")
else:
    table([{"chain": ctx.label(p.chain_id), "account": p.account, "unbonding": p.unbonding, "unlocks": when(p.unlock_time),
            "ready": "yes" if (p.unlock_time or 0) <= ctx.as_of[p.chain_id] else "no"} for p in queue],
          amounts=("unbonding",), key="stk_queue", filename="unbonding-queue.csv")  # fmt: skip

st.subheader("An account's position")
account = address_input("Account address", key="stk_account")
if account:
    mine = [state.positions[account] for state in by_chain.values() if account in state.positions]
    if not mine:
        st.info(f"{account} has never staked on these chains.")
    else:
        table([{"chain": ctx.label(p.chain_id), "staked": p.staked, "unbonding": p.unbonding, "unlocks": when(p.unlock_time),
                "withdrawn": p.withdrawn, "rewards paid": p.rewards_paid, "votes through": p.delegatee}
               for p in mine], amounts=("staked", "unbonding", "withdrawn", "rewards paid"), key="stk_position",
              filename=f"staking-{account}.csv",
              caption="Rewards earned but not yet paid are on chain: SaharaStaking.earned(account).")  # fmt: skip
