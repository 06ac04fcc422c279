#!/usr/bin/env python3
"""The review console in a real browser: Debian's chromium driven by chromedriver over W3C
WebDriver (spoken directly with urllib: the protocol is JSON over HTTP, so the test needs
nothing from PyPI). Run by Tests/EndToEndTests/ConsoleBrowserTests.swift with the built binary;
also by hand:

    python3 Tests/Browser/console_test.py --bin .build/debug/chatwarden --artifacts /tmp/shots

It scans the sample archive plus hostile messages, makes accounts, starts `chatwarden web`,
then as a reviewer: signs in, filters, claims, dismisses a high alert with a note (it waits for
a supervisor), opens the conversation; as a supervisor: confirms; searches; and checks that
chat text with <script> and javascript: links is text, a form without its CSRF token is
refused, repeated wrong passwords are slowed, and a reviewer opening another group's alert gets
403. Screenshots of the queue and the alert page are written to --artifacts.
"""
import argparse, base64, json, os, shutil, socket, subprocess, sys, tempfile, time
import urllib.error, urllib.parse, urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on port {port} after {seconds} s")


class WebDriver:
    """The few W3C WebDriver commands this test needs."""

    def __init__(self, driver_port):
        self.base = f"http://127.0.0.1:{driver_port}"
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": shutil.which("chromium") or "/usr/bin/chromium",
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1440,1100", "--lang=zh-CN"]}}}}
        self.session = self.call("POST", "/session", caps)["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else (b"{}" if method == "POST" else None)
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read())["value"]
        except urllib.error.HTTPError as error:
            value = json.loads(error.read()).get("value", {})
            raise WebDriverError(value.get("error", "?"), value.get("message", "")) from None

    def s(self, path):
        return f"/session/{self.session}{path}"

    def get(self, url):
        self.call("POST", self.s("/url"), {"url": url})

    def find(self, css):
        return self.call("POST", self.s("/element"), {"using": "css selector", "value": css})[ELEMENT]

    def find_all(self, css):
        return [e[ELEMENT] for e in self.call("POST", self.s("/elements"), {"using": "css selector", "value": css})]

    def type(self, css, text):
        element = self.find(css)
        self.call("POST", self.s(f"/element/{element}/clear"))
        self.call("POST", self.s(f"/element/{element}/value"), {"text": text})

    def click(self, css):
        self.call("POST", self.s(f"/element/{self.find(css)}/click"))

    def submit(self, css, seconds=20):
        """Clicks a button that loads a new page, and waits for the new page."""
        self.script("window.__cwOld = true")
        self.click(css)
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                if self.script("return window.__cwOld !== true && document.readyState === 'complete'"):
                    return
            except WebDriverError:
                pass
            time.sleep(0.05)
        raise WebDriverError("timeout", f"no new page after clicking {css}")

    def text(self, css):
        return self.call("GET", self.s(f"/element/{self.find(css)}/text"))

    def source(self):
        return self.call("GET", self.s("/source"))

    def url(self):
        return self.call("GET", self.s("/url"))

    def script(self, code):
        return self.call("POST", self.s("/execute/sync"), {"script": code, "args": []})

    def cookie(self, name):
        return self.call("GET", self.s(f"/cookie/{name}"))

    def delete_cookies(self):
        self.call("DELETE", self.s("/cookie"))

    def alert_open(self):
        try:
            self.call("GET", self.s("/alert/text"))
            return True
        except WebDriverError as error:
            return error.kind != "no such alert"

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.call("GET", self.s("/screenshot"))))

    def quit(self):
        try:
            self.call("DELETE", self.s(""))
        except Exception:
            pass


class WebDriverError(Exception):
    def __init__(self, kind, message):
        super().__init__(f"{kind}: {message}")
        self.kind = kind


failures = []


def check(condition, what):
    print(("ok    " if condition else "FAIL  ") + what, flush=True)
    if not condition:
        failures.append(what)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--artifacts", required=True)
    parser.add_argument("--samples", default=os.path.join(os.path.dirname(__file__), "..", "..", "samples"))
    parser.add_argument("--store", help="a postgres:// URL: run everything on a shared PostgreSQL store")
    args = parser.parse_args()
    os.makedirs(args.artifacts, exist_ok=True)
    state = tempfile.mkdtemp(prefix="cw-browser-")
    env = dict(os.environ, CHATWARDEN_STATE_DIR=state, LANG="C.UTF-8")
    if args.store:
        env["CHATWARDEN_STORE"] = args.store
    hostile = os.path.join(state, "hostile.jsonl")
    with open(hostile, "w") as f:
        for i, text in enumerate([
            '<script>alert("xss")</script> 加我私人微信 hack_zw88 <a href="javascript:alert(2)">点我领取</a>',
            '<img src=x onerror=alert(3)> 加我微信 lisi_private9 私下转账给我',
        ]):
            sender = "zhangwei" if i == 0 else "lisi"
            f.write(json.dumps({"msgid": f"hostile{i}", "action": "send", "from": sender,
                                "tolist": ["wmCustomer00000000000001"], "roomid": "", "msgtime": 1795300000000 + i * 1000,
                                "msgtype": "text", "text": {"content": text}}, ensure_ascii=False) + "\n")
    for source in [args.samples, hostile]:
        result = run([args.bin, "scan", "--quiet", source], env=env)
        if result.returncode > 1:
            raise SystemExit(f"scan failed: {result.stderr}")
    accounts = {"alice": ("reviewer", "alice-secret-1"), "bob": ("supervisor", "bob-secret-22"),
                "root1": ("admin", "root-secret-333")}
    for name, (role, password) in accounts.items():
        result = run([args.bin, "users", "add", name, "--role", role, "--password-stdin"], env=env,
                     input=password.replace(name, "x") + "\n")
        if result.returncode != 0:
            raise SystemExit(f"users add {name}: {result.stderr}")
    passwords = {name: password.replace(name, "x") for name, (_, password) in accounts.items()}
    web_port, driver_port = free_port(), free_port()
    config = os.path.join(state, "chatwarden.toml")
    with open(config, "w") as f:
        f.write(f'[web]\nlisten = "127.0.0.1:{web_port}"\n\n[groups.east]\nstaff = ["zhangwei"]\nreviewers = ["alice"]\n\n'
                '[groups.west]\nstaff = ["lisi", "liuyang01"]\nreviewers = []\n')
    web = subprocess.Popen([args.bin, "web", "--config", config], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    driver = subprocess.Popen(["chromedriver", f"--port={driver_port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    browser = None
    base = f"http://127.0.0.1:{web_port}"
    try:
        wait_for_port(web_port)
        wait_for_port(driver_port)
        browser = WebDriver(driver_port)

        def sign_in(name, password):
            browser.delete_cookies()
            browser.get(base + "/login")
            browser.type("#name", name)
            browser.type("#password", password)
            browser.submit("#submit")

        # Sign in: an unsigned visitor is sent to the sign-in page, in Chinese.
        browser.get(base + "/queue")
        check("/login" in browser.url(), "a visitor without a session is sent to the sign-in page")
        check("登录" in browser.source(), "the sign-in page is in Chinese")
        sign_in("alice", passwords["alice"])
        check(browser.url().endswith("/queue"), "alice signs in and lands on the queue")
        session = browser.cookie("cw_session")
        check(session.get("httpOnly") is True and session.get("sameSite") == "Strict",
              "the session cookie is HttpOnly and SameSite=Strict")
        rows = browser.find_all("#queue tbody tr")
        check(len(rows) > 0, f"the queue lists alice's alerts ({len(rows)})")
        staff = browser.script("return Array.from(document.querySelectorAll('#queue tbody tr td:nth-child(5)')).map(td => td.innerText)")
        check(all("zhangwei" in s for s in staff), "a reviewer sees only the staff groups she covers (zhangwei)")

        # Filter: severity at least high.
        browser.click("select[name=severity] option[value=high]")
        browser.submit("#apply")
        check("severity=high" in browser.url(), "the filter is in the URL (shareable, savable)")
        severities = browser.script("return Array.from(document.querySelectorAll('#queue tbody tr td:nth-child(3)')).map(td => td.innerText)")
        check(len(severities) > 0 and all(s in ("高", "严重") for s in severities), f"filtered to high and critical: {severities}")

        # The hostile message renders as text.
        hit = browser.script("""return Array.from(document.querySelectorAll('#queue tbody tr')).filter(
            tr => tr.innerText.includes('hack_zw88')).map(tr => tr.getAttribute('data-id'))""")
        check(len(hit) >= 1, "the hostile message raised an alert in alice's queue")
        target = hit[0]
        check(not browser.alert_open(), "no script from chat text ran on the queue")
        browser.screenshot(os.path.join(args.artifacts, "console-queue" + ("-postgres" if args.store else "") + ".png"))

        # Claim it through the bulk form.
        browser.click(f"input[name=id][value='{target}']")
        browser.submit("#bulk-claim")
        check("已处理 1 条" in browser.text("#flash"), "claim: one alert taken")
        row = browser.script(f"return document.querySelector(\"tr[data-id='{target}']\").innerText")
        check("alice" in row, "the queue shows alice as its assignee")

        # The alert page: evidence, conversation, hostile text as text.
        browser.get(f"{base}/alerts/{target}")
        evidence = browser.text("#evidence")
        check('<script>alert("xss")</script>' in evidence, "<script> in chat text is shown as text")
        check(browser.script("return document.querySelectorAll('a[href^=\"javascript\"]').length") == 0,
              "a javascript: link in chat text is not a link")
        check(browser.script("return document.querySelectorAll('#evidence mark').length") >= 1,
              "the evidence is highlighted")
        check(not browser.alert_open(), "no script from chat text ran on the alert page")
        check(len(browser.find_all("#conversation li")) >= 1, "the conversation around it is shown")
        browser.submit("#older")
        check("before=" in browser.url(), "older messages on demand")
        browser.screenshot(os.path.join(args.artifacts, "console-alert" + ("-postgres" if args.store else "") + ".png"))

        # Dismiss without a note is refused by the browser (required) and by the server.
        browser.type("#dismiss-note", "员工已说明为公司客服号，误报")
        browser.submit("#act-dismiss")
        check("排除待复核" in browser.source(), "dismissing a high alert waits for a supervisor (four-eyes)")
        csrf = browser.script("return document.querySelector('input[name=csrf]').value")
        cookie = browser.cookie("cw_session")["value"]

        def post(path, fields, session_cookie):
            data = urllib.parse.urlencode(fields).encode()
            request = urllib.request.Request(base + path, data=data, method="POST",
                                             headers={"Cookie": f"cw_session={session_cookie}"})
            try:
                with urllib.request.urlopen(request) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        check(post(f"/alerts/{target}/review", {"action": "dismiss", "note": "x", "csrf": csrf}, cookie) in (200, 303),
              "the same form with its CSRF token is accepted")
        check(post(f"/alerts/{target}/review", {"action": "escalate"}, cookie) == 403,
              "a form without its CSRF token is refused (403)")
        check(post(f"/alerts/{target}/review", {"action": "escalate", "csrf": "0" * 64}, cookie) == 403,
              "a form with a wrong CSRF token is refused (403)")

        # Another group's alert is forbidden.
        other = run([args.bin, "alerts", "list", "--format", "json", "--staff", "lisi", "--limit", "1"], env=env)
        other_id = json.loads(other.stdout.splitlines()[0])["id"]
        browser.get(f"{base}/alerts/{other_id}")
        check("403" in browser.source() and "不在您负责的员工组内" in browser.source(),
              "a reviewer opening another group's alert gets 403")

        # A saved filter: saved under a name, listed, deleted.
        browser.get(base + "/queue?severity=critical")
        browser.type("form.inline input[name=name]", "严重告警")
        browser.submit("form.inline button")
        check("严重告警" in browser.text(".saved"), "a filter is saved under a name")
        browser.submit(".saved form.inline button[title]")
        check("严重告警" not in browser.text(".saved"), "a saved filter is deleted")

        # Search, and the conversation from a hit.
        browser.get(base + "/search")
        browser.type("#q", "私人微信")
        browser.submit("#search button")
        hits = browser.find_all("#results tbody tr")
        check(len(hits) >= 1, f"search finds 私人微信 ({len(hits)} hits)")
        check(browser.script("return document.querySelectorAll('#results mark').length") >= 1,
              "search hits are highlighted")
        browser.submit("#results a")
        check("/conversation" in browser.url() and len(browser.find_all("#conversation li")) >= 1,
              "a hit opens its conversation")

        # The supervisor confirms the dismissal.
        sign_in("bob", passwords["bob"])
        browser.get(f"{base}/queue?status=pending-dismissal")
        check(len(browser.find_all(f"tr[data-id='{target}']")) == 1, "the supervisor sees the pending dismissal")
        browser.get(f"{base}/alerts/{target}")
        browser.submit("#act-confirm")
        check("已排除" in browser.text("#facts"), "the supervisor confirms: dismissed")
        trail = browser.text("#trail")
        check("alice" in trail and "bob" in trail and "员工已说明为公司客服号" in trail,
              "the trail names both and keeps the note")
        browser.get(base + "/report")
        check("合规审查报告" in browser.source(), "the supervisor reads the report, in Chinese")

        # Supervision (issue 20): rule versions, effectiveness, holds, samples, evidence bundles.
        browser.get(base + "/supervision")
        check(len(browser.find_all("#rule-history tbody tr")) >= 1, "the supervision page lists the rule versions in force")
        check(len(browser.find_all("#effectiveness tbody tr")) >= 1, "and how the terms fared with reviewers")
        browser.click("#add-hold select[name=kind] option[value=conversation]")
        browser.type("#add-hold input[name=subject]", "zhangwei|wmCustomer00000000000001")
        browser.type("#add-hold input[name=reason]", "监管问询")
        browser.submit("#add-hold button")
        check("监管问询" in browser.text("#holds"), "a supervisor sets a legal hold in the browser")
        browser.type("#holds input[name=reason]", "问询结束")
        browser.submit("#holds form.inline button")
        check("监管问询" not in browser.text("#holds"), "and lifts it with a reason")
        browser.get(base + "/samples")
        browser.type("#draw input[name=since]", "2026-11-19")
        browser.type("#draw input[name=quiet]", "100")
        browser.submit("#draw button")
        check("已抽取样本" in browser.text("#flash"), "a supervisor draws a sample")
        bob_session = browser.cookie("cw_session")["value"]
        request = urllib.request.Request(f"{base}/alerts/{target}/bundle.zip", headers={"Cookie": f"cw_session={bob_session}"})
        with urllib.request.urlopen(request) as response:
            zip_bytes, manifest = response.read(), response.headers.get("X-Manifest-SHA256", "")
        bundle_path = os.path.join(state, "bundle.zip")
        with open(bundle_path, "wb") as f:
            f.write(zip_bytes)
        verified = run([args.bin, "bundle", "verify", bundle_path], env=env)
        check(verified.returncode == 0 and manifest in verified.stdout, "the alert's evidence bundle downloads and verifies")
        sign_in("alice", passwords["alice"])
        browser.get(base + "/samples")
        staff_cells = browser.script("return Array.from(document.querySelectorAll('#sample-items tbody tr td:nth-child(3)')).map(td => td.innerText)")
        check(len(staff_cells) >= 1 and all("zhangwei" in c for c in staff_cells), f"a reviewer's sample queue holds her group only: {staff_cells}")
        browser.type("#sample-items input[name=note]", "已查看，无违规")
        browser.submit("#sample-items button")
        check("已记录抽样项" in browser.text("#flash"), "a reviewer records a sample item")
        browser.get(base + "/supervision")
        check("403" in browser.source(), "the supervision page is not for reviewers")

        # An admin adds an account in the browser; a reviewer may not open the accounts page.
        sign_in("root1", passwords["root1"])
        browser.get(base + "/users")
        browser.type("#add-user input[name=name]", "dave")
        browser.click("#add-user select[name=role] option[value=auditor]")
        browser.type("#add-user input[name=password]", "auditor-secret-4")
        browser.submit("#add-user button")
        check("dave" in browser.text("#users") and "审计员" in browser.text("#users"), "an admin adds an auditor account")
        sign_in("dave", "auditor-secret-4")
        check(browser.url().endswith("/queue") and "审计员只读" in browser.source(), "the auditor signs in and reads; no actions")
        browser.get(f"{base}/alerts/{target}")
        check(len(browser.find_all("#actions")) == 0, "the auditor's alert page has no actions")
        browser.get(base + "/users")
        check("403" in browser.source(), "only admins open the accounts page")

        # Repeated wrong passwords are slowed: after three, even the right one must wait.
        browser.delete_cookies()
        messages = []
        for attempt in range(4):
            browser.get(base + "/login")
            browser.type("#name", "bob")
            browser.type("#password", f"wrong-{attempt}")
            browser.submit("#submit")
            messages.append(browser.text("#error"))
        check("尝试次数过多" in messages[-1], f"repeated wrong passwords are slowed: {messages}")
        browser.get(base + "/login")
        browser.type("#name", "bob")
        browser.type("#password", passwords["bob"])
        browser.submit("#submit")
        check("/login" in browser.url() and "尝试次数过多" in browser.source(),
              "even the right password waits until the pause is over")

        # Response headers: CSP without inline script, no framing.
        with urllib.request.urlopen(base + "/login") as response:
            csp = response.headers.get("Content-Security-Policy", "")
        check("script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
              and "frame-ancestors 'none'" in csp, f"CSP: {csp}")
    finally:
        if browser:
            browser.quit()
        driver.terminate()
        web.terminate()
        try:
            output, _ = web.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            web.kill()
            output = ""
        shutil.rmtree(state, ignore_errors=True)
    if failures:
        print(f"\n{len(failures)} check(s) failed", file=sys.stderr)
        print(output[-3000:], file=sys.stderr)
        sys.exit(1)
    print("\nall checks passed; screenshots in " + args.artifacts)


if __name__ == "__main__":
    main()
