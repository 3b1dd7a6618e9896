"""Proposals & votes: off-chain polls with their results per voting type. (The on-chain proposals,
tallies, quorum progress, timelines, voters and delegates come with the indexed governance tables.)"""

import altair as alt
import pandas as pd
import streamlit as st
from app_common import TTL, read, sidebar, table, when

st.title("Proposals & votes")
ctx = sidebar()
if ctx is None:
    st.stop()

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
