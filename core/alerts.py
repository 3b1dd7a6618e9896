"""Alerts for operators: recorded once in the ``alert`` table (dashboards read it), then handed to the
configured notifier (``SAHARA_ALERT_WEBHOOK``: a JSON POST).

An alert's ``key`` names one occurrence (a stage of one epoch on one chain, a task of one data
interval), so whoever raises it again (a retry, a rerun, a second scheduler) finds the stored row
and notifies nobody twice. ``python -m sahara_dao.core.alerts`` raises one from another process (the
Airflow environment's failure callbacks, which cannot import this package).
"""

import argparse
import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from sahara_dao.core.db import session_scope
from sahara_dao.core.models import Alert
from sahara_dao.core.settings import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Raised:
    alert: Alert
    new: bool  # False: the key was raised before, nothing was recorded or sent


def raise_alert(
    *, key: str, source: str, subject: str, message: str, raised_at: int, chain_id: int | None = None,
    url: str | None = None,
) -> Raised:  # fmt: skip
    """Record the alert unless its key exists, and notify when it is new."""
    with session_scope(url) as session:
        if (stored := _by_key(session, key)) is not None:
            return Raised(stored, False)
        alert = Alert(key=key, source=source, subject=subject, message=message, raised_at=raised_at, chain_id=chain_id)
        session.add(alert)
        try:
            session.commit()
        except IntegrityError:  # another process raised the same key meanwhile
            session.rollback()
            return Raised(_by_key(session, key), False)
        if notify(alert):
            alert.notified = True
            session.add(alert)
        return Raised(alert, True)


def _by_key(session: Session, key: str) -> Alert | None:
    return session.exec(select(Alert).where(Alert.key == key)).first()


def notify(alert: Alert) -> bool:
    """POST the alert to ``SAHARA_ALERT_WEBHOOK``; False when none is set or it refused (logged, the
    alert stays recorded either way)."""
    webhook = get_settings().alert_webhook
    if not webhook:
        return False
    body = json.dumps({"text": f"[sahara] {alert.subject}", "key": alert.key, "source": alert.source,
                       "message": alert.message, "chain_id": alert.chain_id, "raised_at": alert.raised_at}).encode()  # fmt: skip
    request = urllib.request.Request(webhook, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError) as exc:
        log.warning("alert %s recorded, but the webhook refused it: %s", alert.key, exc)
        return False


def list_alerts(*, source: str | None = None, limit: int = 100, url: str | None = None) -> list[Alert]:
    """The latest alerts, newest first."""
    with session_scope(url) as session:
        query = select(Alert).order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(limit)
        if source:
            query = query.where(Alert.source == source)
        return list(session.exec(query))


def deadline_alert(
    *, key: str, source: str, what: str, deadline: int, observed_at: int, chain_id: int | None = None,
    hint: str,
) -> bool:  # fmt: skip
    """Raise ``key`` once if ``observed_at`` is past ``deadline``; True when an alert exists for it."""
    if observed_at <= deadline:
        return False
    late = observed_at - deadline
    raise_alert(key=key, source=source, chain_id=chain_id, raised_at=observed_at,
                subject=f"{what}: {late // 3600} h {late % 3600 // 60} min past its deadline",
                message=f"{what} was due by {deadline} (unix s) and was observed at {observed_at}. {hint}")  # fmt: skip
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sahara_dao.core.alerts",
                                     description="Raise one alert (recorded once per key, then notified).")  # fmt: skip
    for name in ("key", "source", "subject", "message"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--raised-at", type=int, required=True, help="unix seconds")
    parser.add_argument("--chain-id", type=int)
    args = parser.parse_args(argv)
    raised = raise_alert(key=args.key, source=args.source, subject=args.subject, message=args.message,
                         raised_at=args.raised_at, chain_id=args.chain_id)  # fmt: skip
    print(json.dumps({"key": raised.alert.key, "new": raised.new, "notified": raised.alert.notified}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
