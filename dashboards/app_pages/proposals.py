"""Proposals & votes: on-chain proposals with their state, For/Against/Abstain, quorum progress and
timeline, their top voters, the delegates with the most voting power; off-chain polls with their
results per voting type."""

import altair as alt
import pandas as pd
import streamlit as st
from app_common import TTL, as_float, read, sahara, short, sidebar, table, when

from sahara_dao.governance import records

SUPPORT = {0: "Against", 1: "For", 2: "Abstain"}
COLORS = {"For": "#2e7d32", "Against": "#c62828", "Abstain": "#9e9e9e"}


@st.cache_data(ttl=TTL, show_spinner=False)
def proposals(url: str, chain_id: int, now: int):
    return read(url, records.list_proposals, chain_id=chain_id, now=now)


@st.cache_data(ttl=TTL, show_spinner=False)
def votes(url: str, chain_id: int, proposal_id: int):
    return [v.model_dump() for v in read(url, records.proposal_votes, chain_id=chain_id, proposal_id=proposal_id)]


@st.cache_data(ttl=TTL, show_spinner=False)
def delegates(url: str, chain_id: int):
    return read(url, records.top_delegates, chain_id=chain_id, limit=20)


def state_name(view) -> str:
    return view.state.name.lower() if view.state is not None else "unknown (governor's first events not indexed)"


def quorum_text(view) -> str:
    if view.quorum is None:
        return "-"
    return f"{view.quorum_progress_bps / 100:.1f} %"


st.title("Proposals & votes")
ctx = sidebar()
if ctx is None:
    st.stop()
views = [view for chain_id in ctx.chain_ids for view in proposals(ctx.url, chain_id, ctx.as_of[chain_id])]
cols = st.columns(4)
cols[0].metric("On-chain proposals", len(views))
cols[1].metric("Open for voting", sum(1 for v in views if v.state is not None and v.state.name == "ACTIVE"))
cols[2].metric("Executed", sum(1 for v in views if v.state is not None and v.state.name == "EXECUTED"))
cols[3].metric("Votes cast", sum(v.voters for v in views))

st.subheader("On-chain proposals")
if not views:
    st.info("No proposal on these chains yet: `sahara gov propose ...` creates one (run `sahara index` to see it here).")
else:
    table([{"chain": ctx.label(v.chain_id), "proposal": short(str(v.proposal_id)), "title": v.title, "state": state_name(v),
            "For": v.for_, "Against": v.against, "Abstain": v.abstain, "quorum reached": quorum_text(v),
            "voters": v.voters, "created": when(v.created_at), "proposal id": str(v.proposal_id)} for v in views],
          amounts=("For", "Against", "Abstain"), key="gov_proposals", filename="proposals.csv")  # fmt: skip
    labels = {f"{ctx.label(v.chain_id)} · {v.title or short(str(v.proposal_id))} ({state_name(v)})": v for v in views}
    view = labels[st.selectbox("Proposal", list(labels), key="gov_proposal")]
    st.markdown(f"### {view.title}")
    st.caption(f"Proposal {view.proposal_id} by {view.proposer} on {ctx.label(view.chain_id)} · state **{state_name(view)}**"
               + (f" · {view.time_left[0]} in {view.time_left[1] // 3600} h {view.time_left[1] % 3600 // 60} min"
                  if view.time_left else ""))  # fmt: skip
    cols = st.columns([2, 3])
    tally = pd.DataFrame([{"support": name, "SAHARA": as_float(amount), "votes": sahara(amount)}
                          for name, amount in (("For", view.for_), ("Against", view.against), ("Abstain", view.abstain))])  # fmt: skip
    cols[0].altair_chart(alt.Chart(tally).mark_bar().encode(
        y=alt.Y("support:N", sort=list(COLORS), title=None), x=alt.X("SAHARA:Q", title="votes (SAHARA)"),
        color=alt.Color("support:N", scale=alt.Scale(domain=list(COLORS), range=list(COLORS.values())), legend=None),
        tooltip=["support", "votes"]).properties(height=140), width="stretch")  # fmt: skip
    with cols[1]:
        if view.quorum is None:
            st.caption("Quorum unknown: the governor's settings before this proposal were not indexed.")
        else:
            counted = view.for_ + view.abstain
            st.progress(min(view.quorum_progress_bps, 10_000) / 10_000,
                        text=f"Quorum: For + Abstain {sahara(counted)} of {sahara(view.quorum)} SAHARA ({quorum_text(view)})")  # fmt: skip
        st.markdown(f"For **{sahara(view.for_)}** · Against **{sahara(view.against)}** · Abstain **{sahara(view.abstain)}** SAHARA")
    st.markdown("**Timeline**")
    steps = pd.DataFrame([{"step": s.name, "time": pd.to_datetime(s.at, unit="s", utc=True), "when": when(s.at)} for s in view.timeline])
    st.altair_chart(alt.Chart(steps).mark_circle(size=120).encode(
        x=alt.X("time:T", title=None, axis=alt.Axis(format="%Y-%m-%d %H:%M")), y=alt.Y("step:N", sort=None, title=None),
        tooltip=["step", "when"],
    ).properties(height=40 + 28 * len(steps)), width="stretch")  # fmt: skip
    cast = votes(ctx.url, view.chain_id, view.proposal_id)
    st.markdown("**Voters**")
    if not cast:
        st.caption("No vote yet.")
    else:
        table([{"voter": v["voter"], "support": SUPPORT.get(v["support"], v["support"]), "weight": v["weight"],
                "reason": v["reason"], "time": when(v["occurred_at"]), "tx": v["tx_hash"]} for v in cast],
              amounts=("weight",), key="gov_votes", filename=f"votes-{view.proposal_id}.csv")  # fmt: skip
    with st.expander("Description and actions"):
        st.markdown(view.description)
        st.dataframe(pd.DataFrame({"target": view.targets, "value (wei)": [str(v) for v in view.values],
                                   "calldata": view.calldatas}), hide_index=True, width="stretch")  # fmt: skip

st.subheader("Delegates by voting power")
power = [(chain_id, d) for chain_id in ctx.chain_ids for d in delegates(ctx.url, chain_id)]
if not power:
    st.caption("Nobody has delegated yet: holders delegate (to themselves or another) before their votes count.")
else:
    table([{"chain": ctx.label(c), "delegate": d.delegate, "voting power": d.votes, "delegators": d.delegators,
            "changed": when(d.changed_at)} for c, d in power],
          amounts=("voting power",), key="gov_delegates", filename="delegates.csv")  # fmt: skip

st.subheader("Off-chain polls")


@st.cache_data(ttl=TTL, show_spinner=False)
def polls(url: str, now: int):
    from sahara_dao.governance.poll_report import list_polls

    return read(url, list_polls, now=now)


@st.cache_data(ttl=TTL, show_spinner=False)
def ballots(url: str, proposal_id: str):
    from sahara_dao.governance.poll_report import poll_ballots

    return read(url, poll_ballots, proposal_id=proposal_id)


found = polls(ctx.url, ctx.now)
if not found:
    st.info("No off-chain poll yet: `sahara poll propose` opens one in the space (governance/space.yaml), "
            "signed votes arrive through `sahara poll vote`, and `sahara poll tally` counts them.")  # fmt: skip
else:
    table([{"space": p.space, "title": p.title, "voting type": p.type, "state": p.state, "votes": p.votes,
            "leading": ", ".join(p.leading) or "-", "voting power": p.vp_total, "ends": when(p.end),
            "result": p.result_state or "not tallied yet"} for p in found],
          amounts=("voting power",), key="gov_polls", filename="polls.csv")  # fmt: skip
    by_title = {f"{p.title} ({p.type}, {p.state})": p for p in found}
    poll = by_title[st.selectbox("Poll", list(by_title), key="gov_poll")]
    st.caption(f"Poll {poll.id} by {poll.author} in {poll.space}; snapshot block {poll.snapshot}; "
               f"{when(poll.start)} → {when(poll.end)}; scored as snapshot.js scores {poll.type} votes.")  # fmt: skip
    scores = pd.DataFrame([{"choice": c, "score": s, "share": (s / poll.scores_total) if poll.scores_total else 0.0}
                           for c, s in zip(poll.choices, poll.scores, strict=False)])  # fmt: skip
    st.altair_chart(alt.Chart(scores).mark_bar().encode(
        y=alt.Y("choice:N", sort=poll.choices, title=None), x=alt.X("score:Q", title=f"score ({poll.type})"),
        tooltip=["choice", alt.Tooltip("score:Q", format=",.4f"), alt.Tooltip("share:Q", format=".2%")],
    ).properties(height=50 + 40 * len(poll.choices)), width="stretch")  # fmt: skip
    received = ballots(ctx.url, poll.id)
    table([{"voter": b.voter, "status": b.status, "choice": b.choice, "voting power": b.vp, "why refused": b.reason or "",
            "signed at": when(b.timestamp)} for b in received],
          amounts=("voting power",), key="gov_poll_votes", filename=f"poll-{poll.id}.csv")  # fmt: skip
