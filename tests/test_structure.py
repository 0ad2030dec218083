"""The shape of the house: which layer may import which (import-linter
contracts in .importlinter), no import circle, no function too long to read.

import-linter reads packages only; the single-file modules at the top (app,
cli, demo, tasks, web, extensions, models) are checked here from their own
imports, read with `ast` like everything else.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / 'lint-imports'
NOT_SHIPPED = ('tests', 'benchmarks', '.venv', 'instance')
LONGEST_FUNCTION = 60      # lines, from `def` to its last line; migrations exempt

# Who may import the single-file modules (None: nobody in the project).
IMPORTED_ONLY_BY = {
    'app': set(),                                 # the WSGI and CLI entry point
    'cli': {'app'},
    'tasks': {'app', 'cli'},                      # services hand work over by messaging.queue
    'demo': {'cli'},
}
# What the layers below the views must never import.
ABOVE_SERVICES = ('app', 'cli', 'demo', 'tasks', 'blueprints', 'web', 'extensions')
SERVICES = ('planner', 'pool', 'messaging', 'models', 'common', 'integrations', 'scheduling')


def shipped_files(root: Path = ROOT) -> list[Path]:
    return sorted(p for p in root.rglob('*.py')
                  if not p.relative_to(root).parts[0] in NOT_SHIPPED)


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _imports(tree: ast.Module, name: str, is_package: bool, known: set[str]):
    """(imported project module, line, inside a function?) for every import."""
    in_function = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            in_function.update(id(sub) for sub in ast.walk(node) if sub is not node)
    package = name.split('.') if is_package else name.split('.')[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:   # relative to the package this module is in
                base = '.'.join(package[:len(package) - node.level + 1] + [base]).strip('.')
            targets = [f'{base}.{alias.name}' for alias in node.names]
        else:
            continue
        for target in targets:
            parts = target.split('.')
            # The longest project module the name starts with.
            for n in range(len(parts), 0, -1):
                candidate = '.'.join(parts[:n])
                if candidate in known and candidate != name:
                    yield candidate, node.lineno, id(node) in in_function
                    break


def _read(path: Path, root: Path, known: set[str]):
    name = module_name(path, root)
    tree = ast.parse(path.read_text(), str(path))
    return name, _imports(tree, name, path.name == '__init__.py', known)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    files = shipped_files(root)
    known = {module_name(p, root) for p in files}
    graph = {}
    for path in files:
        name, imports = _read(path, root, known)
        graph[name] = {target for target, _line, _inner in imports}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _top(module: str) -> str:
    return module.split('.')[0]


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), '--no-cache'], cwd=root, capture_output=True,
                          text=True, timeout=300)


# --- the contracts ------------------------------------------------------------------

def test_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert 'broken' in result.stdout and ' 0 broken' in result.stdout


@pytest.fixture
def copy_of_the_house(tmp_path):
    """The shipped code and the contracts, to break on purpose."""
    for path in shipped_files():
        target = tmp_path / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    shutil.copy(ROOT / '.importlinter', tmp_path / '.importlinter')
    return tmp_path


@pytest.mark.parametrize('where, line, contract', [
    ('planner/booking.py', 'import blueprints.planner.summons', 'Views -> services'),
    ('scheduling/intervals.py', 'import flask', 'scheduling is pure'),
    ('pool/staffing.py', 'from web import role_required', 'never import the web layer'),
])
def test_a_forbidden_import_breaks_a_contract(copy_of_the_house, where, line, contract):
    path = copy_of_the_house / where
    path.write_text(path.read_text() + f'\n{line}  # the mistake under test\n')
    result = lint_imports(copy_of_the_house)
    assert result.returncode != 0
    assert f'{contract}' in result.stdout and 'BROKEN' in result.stdout


# --- what import-linter cannot see: the single-file modules ---------------------------

def test_no_import_circle():
    assert circles(import_graph()) == []


def test_circle_detection_finds_a_circle():
    graph = {'a': {'b'}, 'b': {'c'}, 'c': {'a'}, 'd': {'a'}}
    assert circles(graph) == [['a', 'b', 'c']]


def test_entry_points_and_the_worker_are_imported_only_from_above():
    graph = import_graph()
    for module, allowed in IMPORTED_ONLY_BY.items():
        importers = {name for name, targets in graph.items() if module in targets}
        assert importers <= allowed, f'{module} imported by {sorted(importers - allowed)}'


def test_services_models_and_the_core_import_nothing_above_them():
    wrong = [(name, target) for name, targets in import_graph().items()
             if _top(name) in SERVICES for target in targets
             if _top(target) in ABOVE_SERVICES]
    assert wrong == []


def test_the_worker_needs_no_view():
    """The worker imports what routes an inbound SMS itself: nothing it
    loads, directly or not, is a blueprint or a web helper."""
    graph, seen, todo = import_graph(), set(), ['tasks']
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph.get(module, ()))
    assert 'pool.replies' in seen
    assert {_top(m) for m in seen} & {'blueprints', 'web', 'extensions', 'app'} == set()


def test_models_sit_below_the_services():
    graph = import_graph()
    assert {_top(t) for t in graph['models']} <= {'common', 'scheduling'}


def test_hardly_any_imports_inside_functions_and_each_says_why():
    files = shipped_files()
    known = {module_name(p) for p in files}
    inner = []
    for path in files:
        lines = path.read_text().splitlines()
        name, imports = _read(path, ROOT, known)
        for target, line, in_function in imports:
            if in_function:
                reason = lines[line - 1].partition('#')[2] or lines[line - 2].strip()
                inner.append((name, target, line, reason.strip()))
    assert len(inner) < 10, inner
    assert all(reason for *_rest, reason in inner), inner


# --- readable functions ---------------------------------------------------------------

def long_functions(root: Path = ROOT) -> list[tuple[str, str, int]]:
    found = []
    for path in shipped_files(root):
        if path.relative_to(root).parts[0] == 'migrations':
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > LONGEST_FUNCTION:
                    found.append((str(path.relative_to(root)), node.name, length))
    return found


def test_no_function_longer_than_a_screen():
    assert long_functions() == []


def test_a_long_function_is_found(tmp_path):
    body = '\n'.join(f'    x{i} = {i}' for i in range(LONGEST_FUNCTION))
    (tmp_path / 'long.py').write_text(f'def long():\n{body}\n')
    assert long_functions(tmp_path) == [('long.py', 'long', LONGEST_FUNCTION + 1)]
