"""Rule 1: the scheduling core imports no web or database code and reads no clock."""
import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / 'scheduling'


def test_core_imports_neither_flask_nor_peewee():
    code = ('import sys, pkgutil, importlib, scheduling\n'
            'for m in pkgutil.iter_modules(scheduling.__path__):\n'
            '    importlib.import_module("scheduling." + m.name)\n'
            'print(sorted({n.split(".")[0] for n in sys.modules} & {"flask", "peewee", "models"}))')
    result = subprocess.run([sys.executable, '-c', code], cwd=PACKAGE.parent,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == '[]'


def test_core_reads_no_clock():
    clock = re.compile(r'\b(now|utcnow|today)\(|time\.time\(|perf_counter|monotonic')
    for path in PACKAGE.glob('*.py'):
        assert not clock.search(path.read_text()), path.name
