"""Helpers of test_console_page.py: Debian's headless Chromium under Selenium, waits on DOM
conditions (never a sleep), screenshots, and webhooks posted to ingest."""
import datetime
import json
import os

from selenium import webdriver
from selenium.common.exceptions import (NoSuchElementException, StaleElementReferenceException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service as ChromeService
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from harness import BUILD, fixture, post_all  # noqa: F401 (post_all: for the tests)

SHOTS = os.path.join(BUILD, "console-page")


def browser():
    """Headless Chromium 1280x900, its console messages kept (CSP reports land there)."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900",
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-default-apps"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(service=ChromeService("/usr/bin/chromedriver"), options=opts)
    d.set_script_timeout(120)
    return d


def until(d, what, predicate, timeout=30):
    """Waits until predicate(d) is truthy (a DOM condition), returns it; fails naming what, with
    what the page shows (and a screenshot of it, failed.png)."""
    try:
        return WebDriverWait(d, timeout, poll_frequency=0.05, ignored_exceptions=(
            NoSuchElementException, StaleElementReferenceException)).until(predicate)
    except TimeoutException:
        shown = text_of(d, "body")
        shot(d, "failed")
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; the page shows:\n"
                             f"{shown[:3000]}") from None


def js(d, script, *args):
    return d.execute_script(script, *args)


def css(d, selector):
    return d.find_element(By.CSS_SELECTOR, selector)


def text_of(d, selector):
    """The textContent of the first element matching selector, None when there is none."""
    return js(d, "const n = document.querySelector(arguments[0]); return n ? n.textContent : null;",
              selector)


def errors(d):
    """The texts of the error messages shown."""
    return js(d, "return [...document.querySelectorAll('[data-test=error]')].filter(n => !n.hidden)"
                 ".map(n => n.textContent);")


def visible(d, element_id):
    return js(d, "const n = document.getElementById(arguments[0]);"
                 "return !!n && !n.hidden && n.offsetParent !== null;", element_id)


def rows(d, table_id):
    """[(event id, instance id, status)] of the rows of table_id's body."""
    return [tuple(r) for r in js(d, "return [...document.querySelectorAll('#' + arguments[0] +"
                                    " ' tbody tr')].map(r => [r.dataset.eventId,"
                                    " r.dataset.instanceId, r.dataset.status]);", table_id)]


def go(d, hash_):
    """Goes to a route of the page (a hash change: no reload)."""
    js(d, "location.hash = arguments[0];", hash_)


def fill(d, selector, value):
    field = css(d, selector)
    field.clear()
    if value:
        field.send_keys(value)


def shot(d, name):
    os.makedirs(SHOTS, exist_ok=True)
    path = os.path.join(SHOTS, f"{name}.png")
    d.save_screenshot(path)
    print(f"screenshot: {path}", flush=True)
    return path


def close_time(minutes_ago=0.0, seconds_ago=0.0):
    """A Close timestamp (UTC, microseconds, no zone) some time before now."""
    t = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=minutes_ago,
                                                                          seconds=seconds_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f")


def webhook(ev_id, object_id, date, data=None):
    """A Close webhook subscription's event of a lead, its data merged with data."""
    event = json.loads(fixture("modern_lead_created.json"))
    event["event"].update(id=ev_id, object_id=object_id, lead_id=object_id, date_updated=date)
    event["event"]["data"].update(id=object_id, **(data or {}))
    return json.dumps(event).encode()
