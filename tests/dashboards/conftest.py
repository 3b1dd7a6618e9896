"""The dashboards' database: the main job (scripts/demo.py) run once per session into a data directory
of its own, then indexed once more so that the claims and payouts it made after its last index are in
the database too (what `make dashboard` shows after `make demo`)."""

from pathlib import Path

import pytest
from demo_run import demo_env, run_demo, sahara

from sahara_dao.core.settings import get_settings

APP = Path(__file__).resolve().parents[2] / "dashboards" / "streamlit_app.py"


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> dict:
    """``{"dir", "url", "env"}`` of a data directory filled by the demo on two anvil chains."""
    data_dir = tmp_path_factory.mktemp("demo")
    env, _ = demo_env(data_dir)
    out = run_demo(env)
    assert out.returncode == 0, out.stdout + out.stderr
    try:
        sahara(env, "node", "start")
        for network in ("ethereum:local:foundry", "bsc:local:foundry"):
            sahara(env, "index", "--network", network)
    finally:
        sahara(env, "node", "stop")
    return {"dir": data_dir, "url": f"sqlite:///{data_dir / 'sahara.db'}", "env": env}


@pytest.fixture
def on_demo(demo_data, monkeypatch) -> dict:
    """Settings pointed at the demo's data directory (the app reads its genesis and deployment records)."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SAHARA_DATA_DIR", str(demo_data["dir"]))
    monkeypatch.setenv("SAHARA_LOCAL_CHAINS", demo_data["env"]["SAHARA_LOCAL_CHAINS"])
    get_settings.cache_clear()
    yield demo_data
    get_settings.cache_clear()


@pytest.fixture
def app(on_demo):
    """An AppTest of the dashboards on the demo's database; ``app("revenue")`` opens a page."""
    from streamlit.testing.v1 import AppTest

    def open_page(page: str = "treasury", **state):
        at = AppTest.from_file(str(APP), default_timeout=120)
        for key, value in state.items():
            at.session_state[key] = value
        at.run()
        if page != "treasury":
            at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, [e.message for e in at.exception]
        return at

    return open_page
