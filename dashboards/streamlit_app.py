"""SAHARA DAO dashboards: `streamlit run dashboards/streamlit_app.py` (or `make dashboard` on the
demo's database). Pages live in app_pages/ and only lay out what sahara_dao's read functions return."""

import streamlit as st

st.set_page_config(page_title="SAHARA DAO", page_icon=":material/account_balance:", layout="wide")
pages = {
    "Money": [
        st.Page("app_pages/treasury.py", title="Treasury", icon=":material/account_balance:", default=True),
        st.Page("app_pages/revenue.py", title="Revenue distribution", icon=":material/call_split:"),
        st.Page("app_pages/staking.py", title="Staking", icon=":material/lock:"),
        st.Page("app_pages/settlements.py", title="Settlements", icon=":material/fact_check:"),
    ],
    "Governance": [
        st.Page("app_pages/proposals.py", title="Proposals & votes", icon=":material/how_to_vote:"),
        st.Page("app_pages/vote.py", title="Vote from the dashboard", icon=":material/draw:"),
    ],
}
st.navigation(pages).run()
