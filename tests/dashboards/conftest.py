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


def seed_poll(url: str) -> int:
    """A ranked-choice poll in governance/space.yaml's space on the indexed demo chains, closed before
    their last block (three ballots of development accounts, signed as snapshot.js signs them); returns
    its voting power."""
    from anvil_chain import dev
    from sqlalchemy import func
    from sqlmodel import Session, select

    from sahara_dao.core.db import get_engine
    from sahara_dao.core.models import ChainEvent
    from sahara_dao.governance.polls import run_poll
    from sahara_dao.governance.spaces import load_space_file

    with Session(get_engine(url)) as session:
        settings = load_space_file(network=31937, chains=[31937, 31938])
        latest = session.exec(select(func.max(ChainEvent.block_timestamp))).one()
        ballots = [(dev(2).private_key, [1, 2, 3]), (dev(3).private_key, [3, 1, 2]), (dev(4).private_key, [2, 1, 3])]
        _, result, _ = run_poll(session, settings, proposer_key=dev(2).private_key, title="Next grant round",
                                choices=["Datasets", "Models", "Agents"], ballots=ballots, now=latest - 5 * 86_400)  # fmt: skip
        vp_total = result.vp_total
        session.commit()
    return vp_total


@pytest.fixture
def demo_copy(on_demo, tmp_path, monkeypatch) -> dict:
    """A copy of the demo's data directory (its database may be written) with a closed poll in it;
    the settings point at it."""
    import shutil

    data = tmp_path / "demo"
    shutil.copytree(on_demo["dir"], data)
    monkeypatch.setenv("SAHARA_DATA_DIR", str(data))
    get_settings.cache_clear()
    url = f"sqlite:///{data / 'sahara.db'}"
    return {"dir": data, "url": url, "env": on_demo["env"] | {"SAHARA_DATA_DIR": str(data)}, "poll_power": seed_poll(url)}
