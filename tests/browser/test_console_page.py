"""closebridge-console's web page (/console/) in Debian's headless Chromium under Selenium, against
the real broker, ingest, publish, console and a receiver on loopback: sign-in (admin, tenant,
refused), an instance's counts and chart, the events table's filters and pages, one event and its
attempts, a redelivery, dead letters redelivered one by one and by a replay task, a tenant kept
to its instance, attacker-controlled data shown as text, the CSP and nothing fetched from another
origin, screenshots, and how long 1,000 events take to show."""
import json
import os
import sys
import threading

SOURCE = os.environ["CB_SOURCE_DIR"]
sys.path.insert(0, os.path.join(SOURCE, "tests", "integration"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import JSON, Receiver, bridged_with, instance, request, run, wait_for  # noqa: E402
from page_helpers import (browser, close_time, css, errors, fill, go, js, post_all, rows, shot,  # noqa: E402
                          text_of, until, visible, webhook)

USER, ORG = "u-secret", "o-secret"
ADMIN_ARGS = ["--admin-user-secret", USER, "--admin-org-secret", ORG]
ADMIN = {"Authorization": f"User {USER}, Organization {ORG}"}
MIXED, DEADS, XSS, BULK = 4242, 5151, 6161, 7777
XSS_NAME = '<img src=x onerror="window.__xss=3">xss-co'
XSS_ID = '<img src=x onerror="window.__xss=1">'
XSS_SCRIPT = "<script>window.__xss=2</script>"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
PLAN = {"ok": 3, "retry": 2, "dead": 4}  # MIXED's events: how many of each fate
W = None
FATES, HEALED = {}, set()  # MIXED's envelope id -> fate; ids and paths answered 200 from now on
COND = threading.Condition()


def instances_of(receiver):
    base = receiver.url.rsplit("/", 1)[0]
    out = []
    for n, path, name in [(MIXED, "/mixed", "acme-mixed"), (DEADS, "/deads", "dead-letters-co"),
                          (XSS, "/xss", XSS_NAME), (BULK, "/bulk", "bulk-co")]:
        out.append(instance(n, base + path))
        out[-1]["name"] = name
    return out


def gate(event_id, path):
    # MIXED's answer depends on the event: wait until the test knows its envelope id
    if path == "/mixed":
        with COND:
            COND.wait_for(lambda: event_id in FATES, timeout=30)


def plan(event_id, attempt, path):
    if event_id in HEALED or path in HEALED:
        return 200
    if path == "/mixed":
        return {"ok": 200, "retry": (503, {"Retry-After": "3600"}), "dead": 410}[FATES[event_id]]
    return 410 if path == "/deads" else 200


def api(path, headers=ADMIN):
    r = request("GET", W.console.url + path, headers=headers)
    assert r.status == 200, (path, r.status, r.body)
    return r.json()


def listed(path):
    """Every event a list path gives, page after page."""
    out, cursor = [], None
    while True:
        r = request("GET", W.console.url + path + (f"&nextPage={cursor}" if cursor else ""),
                    headers=ADMIN)
        assert r.status == 200, (r.status, r.body)
        out += r.json()
        cursor = r.headers.get("Elements-Next-Page-Token")
        if not cursor:
            return out


def statuses(instance_id):
    return sorted(e["status"] for e in listed(f"/instances/{instance_id}/events?pageSize=500"))


class World:
    def __init__(self, bridge, receiver):
        global W
        W = self
        self.bridge, self.receiver = bridge, receiver
        receiver.plan, receiver.gate = plan, gate
        self.ingest = bridge.ingest(*ADMIN_ARGS).ready()
        self.publish = bridge.publish("--breaker-threshold", "0").ready()
        # tasks step one event at a time, 2 a second: slow enough to watch (and cancel)
        self.console = bridge.console(*ADMIN_ARGS, "--task-rate", "2", "--task-batch", "1").ready()
        seed = {"element": {"key": "closeio"}, "name": "tenant-co",
                "configuration": {"username": "k", "password": "",
                                  "event.notification.enabled": "true",
                                  "event.notification.callback.url":
                                  receiver.url.rsplit("/", 1)[0] + "/ok"}}
        r = request("POST", self.ingest.url + "/instances", json.dumps(seed).encode(),
                    {**ADMIN, **JSON})
        assert r.status == 200, r.body
        self.tenant_id, self.token = str(r.json()["id"]), r.json()["token"]
        # MIXED: delivered, retrying (Retry-After: an hour) and dead (410) events, minutes ago
        self.mixed = {fate: [] for fate in PLAN}
        fates = [f for f in PLAN for _ in range(PLAN[f])]
        for k, fate in enumerate(fates):
            env_id = post_all(self.ingest.url, [(MIXED, webhook(
                f"ev_mixed{k}", f"lead_mixed{k}", close_time(minutes_ago=10 - k)))])[0]
            with COND:
                FATES[env_id] = fate
                COND.notify_all()
            self.mixed[fate].append(env_id)
        self.deads = post_all(self.ingest.url, [(DEADS, webhook(
            f"ev_dead{k}", f"lead_dead{k}", close_time(minutes_ago=20 - k))) for k in range(6)])
        self.xss = post_all(self.ingest.url, [(XSS, webhook(
            "ev_xss", XSS_ID, close_time(minutes_ago=1),
            {"name": XSS_SCRIPT, "display_name": XSS_ID, "status_label": XSS_SCRIPT}))])[0]
        self.tenant_ev = post_all(self.ingest.url, [(int(self.tenant_id), webhook(
            "ev_tenant", "lead_tenant", close_time(minutes_ago=2)))])[0]
        self.bulk = post_all(self.ingest.url, [(BULK, webhook(
            f"ev_bulk{k}", f"lead_bulk{k}", close_time(minutes_ago=30, seconds_ago=k)))
            for k in range(1000)])
        want = sorted(["delivered"] * PLAN["ok"] + ["retrying"] * PLAN["retry"]
                      + ["dead"] * PLAN["dead"])
        wait_for("MIXED's events to reach their states", lambda: statuses(MIXED) == want, 60)
        wait_for("DEADS's events to be dead", lambda: statuses(DEADS) == ["dead"] * 6, 60)
        wait_for("the XSS and tenant events to be delivered", lambda: statuses(XSS) == [
            "delivered"] and statuses(self.tenant_id) == ["delivered"], 60)
        self.d = browser()
        self.d.get(self.console.url + "/console/")
        # keep every resource entry of the run (the same-origin check reads them at the end)
        js(self.d, "performance.setResourceTimingBufferSize(100000);")


def sign_in(d, token=None, user=USER, org=ORG):
    if not visible(d, "signin"):
        css(d, "#signout").click()
    until(d, "the sign-in form", lambda d: visible(d, "signin"))
    css(d, "#mode-token" if token else "#mode-admin").click()
    if token:
        fill(d, "#token", token)
    else:
        fill(d, "#user-secret", user)
        fill(d, "#org-secret", org)
    css(d, "#signin-submit").click()


def card(instance_id):
    return f"[data-test=instance][data-instance-id='{instance_id}']"


def test_sign_in_as_admin_and_an_instance_shows_its_counts():
    d = W.d
    until(d, "the sign-in form", lambda d: visible(d, "signin"))
    assert not visible(d, "nav")
    shot(d, "sign-in")
    sign_in(d, user=USER, org="wrong")
    until(d, "the refusal", lambda d: "refused" in (text_of(d, "#signin-message") or ""))
    assert js(d, "return sessionStorage.length") == 0
    sign_in(d)
    until(d, "the instances", lambda d: text_of(d, card(MIXED) + " [data-test=count-hour-dead]"))
    c = card(MIXED)
    for span in ("hour", "day"):
        got = {s: text_of(d, f"{c} [data-test=count-{span}-{s}]") for s in
               ("received", "delivered", "retrying", "dead", "skipped")}
        assert got == {"received": "0", "delivered": "3", "retrying": "2", "dead": "4",
                       "skipped": "0"}, (span, got)
    assert text_of(d, c + " [data-test=instance-name]") == "acme-mixed"
    assert text_of(d, c + " [data-test=mode]") == "webhook"
    assert text_of(d, c + " [data-test=webhook-url]") == W.console.url + "/events/closeio/NDI0Mg=="
    assert text_of(d, c + " [data-test=breaker]") == "closed"
    assert text_of(d, c + " [data-test=last-status]") in ("200", "503", "410")
    bars = js(d, "return [...document.querySelectorAll(arguments[0] + ' [data-test=hour]')]"
                 ".map(g => [+g.dataset.delivered, +g.dataset.failing]);", c)
    assert len(bars) == 24 and bars[-1] == [3, 6] and sum(map(sum, bars)) == 9, bars
    assert {text_of(d, card(n) + " [data-test=instance-name]") for n in (DEADS, BULK)} == {
        "dead-letters-co", "bulk-co"}
    # the copy button: the clipboard, or the URL selected when the browser refuses it
    css(d, c + " [data-test=copy]").click()
    until(d, "the copy", lambda d: text_of(d, c + " [data-test=copy]") != "Copy")
    if text_of(d, c + " [data-test=copy]") != "Copied":
        assert js(d, "return getSelection().toString()") == W.console.url + "/events/closeio/NDI0Mg=="
    # the credentials: this tab's sessionStorage only
    stored = js(d, "return JSON.stringify(sessionStorage)")
    assert ORG in stored and js(d, "return localStorage.length") == 0
    assert js(d, "return document.cookie") == "" and ORG not in d.current_url
    shot(d, "instances")


def test_the_events_table_filters_and_opens_an_event_with_its_attempts():
    d = W.d
    go(d, f"#/instances/{MIXED}/events")
    until(d, "MIXED's 9 events", lambda d: len(rows(d, "events-table")) == 9)
    assert all(r[1] == str(MIXED) for r in rows(d, "events-table"))
    shot(d, "events")
    css(d, "#f-status-dead").click()
    css(d, "#f-apply").click()
    until(d, "the dead ones only", lambda d: sorted(r[0] for r in rows(d, "events-table"))
          == sorted(W.mixed["dead"]) and "status=dead" in d.current_url)
    assert {r[2] for r in rows(d, "events-table")} == {"dead"}
    css(d, "#f-status-retrying").click()
    css(d, "#f-apply").click()
    until(d, "dead and retrying", lambda d: len(rows(d, "events-table")) == 6)
    # the API's 400 message shows as it is
    fill(d, "#f-since", "yesterday")
    css(d, "#f-apply").click()
    until(d, "the API's error", lambda d: any("since" in e and "400" in e for e in errors(d)))
    css(d, "#f-clear").click()
    until(d, "every event again", lambda d: len(rows(d, "events-table")) == 9)
    retrying = W.mixed["retry"][0]
    object_id = f"lead_mixed{PLAN['ok']}"  # the first retrying one (fates in PLAN's order)
    fill(d, "#f-objectId", object_id)
    css(d, "#f-apply").click()
    until(d, "one event", lambda d: [r[0] for r in rows(d, "events-table")] == [retrying])
    assert text_of(d, "#events-table [data-test=object-id]") == object_id
    css(d, "#events-table [data-test=open]").click()
    until(d, "the event", lambda d: text_of(d, "[data-test=event-id]") == retrying)
    assert text_of(d, "[data-test=event-status]") == "retrying"
    attempts = js(d, "return [...document.querySelectorAll('#attempts tbody tr')].map(r =>"
                     " [r.querySelector('[data-test=attempt-status]').textContent,"
                     " r.dataset.outcome]);")
    assert attempts == [["503", "retry"]], attempts
    envelope = json.loads(text_of(d, "#envelope"))
    assert envelope["id"] == retrying and envelope["data"]["objectId"] == object_id
    shot(d, "event")


def test_a_dead_event_redelivered_after_its_receiver_healed_shows_delivered():
    d = W.d
    dead = W.mixed["dead"][0]
    go(d, f"#/instances/{MIXED}/events/{dead}")
    until(d, "the dead event", lambda d: text_of(d, "[data-test=event-status]") == "dead"
          and js(d, "return !document.getElementById('redeliver').disabled"))
    HEALED.add(dead)
    css(d, "#redeliver").click()
    until(d, "the redelivery to show delivered",
          lambda d: "delivered" in (text_of(d, "#redeliver-status") or ""), 60)
    assert text_of(d, "[data-test=event-status]") == "delivered"
    assert "rp_" in text_of(d, "#redeliver-status")
    outcomes = js(d, "return [...document.querySelectorAll('#attempts tbody tr')].map(r =>"
                     " r.dataset.outcome);")
    assert outcomes == ["dead", "delivered"], outcomes
    assert len(W.receiver.delivered(dead)) == 1


def test_dead_letters_redelivered_selected_and_by_a_task():
    d = W.d
    HEALED.add("/deads")
    go(d, f"#/instances/{DEADS}/dead")
    until(d, "six dead letters", lambda d: len(rows(d, "dead-table")) == 6)
    reasons = js(d, "return [...document.querySelectorAll('#dead-table [data-test=problem]')]"
                    ".map(n => n.textContent);")
    assert len(reasons) == 6 and all(r and r != "—" for r in reasons), reasons
    shot(d, "dead-letters")
    picked = [r[0] for r in rows(d, "dead-table")[:2]]
    for env_id in picked:
        css(d, f"#dead-table tr[data-event-id='{env_id}'] [data-test=pick]").click()
    assert text_of(d, "#redeliver-selected") == "Redeliver selected (2)"
    css(d, "#redeliver-selected").click()
    until(d, "both redeliveries delivered", lambda d: js(
        d, "return [...document.querySelectorAll('[data-test=redelivery]')].map(li =>"
           " [li.dataset.eventId, li.querySelector('[data-test=redelivery-status]').textContent]);")
        == [[e, "delivered"] for e in picked], 60)
    until(d, "the four left", lambda d: len(rows(d, "dead-table")) == 4)
    assert not {r[0] for r in rows(d, "dead-table")} & set(picked)
    css(d, "#redeliver-all").click()
    until(d, "the task's panel", lambda d: visible(d, "task") and text_of(d, "#task-id"))
    task_id = text_of(d, "#task-id")
    # its progress while it runs, then done
    until(d, "the task running", lambda d: text_of(d, "#task-status") == "running"
          and text_of(d, "#task-produced") in ("0", "1", "2", "3"))
    until(d, "the task to be done and delivered", lambda d: text_of(d, "#task-status") == "done"
          and text_of(d, "#task-delivered") == "4", 60)
    assert (text_of(d, "#task-matched"), text_of(d, "#task-produced")) == ("4", "4")
    assert js(d, "const p = document.getElementById('task-progress'); return [p.value, p.max];") == [4, 4]
    assert js(d, "return document.getElementById('task-cancel').disabled")
    task = api(f"/tasks/{task_id}")
    assert task["status"] == "done" and task["instanceId"] == str(DEADS), task
    assert all(len(W.receiver.delivered(e)) == 1 for e in W.deads)
    shot(d, "dead-letters-task")
    until(d, "no dead letter left", lambda d: not rows(d, "dead-table") and visible(d, "empty"))


def test_attacker_data_renders_as_text_and_runs_no_script():
    d = W.d
    go(d, "#/instances")
    until(d, "the XSS instance", lambda d: text_of(d, card(XSS) + " [data-test=instance-name]"))
    assert text_of(d, card(XSS) + " [data-test=instance-name]") == XSS_NAME
    go(d, f"#/instances/{XSS}/events")
    until(d, "its event", lambda d: [r[0] for r in rows(d, "events-table")] == [W.xss])
    assert text_of(d, "#events-table [data-test=object-id]") == XSS_ID
    css(d, "#events-table [data-test=open]").click()
    until(d, "the envelope", lambda d: text_of(d, "#envelope"))
    raw = text_of(d, "#envelope")
    assert XSS_SCRIPT in raw and XSS_ID.replace('"', '\\"') in raw, raw
    assert text_of(d, "[data-test=event-object-id]") == XSS_ID
    assert js(d, "return typeof window.__xss") == "undefined"
    assert js(d, "return document.querySelectorAll('img').length") == 0
    assert js(d, "return [...document.scripts].map(s => s.src)") == [W.console.url + "/console/app.js"]


def test_a_thousand_events_show_and_how_long_they_take():
    d = W.d
    wait_for("the console to list BULK's 1,000 events",
             lambda: len(listed(f"/instances/{BULK}/events?pageSize=500")) == 1000, 120, 0.5)
    go(d, "#/instances")
    until(d, "the instances", lambda d: text_of(d, card(BULK)))
    # measured in the browser: from the navigation to the frame that paints 1,000 rows (a task
    # after the animation frame that lays them out), the "More" click included
    took = d.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const t0 = performance.now();
        let first = null;
        const painted = (then) => requestAnimationFrame(() => setTimeout(then, 0));
        const check = () => {
          const n = document.querySelectorAll('#events-table tbody tr').length;
          const more = document.getElementById('more');
          if (n >= 1000) {
            obs.disconnect();
            painted(() => done({ms: performance.now() - t0, first, rows: n}));
          } else if (first === null && n === 500 && more && !more.hidden && !more.disabled) {
            first = performance.now() - t0;
            more.click();
          }
        };
        const obs = new MutationObserver(check);
        obs.observe(document.body, {childList: true, subtree: true, attributes: true});
        location.hash = arguments[0];
        """, f"#/instances/{BULK}/events?pageSize=500")
    assert took["rows"] == 1000, took
    ids = js(d, "return new Set([...document.querySelectorAll('#events-table tbody tr')]"
                ".map(r => r.dataset.eventId)).size")
    assert ids == 1000 and set(r[0] for r in rows(d, "events-table")) == set(W.bulk)
    assert not visible(d, "more")
    print(f"1,000 events shown in {took['ms']:.0f} ms, painted (pageSize 500: the first 500 rows"
          f" were in the table at {took['first']:.0f} ms, then More)", flush=True)


def test_a_running_task_is_cancelled_from_its_page():
    d = W.d
    # 1,000 events at 2 a second: it runs while the page shows it
    r = request("POST", f"{W.console.url}/instances/{BULK}/events/redeliver?status=delivered", b"",
                ADMIN)
    assert r.status == 202, (r.status, r.body)
    task_id = r.json()["id"]
    go(d, f"#/tasks/{task_id}")
    until(d, "the task running", lambda d: text_of(d, "#task-status") == "running"
          and js(d, "return !document.getElementById('task-cancel').disabled"))
    assert text_of(d, "#task-id") == task_id
    css(d, "#task-cancel").click()
    until(d, "the task cancelled", lambda d: text_of(d, "#task-status") == "cancelled")
    task = api(f"/tasks/{task_id}")
    assert task["status"] == "cancelled" and task["produced"] < 1000, task
    assert js(d, "return document.getElementById('task-cancel').disabled")


def test_a_tenant_sees_its_instance_only():
    d = W.d
    css(d, "#signout").click()
    until(d, "the sign-in form", lambda d: visible(d, "signin"))
    assert js(d, "return sessionStorage.length") == 0 and not js(d, "return document.getElementById('view').childElementCount")
    sign_in(d, token=W.token)
    until(d, "the tenant's instance", lambda d: text_of(d, card(W.tenant_id)))
    cards = js(d, "return [...document.querySelectorAll('[data-test=instance]')].map(c => c.dataset.instanceId)")
    assert cards == [W.tenant_id], cards
    assert text_of(d, card(W.tenant_id) + " [data-test=instance-name]") == "tenant-co"
    assert W.tenant_id in text_of(d, "#whoami")
    shot(d, "tenant")
    go(d, "#/events")
    until(d, "its one event", lambda d: [r[0] for r in rows(d, "events-table")] == [W.tenant_ev])
    # another instance's address shows nothing of it
    for hash_ in (f"#/instances/{MIXED}/events", f"#/instances/{MIXED}/dead",
                  f"#/instances/{MIXED}/events/{W.mixed['ok'][0]}"):
        go(d, hash_)
        until(d, f"the refusal of {hash_}", lambda d: any("404" in e for e in errors(d)))
        body = text_of(d, "body")
        assert not rows(d, "events-table") and not rows(d, "dead-table"), hash_
        assert "acme-mixed" not in body and "lead_mixed" not in body, body
        assert not any(e in body for e in W.mixed["ok"][1:] + W.mixed["dead"]), body
    # a token refused later (401) brings the sign-in back with a message
    js(d, "const a = JSON.parse(sessionStorage.getItem('closebridge.console.auth'));"
          "a.token += 'x'; sessionStorage.setItem('closebridge.console.auth', JSON.stringify(a));")
    go(d, "#/instances")
    until(d, "the sign-in again", lambda d: visible(d, "signin")
          and "401" in (text_of(d, "#signin-message") or ""))


def test_the_page_has_its_csp_and_fetched_nothing_elsewhere():
    for path in ("/console/", "/console/app.js", "/console/app.css"):
        r = request("GET", W.console.url + path)
        assert r.status == 200 and r.headers.get("Content-Security-Policy") == CSP, (path, r.headers)
    d = W.d
    names = js(d, "return performance.getEntriesByType('resource').map(e => e.name)")
    nav = js(d, "return performance.getEntriesByType('navigation').map(e => e.name)")
    assert len(names) > 20, names  # the API calls of every test above
    outside = [n for n in names + nav if not n.startswith(W.console.url + "/")]
    assert not outside, outside
    assert any("/console/api/instances" in n for n in names)
    assert any("/app.js" in n for n in names) and any("/app.css" in n for n in names)
    logs = d.get_log("browser")
    csp = [e for e in logs if "Content Security Policy" in e.get("message", "")]
    assert not csp, csp


def main():
    global W
    code = 0
    with bridged_with([Receiver()], instances_of) as (bridge, receiver):
        W = World(bridge, receiver)
        try:
            run([test_sign_in_as_admin_and_an_instance_shows_its_counts,
                 test_the_events_table_filters_and_opens_an_event_with_its_attempts,
                 test_a_dead_event_redelivered_after_its_receiver_healed_shows_delivered,
                 test_dead_letters_redelivered_selected_and_by_a_task,
                 test_attacker_data_renders_as_text_and_runs_no_script,
                 test_a_thousand_events_show_and_how_long_they_take,
                 test_a_running_task_is_cancelled_from_its_page,
                 test_a_tenant_sees_its_instance_only,
                 test_the_page_has_its_csp_and_fetched_nothing_elsewhere])
        except SystemExit as e:
            code = e.code
        finally:
            W.d.quit()
        if code:
            raise SystemExit(code)  # inside the block: the processes' logs are printed


if __name__ == "__main__":
    main()
