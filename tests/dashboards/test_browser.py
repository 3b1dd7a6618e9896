"""The dashboards in a real browser: the app served headless on 127.0.0.1 and Debian's Chromium
opening every page; a page fails on any Streamlit exception box or traceback. Each page's screenshot
is saved (into $SAHARA_SCREENSHOT_DIR too when set: `make screenshots` writes docs/screenshots/)."""

import os
import shutil
from pathlib import Path

import pytest
from browser import browser, chromium, served_app

pytestmark = pytest.mark.anvil


@pytest.fixture(autouse=True)
def _chromium():
    """A skip without Chromium; a failure in CI (SAHARA_REQUIRE_CHROMIUM=1), which must install it."""
    if chromium() is None:
        message = "Chromium is not installed: apt-get install chromium"
        if os.environ.get("SAHARA_REQUIRE_CHROMIUM") == "1":
            pytest.fail(message)
        pytest.skip(message)

PAGES = {  # URL path -> (screenshot name, text the page must show)
    "": ("treasury", "Treasury total"),
    "revenue": ("revenue", "Gini coefficient"),
    "staking": ("staking", "Total staked"),
    "settlements": ("settlements", "Epochs settled"),
    "proposals": ("proposals", "score (ranked-choice)"),
    "vote": (None, "sahara node start"),  # no chain running here: the page says what to start (test_vote.py votes)
}


def test_every_page_renders_without_an_exception(on_demo, tmp_path):
    """Every page opens, shows its figures and no exception; a screenshot of each is saved."""
    env = on_demo["env"] | {"SAHARA_DATA_DIR": str(on_demo["dir"])}
    target = os.environ.get("SAHARA_SCREENSHOT_DIR")
    with served_app(env) as url, browser() as page:
        for path, (name, expected) in PAGES.items():
            page.open(f"{url}/{path}")
            text = page.text()
            assert page.exceptions() == [], f"/{path}: {page.exceptions()}"
            assert "Traceback" not in text, f"/{path} shows a traceback"
            assert expected in text, f"/{path} does not show {expected!r}"
            if name is None:
                continue
            shot = tmp_path / f"{name}.png"
            page.screenshot(shot)
            assert shot.stat().st_size > 20_000, f"/{path}: the screenshot is blank"
            if target:
                Path(target).mkdir(parents=True, exist_ok=True)
                shutil.copy(shot, Path(target) / shot.name)
        # the sankey and the charts are drawn (Plotly renders SVG paths, Vega-Lite a canvas or SVG)
        page.open(f"{url}/revenue")
        assert page.evaluate("document.querySelectorAll('.js-plotly-plot .sankey-link').length") > 5


def test_the_browser_check_sees_an_exception_box(on_demo, tmp_path):
    """The check itself: a database URL that breaks a read shows Streamlit's error, which is found."""
    env = on_demo["env"] | {"SAHARA_DATA_DIR": str(on_demo["dir"]), "DATABASE_URL": "mysql://nowhere/x"}
    with served_app(env) as url, browser() as page:
        page.open(url)
        assert page.exceptions() or "unsupported DATABASE_URL" in page.text()
