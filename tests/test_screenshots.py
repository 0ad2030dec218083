"""The README's screenshots: every picture it shows exists, every picture
taken is shown, and `make screenshots` rewrites only its own section."""
from __future__ import annotations

import re

from benchmarks import screenshots


def _section(text: str) -> str:
    return text.split(screenshots.START_MARK, 1)[1].split(screenshots.END_MARK, 1)[0]


def test_readme_shows_exactly_the_screenshots_there_are():
    shown = re.findall(r'!\[[^\]]+\]\((docs/screenshots/[^)]+)\)',
                       _section(screenshots.README.read_text()))
    present = sorted(str(p.relative_to(screenshots.ROOT))
                     for p in screenshots.OUT.glob('*.png'))
    assert present, 'no screenshots in docs/screenshots'
    assert sorted(shown) == present
    assert len(set(shown)) == len(shown)


def test_rewriting_lists_the_pictures_taken_and_keeps_the_rest(tmp_path, monkeypatch):
    readme = tmp_path / 'README.md'
    readme.write_text(f'# Title\n\n{screenshots.START_MARK}\n\n![Old](docs/screenshots/old.png)'
                      f'\n\n{screenshots.END_MARK}\n\n## Start\n')
    monkeypatch.setattr(screenshots, 'README', readme)
    screenshots.update_readme([('team-week-desktop.png', "The team's week (1280 px)")])
    text = readme.read_text()
    assert text.startswith('# Title\n\n') and text.endswith('\n\n## Start\n')
    assert 'old.png' not in text
    assert "![The team's week (1280 px)](docs/screenshots/team-week-desktop.png)" in text
