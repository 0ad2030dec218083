"""Screenshots for the README (`make screenshots`).

Starts the app on 127.0.0.1 (a free port) with a fresh demo database in a
temporary folder (``flask db upgrade``, ``flask seed-demo``), logs in as the
demo users the way they would (staff with email and password, the citizen
with CPR number and the SMS code read from the outbox), and saves PNGs taken
with Playwright and Debian's Chromium into docs/screenshots/:

* the caseworker's week, the team's week and the pool board, at 1280 x 800
  (``-desktop``) and 390 x 844 (``-phone``);
* the citizen's booking page (day and time), at 390 x 844.

The weeks shown are next week, which the demo data fills with meetings. A
page that does not answer 200 stops the script. Finally the README's
screenshot section is rewritten to show the images taken.

    python -m benchmarks.screenshots                 # English
    python -m benchmarks.screenshots --language da   # Danish pages
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import socket
import subprocess  # nosec B404  # starts the app and its CLI, like a developer would
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'docs' / 'screenshots'
README = ROOT / 'README.md'
CHROMIUM = os.environ.get('CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                 '--disable-background-networking', '--disable-component-update',
                 '--disable-sync']
SIZES = {'desktop': {'width': 1280, 'height': 800}, 'phone': {'width': 390, 'height': 844}}
PHONE_SCREENS = 2      # how much of a phone page one picture shows (desktop: one screen)
PASSWORD = 'demo-password'
CITIZEN_CPR = '010190-1234'
START_MARK = '<!-- screenshots: written by `make screenshots` -->'
END_MARK = '<!-- /screenshots -->'

# (file stem, caption, who logs in, path; {week} is next week)
STAFF_PAGES = [
    ('caseworker-week', "A caseworker's week", 'caseworker@jobcenter.demo',
     '/calendar/caseworker/{caseworker}?week={week}'),
    ('team-week', "The team's week", 'planner@jobcenter.demo',
     '/calendar/team/{team}?week={week}'),
    ('pool-board', "The staffing planner's board", 'planner@kommun.demo',
     '/pool/board?week={week}'),
]
CITIZEN_PAGE = ('citizen-booking', "A citizen books a time on the phone",
                '/my/book/{offer}/time?week={week}')


def log(message: str) -> None:
    print(f'screenshots: {message}', flush=True)


def flask(env: dict, *args: str) -> str:
    """Run ``flask --app app <args>`` in the repository; its standard output."""
    done = subprocess.run([sys.executable, '-m', 'flask', '--app', 'app', *args],  # nosec B603
                          cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return done.stdout


def demo_environment(folder: str) -> dict:
    env = dict(os.environ, PLANPOOL_INSTANCE=folder, RATELIMIT_ENABLED='false',
               DATABASE_URL=f'sqlite:///{folder}/planpool.sqlite3')
    env.pop('FLASK_DEBUG', None)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def start_server(env: dict) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = subprocess.Popen(  # nosec B603
        [sys.executable, '-m', 'flask', '--app', 'app', 'run', '--host', '127.0.0.1',
         '--port', str(port), '--no-reload'], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f'http://127.0.0.1:{port}'
    for _ in range(150):
        if server.poll() is not None:
            raise SystemExit('screenshots: the app did not start')
        try:
            with urllib.request.urlopen(base + '/login', timeout=2):  # nosec B310
                return server, base
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit('screenshots: the app did not answer on ' + base)


def demo_ids(env: dict) -> dict:
    """Ids in the demo data: Karen's caseworker row, team Dagpenge, the offer."""
    script = (
        'from models import Caseworker, OnlineOffer, Team, User\n'
        "karen = Caseworker.select().join(User).where("
        "User.email == 'caseworker@jobcenter.demo').get()\n"
        "team = Team.get(Team.name == 'Dagpenge')\n"
        'offer = OnlineOffer.get(OnlineOffer.number == 1)\n'
        "print('ids', karen.id, team.id, offer.id)\n")
    done = subprocess.run([sys.executable, '-m', 'flask', '--app', 'app', 'shell'],  # nosec B603
                          cwd=ROOT, env=env, input=script, check=True,
                          capture_output=True, text=True)
    caseworker, team, offer = re.search(r'ids (\d+) (\d+) (\d+)', done.stdout).groups()
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    year, week, _ = monday.isocalendar()
    return {'caseworker': caseworker, 'team': team, 'offer': offer,
            'week': f'{year}-W{week:02d}'}


def new_page(browser, base: str, size: str, language: str):
    phone = size == 'phone'
    context = browser.new_context(base_url=base, viewport=SIZES[size], is_mobile=phone,
                                  has_touch=phone, locale=language, device_scale_factor=1)
    context.set_default_timeout(15_000)
    return context.new_page()


def staff_login(page, email: str) -> None:
    page.goto('/login')
    page.fill('input[name=email]', email)
    page.fill('input[name=password]', PASSWORD)
    page.press('input[name=password]', 'Enter')
    page.wait_for_url(lambda url: '/login' not in url)


def citizen_login(page, env: dict) -> None:
    page.goto('/login/citizen')
    page.fill('input[name=cpr]', CITIZEN_CPR)
    page.press('input[name=cpr]', 'Enter')
    page.wait_for_url('**/login/code')
    found = re.search(r'\] (\d{4,8})\b', flask(env, 'outbox', '--limit', '1'))
    if not found:
        raise SystemExit('screenshots: no login code in the outbox')
    page.fill('input[name=code]', found.group(1))
    page.press('input[name=code]', 'Enter')
    page.wait_for_url(lambda url: '/login' not in url)


def shoot(page, path: str, out: Path) -> None:
    """Save the page at `path` as `out`."""
    response = page.goto(path)
    if response is None or response.status != 200:
        raise SystemExit(f'screenshots: {path} answered {response and response.status}')
    page.wait_for_load_state('networkidle')
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    # On a phone the menu fills the first screen: show the page's own
    # content below it too (PHONE_SCREENS screens).
    width, height = page.viewport_size['width'], page.viewport_size['height']
    screens = PHONE_SCREENS if width == SIZES['phone']['width'] else 1
    height = min(page.evaluate('document.documentElement.scrollHeight'), screens * height)
    page.screenshot(path=str(out), full_page=True,
                    clip={'x': 0, 'y': 0, 'width': width, 'height': height})
    log(f'{out.relative_to(ROOT)}')


def take_all(browser, base: str, env: dict, ids: dict, language: str) -> list[tuple]:
    """Every screenshot; (file name, caption) of those taken."""
    taken = []
    for stem, caption, email, path in STAFF_PAGES:
        for size in SIZES:
            page = new_page(browser, base, size, language)
            staff_login(page, email)
            name = f'{stem}-{size}.png'
            shoot(page, path.format(**ids), OUT / name)
            taken.append((name, f'{caption} ({SIZES[size]["width"]} px)'))
            page.context.close()
    stem, caption, path = CITIZEN_PAGE
    page = new_page(browser, base, 'phone', language)
    citizen_login(page, env)
    shoot(page, path.format(**ids), OUT / f'{stem}-phone.png')
    taken.append((f'{stem}-phone.png', caption))
    page.context.close()
    return taken


def readme_section(taken: list[tuple]) -> str:
    """The Markdown between the README's screenshot marks."""
    lines = [START_MARK, '']
    for name, caption in taken:
        lines += [f'![{caption}](docs/screenshots/{name})', '']
    lines.append(END_MARK)
    return '\n'.join(lines)


def update_readme(taken: list[tuple]) -> None:
    text = README.read_text()
    if START_MARK not in text or END_MARK not in text:
        log('README.md has no screenshot marks: left as it is')
        return
    before, rest = text.split(START_MARK, 1)
    after = rest.split(END_MARK, 1)[1]
    README.write_text(before + readme_section(taken) + after)
    log(f'README.md lists {len(taken)} screenshots')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m benchmarks.screenshots')
    parser.add_argument('--language', default='en-GB', help='browser language (en-GB, da, sv)')
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix='planpool-screenshots-') as folder:
        env = demo_environment(folder)
        flask(env, 'db', 'upgrade')
        flask(env, 'seed-demo')
        ids = demo_ids(env)
        server, base = start_server(env)
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
                taken = take_all(browser, base, env, ids, args.language)
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    update_readme(taken)
    return 0


if __name__ == '__main__':
    sys.exit(main())
