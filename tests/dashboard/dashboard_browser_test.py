#!/usr/bin/python3
"""The dashboard driven in a real headless Chromium.

Starts collectionsd on a fresh SQLite store with its clock fixed at
2026-11-20 15:00 UTC (10:00 in New York), loads the ledger of ledger.py with
collectionsctl, runs the day's collections (letters, cases), and then, in
Debian's chromium through chromedriver and python3-selenium:

  1. signs in with an API token (the bootstrap token collectionsd writes);
  2. reads the overview: totals, the aging table, both charts drawn;
  3. opens an account from the work queue;
  4. is refused a contact at 22:00 New York time with the same reason
     collectionsctl gets from the gRPC API for the same contact;
  5. records a contact at 10:00 New York time;
  6. takes screenshots at desktop (1280 px) and phone (390 px) width into
     --artifacts and checks each for content: not blank (pixel variance),
     and the chart canvases present and painted.

    dashboard_browser_test.py --collectionsd B --collectionsctl C --artifacts DIR

Exit code 77 (ctest SKIP_RETURN_CODE) when chromium, chromedriver, selenium
or PIL is missing and CI is not set; in CI that is a failure.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "api"))
sys.path.insert(0, os.path.join(HERE, "..", "pylib"))
import ledger  # noqa: E402
from live_server import Daemon  # noqa: E402  (collectionsd as a child process)

ARGS = None
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
DESKTOP = (1280, 1000)
PHONE = (390, 844)


def _require_packages():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.path.exists(p)]
    try:
        import selenium  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as e:
        missing.append(str(e))
    if missing:
        msg = "browser test needs chromium, chromium-driver, python3-selenium, python3-pil " \
              "(run deploy/install.sh): missing %s" % ", ".join(missing)
        if os.environ.get("CI"):
            print("FAIL: " + msg)
            sys.exit(1)
        print("SKIP: " + msg)
        sys.exit(77)


def check_screenshot(test, path, what):
    """Not blank: many distinct colours and real variance in brightness."""
    from PIL import Image, ImageStat
    img = Image.open(path).convert("RGB")
    stat = ImageStat.Stat(img.convert("L"))
    colours = img.getcolors(maxcolors=1 << 20)
    test.assertGreater(stat.stddev[0], 12.0, "%s looks blank (brightness stddev %.1f)" % (what, stat.stddev[0]))
    test.assertTrue(colours is None or len(colours) > 64, "%s has only %s colours" % (what, len(colours or [])))
    return stat.stddev[0]


class DashboardInBrowser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        cls.tmp = tempfile.mkdtemp(prefix="dashboard-test-")
        token_file = os.path.join(cls.tmp, "token")
        cls.daemon = Daemon(ARGS.collectionsd, [
            "--listen=127.0.0.1:0", "--http_listen=127.0.0.1:0", "--log_requests=false",
            "--store=sqlite:" + os.path.join(cls.tmp, "ledger.db"),
            "--clock=fixed:2026-11-20T15:00:00Z",
            "--bootstrap_token_file=" + token_file, "--bootstrap_tenant=acme"])
        serving = next(json.loads(l) for l in cls.daemon.log if '"msg":"serving"' in l)
        cls.base = "http://127.0.0.1:%d" % serving["http_port"]
        with open(token_file) as f:
            cls.token = f.read().strip()
        records = os.path.join(cls.tmp, "ledger.jsonl")
        with open(records, "w") as f:
            for r in ledger.records():
                f.write(json.dumps(r) + "\n")
        cls.ctl([ "sync", records])
        cls.ctl(["collect"])
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--hide-scrollbars", "--force-device-scale-factor=1",
                  "--window-size=%d,%d" % DESKTOP):
            options.add_argument(a)
        cls.browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
        cls.browser.set_page_load_timeout(20)
        # Elements of the next page may take a moment under load: look again
        # for up to 5 s before failing.
        cls.browser.implicitly_wait(5)
        os.makedirs(ARGS.artifacts, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.browser.quit()
        finally:
            cls.daemon.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def ctl(cls, args, check=True):
        p = subprocess.run([ARGS.collectionsctl, "--server=" + cls.daemon.target,
                            "--tenant=acme"] + args, capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError("collectionsctl %s failed:\n%s%s" % (args, p.stdout, p.stderr))
        return p

    def shot(self, name, size):
        self.browser.set_window_size(*size)
        # The page at this width: charts resize on the window's resize event.
        self.browser.execute_script("window.dispatchEvent(new Event('resize'))")
        time.sleep(0.3)
        path = os.path.join(ARGS.artifacts, name)
        self.browser.save_screenshot(path)
        check_screenshot(self, path, name)
        self.browser.set_window_size(*DESKTOP)
        return path

    def assert_charts_drawn(self):
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(self.browser, 10).until(lambda d: d.execute_script(
            "const c = document.querySelectorAll('canvas[data-chart]');"
            "return c.length > 0 && Array.from(c).every(x => x.dataset.drawn === 'true');"))
        # Every canvas is drawn and has painted pixels (not a transparent box).
        painted = self.browser.execute_script("""
            return Array.from(document.querySelectorAll('canvas[data-chart]')).map(c => {
              const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
              let n = 0;
              for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
              return [c.dataset.chart, c.dataset.drawn === 'true', n];
            });""")
        kinds = sorted(p[0] for p in painted)
        self.assertEqual(kinds, ["aging", "dso"], painted)
        for kind, drawn, pixels in painted:
            self.assertTrue(drawn, kind)
            self.assertGreater(pixels, 2000, "%s chart painted only %d pixels" % (kind, pixels))

    def wait_for_url(self, part):
        from selenium.webdriver.support.ui import WebDriverWait
        WebDriverWait(self.browser, 10).until(lambda d: part in d.current_url)

    def test_a_walk_through_the_dashboard(self):
        from selenium.webdriver.common.by import By
        b = self.browser

        # Pages need a session: without one, the sign-in form.
        b.get(self.base + "/dashboard/overview")
        self.assertIn("/dashboard/signin", b.current_url)
        b.find_element(By.ID, "token").send_keys("ctk_0000000000000000_" + "0" * 64)
        b.find_element(By.ID, "signin").click()
        self.assertIn("not valid", b.find_element(By.CSS_SELECTOR, ".notice.error").text)
        b.find_element(By.ID, "token").send_keys(self.token)
        b.find_element(By.ID, "signin").click()
        self.wait_for_url("/dashboard/overview")
        cookie = b.get_cookie("collections_session")
        self.assertTrue(cookie["httpOnly"])
        self.assertEqual(cookie["sameSite"], "Strict")

        # The overview: totals that add up, both charts.
        totals = b.find_element(By.ID, "totals").text
        self.assertIn("Open, USD", totals)
        self.assertIn("Overdue, USD", totals)
        self.assertIn("DSO, USD", totals)
        row = b.find_element(By.CSS_SELECTOR, "#aging tbody tr").find_elements(By.TAG_NAME, "td")
        self.assertEqual(row[0].text, "USD")
        amounts = [int(c.text.replace("USD", "").replace(",", "").replace(".", "").strip()) for c in row[1:9]]
        self.assertEqual(sum(amounts[:6]), amounts[6], "buckets sum to the open balance")
        self.assertEqual(sum(amounts[1:6]), amounts[7], "past-due buckets sum to overdue")
        self.assertGreater(amounts[7], 0)
        self.assert_charts_drawn()
        self.shot("overview-desktop.png", DESKTOP)
        self.shot("overview-phone.png", PHONE)

        # The work queue, and a consumer's account opened from it.
        b.find_element(By.LINK_TEXT, "Work queue").click()
        self.wait_for_url("/dashboard/queue")
        queue_rows = b.find_elements(By.CSS_SELECTOR, "#queue tbody tr")
        self.assertGreater(len(queue_rows), 3)
        consumer = next(a for a in b.find_elements(By.CSS_SELECTOR, "#queue a.account")
                        if a.text in ("Nora Quinn", "Sam Ortiz", "Lena Park"))
        name = consumer.text
        self.shot("queue-desktop.png", DESKTOP)
        consumer.click()
        self.wait_for_url("/dashboard/accounts/")
        self.assertEqual(b.find_element(By.ID, "account-name").text, name)
        self.assertGreater(len(b.find_elements(By.CSS_SELECTOR, "#invoices tbody tr")), 0)
        customer_id = b.current_url.rstrip("/").rsplit("/", 1)[1]

        def contact(at, summary):
            t = b.find_element(By.ID, "contact-time")
            b.execute_script("arguments[0].value = arguments[1]", t, at)
            b.find_element(By.ID, "contact-summary").send_keys(summary)
            b.find_element(By.ID, "record-contact").click()

        # A call at 22:00 in New York is refused, as the API refuses it...
        contact("2026-11-20T03:00", "Late call")
        refusal = b.find_element(By.ID, "refusal")
        reason = refusal.find_element(By.CSS_SELECTOR, "[data-reason]").get_attribute("data-reason")
        self.assertEqual(reason, "REG_F_1006_6_B_1_INCONVENIENT_TIME")
        self.assertNotIn("Late call", b.find_element(By.ID, "contacts").text)
        api = self.ctl(["contact", customer_id, "PHONE", "OUTBOUND", "SPOKE",
                        "--at=2026-11-20T03:00:00Z"], check=False)
        self.assertNotEqual(api.returncode, 0)
        self.assertIn("reason: " + reason, api.stderr)
        self.shot("account-refused-desktop.png", DESKTOP)

        # ... and one at 10:00 is recorded.
        b.find_element(By.ID, "contact-summary").clear()
        contact("2026-11-20T15:00", "Spoke about the overdue invoices, will pay Friday")
        self.assertEqual(b.find_element(By.ID, "done").text, "Contact recorded.")
        self.assertIn("will pay Friday", b.find_element(By.ID, "contacts").text)
        self.shot("account-desktop.png", DESKTOP)
        self.shot("account-phone.png", PHONE)

        # The printable case file and the PDF an agency receives.
        b.get(self.base + "/dashboard/accounts/%s/case-file" % customer_id)
        self.assertEqual(b.find_element(By.ID, "account-name").text, name)
        self.assertEqual(len(b.find_elements(By.CSS_SELECTOR, "form#form-contacts")), 0)

        # Signing out ends the session.
        b.get(self.base + "/dashboard/overview")
        b.find_element(By.CSS_SELECTOR, "header form button").click()
        self.wait_for_url("/dashboard/signin")
        b.get(self.base + "/dashboard/overview")
        self.assertIn("/dashboard/signin", b.current_url)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--collectionsd", required=True)
    p.add_argument("--collectionsctl", required=True)
    p.add_argument("--artifacts", required=True)
    ARGS, rest = p.parse_known_args()
    _require_packages()
    started = time.time()
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    print("screenshots in %s (%.1f s)" % (ARGS.artifacts, time.time() - started))
    sys.exit(0 if result.wasSuccessful() else 1)


if __name__ == "__main__":
    main()
