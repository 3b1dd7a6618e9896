"""Settlements: each epoch per chain with its status, root and totals, re-verification commands,
late or stuck settlements as alerts, unclaimed amounts per epoch and chain, the quarantine, and the
labeling payout batches with their status."""

import streamlit as st
from app_common import TTL, read, sahara, short, sidebar, table, when

from sahara_dao.token import settlement_report as report
from sahara_dao.token.analytics import accounts_count
from sahara_dao.token.epochs import verify_epoch_file
from sahara_dao.token.errors import TokenError


@st.cache_data(ttl=TTL, show_spinner=False)
def epochs(url: str, chain_ids: tuple[int, ...]):
    return read(url, report.epoch_reports, chain_ids=chain_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def alerts(url: str, chain_ids: tuple[int, ...], clocks: tuple[tuple[int, int], ...]):
    from sahara_dao.core.settings import get_settings

    return read(url, report.alerts, chain_ids=chain_ids, as_of=dict(clocks), epoch_seconds=get_settings().epoch_seconds)


@st.cache_data(ttl=TTL, show_spinner=False)
def raised(url: str, chain_ids: tuple[int, ...]):
    return read(url, report.raised_alerts, chain_ids=chain_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def unclaimed(url: str, chain_ids: tuple[int, ...], clocks: tuple[tuple[int, int], ...]):
    return read(url, report.unclaimed_by_epoch, chain_ids=chain_ids, as_of=dict(clocks))


@st.cache_data(ttl=TTL, show_spinner=False)
def quarantine(url: str, chain_ids: tuple[int, ...]):
    return read(url, report.quarantine_groups, chain_ids=chain_ids)


@st.cache_data(ttl=TTL, show_spinner=False)
def batches(url: str, chain_ids: tuple[int, ...]):
    return [b.model_dump() for b in read(url, report.payout_batches, chain_ids=chain_ids)]


@st.cache_data(ttl=TTL, show_spinner=False)
def batch_lines(url: str, batch_id: str):
    return [line.model_dump() for line in read(url, report.payout_lines, batch_id=batch_id)]


@st.cache_data(ttl=TTL, show_spinner=False)
def recompute(path: str):
    return verify_epoch_file(path)


@st.cache_data(ttl=TTL, show_spinner=False)
def paid_accounts(url: str, chain_ids: tuple[int, ...]):
    return read(url, accounts_count, chain_ids=chain_ids)


st.title("Settlements")
ctx = sidebar()
if ctx is None:
    st.stop()
rows = epochs(ctx.url, ctx.chain_ids)
found = alerts(ctx.url, ctx.chain_ids, ctx.clocks)
recorded = raised(ctx.url, ctx.chain_ids)
latest = report.last_epoch_of(rows)
cols = st.columns(4)
cols[0].metric("Epochs settled", len(rows))
cols[1].metric("Chains settled", f"{len(latest)} of {len(ctx.chain_ids)}")
cols[2].metric("Accounts with a balance", paid_accounts(ctx.url, ctx.chain_ids))
cols[3].metric("Alerts", len(found), help="Late or stuck settlements now; the pipelines' recorded alerts are listed below them")
if latest:
    st.caption("Latest: " + "; ".join(f"{ctx.label(c)} epoch {e.epoch} {e.status}" for c, e in sorted(latest.items())))

st.subheader("Alerts")
if not found:
    st.success("No late or stuck settlement.")
for alert in found:
    text = f"**{ctx.label(alert.chain_id)}**{f' · epoch {alert.epoch}' if alert.epoch else ''}: {alert.what}. To do: {alert.todo}"
    (st.error if alert.severity == "error" else st.warning)(text.replace("<chain>", ctx.ecosystems[alert.chain_id]))

if recorded:
    with st.expander(f"Raised by the pipelines ({len(recorded)})", expanded=any(not a.notified for a in recorded)):
        table([{"raised": when(a.raised_at), "source": a.source, "chain": ctx.label(a.chain_id) if a.chain_id else "-",
                "subject": a.subject, "what to do": a.message, "notified": "yes" if a.notified else "no (no webhook answered)"}
               for a in recorded], key="set_raised", filename="alerts.csv",
              caption="Recorded once per occurrence by the Airflow DAGs (core/alerts.py); SAHARA_ALERT_WEBHOOK notifies.")  # fmt: skip

st.subheader("Epochs")
if not rows:
    st.info("No epoch settled yet: run `sahara settle` or the royalty_settlement DAG (after `sahara index`).")
else:
    table([{"chain": ctx.label(e.chain_id), "epoch": e.epoch, "status": e.status,
            "window": f"{when(e.window_start)} → {when(e.window_end)}", "root": e.root,
            "vault root": "same" if e.root_matches else ("DIFFERENT: " + e.vault_root if e.root_matches is False else "not indexed yet"),
            "earned": e.earned, "cumulative total": e.total, "protocol fee": e.protocol_fee,
            "requests": e.usage_events, "quarantined": e.quarantined, "activates": when(e.activates_at),
            "publish tx": e.publish_tx or ""} for e in reversed(rows)],
          amounts=("earned", "cumulative total", "protocol fee"), key="set_epochs", filename="epochs.csv")  # fmt: skip
    with st.expander("Re-verify an epoch from its file"):
        by_name = {f"{ctx.label(e.chain_id)} · epoch {e.epoch}": e for e in reversed(rows)}
        picked = by_name[st.selectbox("Epoch", list(by_name), key="set_verify_epoch")]
        if st.button("Recompute its root from the epoch file", key="set_verify"):
            try:
                check = recompute(picked.epoch_file)
            except TokenError as exc:
                st.error(str(exc))
            else:
                against = [("the database's", picked.root)] + ([("the vault's", picked.vault_root)] if picked.vault_root else [])
                differs = [f"{name} {root}" for name, root in against if root.lower() != check.root.lower()]
                if check.problems or differs:
                    st.error(f"The file recomputes {check.root}; " + "; ".join(check.problems + [f"differs from {d}" for d in differs]))
                else:
                    st.success(f"The file alone recomputes {check.root}: the same as " + " and ".join(n for n, _ in against) + " root.")
        st.caption("Anyone can do the same from the file, and compare with the root the vault holds on chain:")
        st.code("\n".join(f"{e.verify_command(ctx.ecosystems[e.chain_id])}   # {e.epoch_file}" for e in reversed(rows)),
                language="bash")  # fmt: skip

st.subheader("Unclaimed")
left = unclaimed(ctx.url, ctx.chain_ids, ctx.clocks)
if not left:
    st.caption("Nothing earned yet.")
else:
    cols = st.columns(2)
    cols[0].metric("Unclaimed, all epochs", f"{sahara(sum(u.unclaimed for u in left))} SAHARA")
    cols[1].metric("Claimed", f"{sahara(sum(u.claimed for u in left))} SAHARA")
    table([{"chain": ctx.label(u.chain_id), "epoch": u.epoch, "earned": u.earned, "claimed": u.claimed,
            "unclaimed": u.unclaimed, "claimable now": "yes" if u.claimable else "not yet (root not active)"} for u in left],
          amounts=("earned", "claimed", "unclaimed"), key="set_unclaimed", filename="unclaimed.csv",
          caption="Claims are cumulative: an account's claims pay its oldest epochs first.")  # fmt: skip

st.subheader("Quarantine")
held = quarantine(ctx.url, ctx.chain_ids)
if not held:
    st.caption("No record is held.")
else:
    table([{"source": q.source, "chain": ctx.label(q.chain_id) if q.chain_id else "-", "reason": q.reason, "records": q.count,
            "last received": when(q.last_received)} for q in held], key="set_quarantine", filename="quarantine.csv",
          caption="Fix the cause, then `sahara quarantine retry`; `sahara quarantine list` shows each record.")  # fmt: skip

st.subheader("Labeling payout batches")
sent = batches(ctx.url, ctx.chain_ids)
if not sent:
    st.caption("No payout batch yet: `sahara labeling pay` plans and pays a period's labelers.")
else:
    table([{"chain": ctx.label(b["chain_id"]), "period": b["period"], "batch": b["batch_index"], "status": b["status"],
            "labelers": b["count"], "total": b["total"], "batch id": short(b["batch_id"]), "tx": b["tx_hash"] or ""}
           for b in sent], amounts=("total",), key="set_batches", filename="payout-batches.csv")  # fmt: skip
    labels = {f"{ctx.label(b['chain_id'])} · {b['period']} · batch {b['batch_index']} ({b['status']})": b["batch_id"] for b in sent}
    picked = st.selectbox("Batch", list(labels), key="set_batch")
    table([{"labeler": line["labeler"], "items": line["items"], "quality": f"{line['quality_bps'] / 100:.2f} %",
            "amount": line["amount"]} for line in batch_lines(ctx.url, labels[picked])],
          amounts=("amount",), key="set_lines", filename="payout-lines.csv")  # fmt: skip
