"""Alerts are recorded once per key, notified once, and missed deadlines raise exactly one."""

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from sahara_dao.core.alerts import deadline_alert, list_alerts, raise_alert
from sahara_dao.core.chain import pipeline_networks
from sahara_dao.core.errors import NetworkError


@pytest.fixture
def webhook(settings_env):
    """A local HTTP endpoint set as SAHARA_ALERT_WEBHOOK; returns the JSON bodies it received."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings_env(SAHARA_ALERT_WEBHOOK=f"http://127.0.0.1:{server.server_port}/hook")
    yield received
    server.shutdown()


def test_an_alert_is_recorded_and_notified_once_per_key(db_url, webhook):
    """Raising the same key again records nothing and notifies nobody."""
    first = raise_alert(key="k:1", source="royalty_settlement", subject="late", message="do X", raised_at=100, chain_id=7)
    again = raise_alert(key="k:1", source="royalty_settlement", subject="late again", message="-", raised_at=200)
    assert first.new and not again.new and again.alert.id == first.alert.id
    assert [a.subject for a in list_alerts()] == ["late"] and first.alert.notified
    assert len(webhook) == 1 and webhook[0]["key"] == "k:1" and webhook[0]["chain_id"] == 7


def test_an_unreachable_webhook_keeps_the_alert(db_url, settings_env):
    """The alert is stored even when the notifier refuses it (notified stays False)."""
    settings_env(SAHARA_ALERT_WEBHOOK="http://127.0.0.1:9/nothing-listens")
    raised = raise_alert(key="k:2", source="s", subject="x", message="y", raised_at=1)
    assert raised.new and not raised.alert.notified
    assert [a.key for a in list_alerts(source="s")] == ["k:2"]


def test_a_deadline_raises_only_when_missed_and_only_once(db_url):
    """On time: nothing; late: one alert that says by how much; late again: the same alert."""
    common = {"key": "d:1", "source": "royalty_settlement", "what": "stage publish", "deadline": 1000, "hint": "rerun"}
    assert deadline_alert(observed_at=1000, **common) is False and list_alerts() == []
    assert deadline_alert(observed_at=1000 + 2 * 3600 + 60, **common) is True
    assert deadline_alert(observed_at=9999, **common) is True
    alerts = list_alerts()
    assert len(alerts) == 1 and alerts[0].subject == "stage publish: 2 h 1 min past its deadline"
    assert "rerun" in alerts[0].message


def test_alerts_can_be_raised_from_another_process(db_url):
    """`python -m sahara_dao.core.alerts` (the Airflow failure callback) raises once per key."""
    args = [sys.executable, "-m", "sahara_dao.core.alerts", "--key", "task-failed:x", "--source", "labeling_payouts",
            "--subject", "failed", "--message", "see the log", "--raised-at", "5"]  # fmt: skip
    outputs = [json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout) for _ in range(2)]
    assert [o["new"] for o in outputs] == [True, False]
    assert [a.key for a in list_alerts(source="labeling_payouts")] == ["task-failed:x"]


def test_pipelines_map_over_the_configured_chains(settings_env):
    """Every local chain by default, SAHARA_PIPELINE_NETWORKS when set, one chain by name on request."""
    assert pipeline_networks() == ["bsc:local:foundry", "ethereum:local:foundry"]
    assert pipeline_networks("bsc") == ["bsc:local:foundry"]
    settings_env(SAHARA_PIPELINE_NETWORKS='["ethereum:sepolia:node"]')
    assert pipeline_networks("ethereum:sepolia:node") == ["ethereum:sepolia:node"]
    with pytest.raises(NetworkError, match="not a configured chain"):
        pipeline_networks("bsc")
