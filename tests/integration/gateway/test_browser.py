"""The voting page in a real browser: by keyboard alone, at phone width, with no axe-core violations.

Debian's chromium, driven by Selenium through Debian's chromedriver (never a
downloaded browser), loads the gateway's pages over real HTTP from a gateway
beside the stand-in services. axe-core (from the npm registry: ``make axe``,
which ``make test`` runs) is injected into each page and must report no
violation. Skipped, saying why, only where chromium is not installed
(``.ci/run`` installs it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gateway import standins

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = (
    Path(__file__).resolve().parents[3] / "var" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
)
PHONE = (375, 812)

pytestmark = pytest.mark.skipif(
    not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
    reason="chromium and chromium-driver are not installed (apt-get install chromium "
    "chromium-driver; .ci/run installs them)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    assert AXE.exists(), f"axe-core is missing: run `make axe` ({AXE})"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    # A phone's viewport: a desktop window cannot be made this narrow.
    options.add_experimental_option(
        "mobileEmulation",
        {"deviceMetrics": {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 2}},
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def press(driver: Any, *keys: str) -> None:
    """Keys typed at whatever has the focus, as a keyboard would."""
    from selenium.webdriver.common.action_chains import ActionChains

    chain = ActionChains(driver)
    for key in keys:
        chain.send_keys(key)
    chain.perform()


def violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page (WCAG 2 A and AA, and best practice)."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document).then(r => done(r.violations.map("
        "v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.html)}))));"
    )
    return list(found)


def answered(driver: Any, words: str) -> bool:
    """Wait (up to 30 s) for the page the form was sent to: Enter starts a navigation that a
    loaded machine may not have finished when the next line reads the page."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: words in d.page_source)
    return True


def focused(driver: Any) -> Any:
    return driver.switch_to.active_element


def fits_the_phone(driver: Any) -> bool:
    """The page is laid out at the phone's width and needs no sideways scrolling."""
    inner, scroll = driver.execute_script(
        "return [window.innerWidth, document.documentElement.scrollWidth]"
    )
    assert int(inner) == PHONE[0], f"the viewport is {inner}px wide, not a phone's"
    return int(scroll) <= PHONE[0]


def test_an_fptp_vote_by_keyboard_alone_at_phone_width(gateway, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{gateway.base}/vote?ballot={standins.OPEN}")
    assert violations(browser) == [], json.dumps(violations(browser), indent=1)
    assert fits_the_phone(browser)
    press(browser, Keys.TAB)
    assert focused(browser).get_attribute("id") == "code"
    press(browser, "GOOD-CODE-0001", Keys.TAB)
    assert focused(browser).get_attribute("value") == standins.CANDIDATES[0]
    press(browser, Keys.ARROW_DOWN)  # a radio group: the arrow moves and chooses
    assert focused(browser).get_attribute("value") == standins.CANDIDATES[1]
    press(browser, Keys.TAB)
    assert focused(browser).tag_name == "button"
    press(browser, Keys.ENTER)
    assert answered(browser, "Your vote has been recorded")
    assert violations(browser) == []
    assert standins.called("tally.cast_ballot") == [
        ("tally.cast_ballot", standins.OPEN, "M1", [standins.CANDIDATES[1]], "online")
    ]


def test_an_stv_vote_by_keyboard_alone_in_order_of_preference(gateway, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{gateway.base}/vote?ballot={standins.RANKED}")
    assert violations(browser) == [], json.dumps(violations(browser), indent=1)
    press(browser, Keys.TAB, "GOOD-CODE-0002", Keys.TAB)
    assert focused(browser).get_attribute("id") == "choice-1"
    press(browser, "Mary")  # typing picks the option that starts so
    press(browser, Keys.TAB, "Ada", Keys.TAB, Keys.TAB)
    assert focused(browser).tag_name == "button"
    press(browser, Keys.ENTER)
    assert answered(browser, "Your vote has been recorded")
    (call,) = standins.called("tally.cast_ballot")
    assert call[3] == ["Mary Seacole", "Ada Lovelace"]


def test_a_ballot_of_two_contests_by_keyboard_with_one_left_blank(gateway, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{gateway.base}/vote?ballot={standins.CONTESTS}")
    assert violations(browser) == [], json.dumps(violations(browser), indent=1)
    assert fits_the_phone(browser)
    assert standins.HOSTILE_NAME not in browser.page_source  # the statement shows as text
    press(browser, Keys.TAB, "GOOD-CODE-0002", Keys.TAB)
    assert focused(browser).get_attribute("id") == "choice-selection-1"
    press(browser, "Mary", Keys.TAB, "Ada")
    browser.find_element("css selector", "button[type=submit]").send_keys(Keys.ENTER)
    assert answered(browser, "Your vote has been recorded")
    (call,) = standins.called("tally.cast_ballot")
    assert call[1] == standins.CONTESTS
    # No radio of the motion ticked: the form sends nothing for it, and the tally takes a
    # contest left out as blank (tests/unit/tally/test_contests.py).
    assert call[3] == {"selection": ["Mary Seacole", "Ada Lovelace"]}


def test_a_wrong_code_is_announced_focused_and_tied_to_the_field(gateway, browser):
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{gateway.base}/vote?ballot={standins.OPEN}")
    press(browser, Keys.TAB, "WRONG-CODE-0000", Keys.TAB, Keys.SPACE, Keys.TAB, Keys.ENTER)
    assert answered(browser, "not valid for this ballot")
    from selenium.webdriver.support.ui import WebDriverWait

    # The page's script moves the focus once it has loaded: wait for it as a screen reader would.
    WebDriverWait(browser, 30).until(lambda d: focused(d).get_attribute("id") == "error")
    error = focused(browser)
    assert error.get_attribute("id") == "error" and error.get_attribute("role") == "alert"
    assert "not valid for this ballot" in error.text
    assert browser.title.startswith("Error: This access code is not valid")
    code = browser.find_element("id", "code")
    assert code.get_attribute("aria-invalid") == "true"
    assert code.get_attribute("aria-describedby") == "error"
    assert violations(browser) == [], json.dumps(violations(browser), indent=1)
    assert fits_the_phone(browser)
    assert standins.called("tally.cast_ballot") == []


def test_the_roll_check_page_by_keyboard_alone_at_phone_width(gateway, browser):
    """The page an exclusion notice links to: filled in and sent with the keyboard only."""
    from selenium.webdriver.common.keys import Keys

    browser.get(f"{gateway.base}/roll-check?ballot={standins.OPEN}")
    assert violations(browser) == [], json.dumps(violations(browser), indent=1)
    assert fits_the_phone(browser)
    press(browser, Keys.TAB, Keys.TAB, "M42", Keys.TAB, "E8 1AA", Keys.ENTER)
    assert answered(browser, "Nothing is shown here, whatever the answer")
    assert standins.called("registration.roll_check") == [
        ("registration.roll_check", standins.OPEN, "M42")
    ]
    assert violations(browser) == [], json.dumps(violations(browser), indent=1)
    assert fits_the_phone(browser)
