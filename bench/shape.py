"""The code's shape, as issue 14 measures it: largest modules, long functions, imports inside functions.

    .venv/bin/python bench/shape.py

Counts every module of the `guichet` package but migrations; prints the figures docs/architecture.md records.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "guichet"
LONG = 60


def modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "migrations" not in p.parts)


def functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def inner_imports(func: ast.AST) -> list[ast.stmt]:
    return [
        node for node in ast.walk(func) if isinstance(node, ast.Import | ast.ImportFrom) and node is not func
    ]


def main() -> int:
    sizes, long_functions, imports = [], [], []
    for path in modules():
        text = path.read_text()
        tree = ast.parse(text)
        name = str(path.relative_to(ROOT.parent))
        sizes.append((len(text.splitlines()), name))
        seen: set[int] = set()
        for func in functions(tree):
            length = (func.end_lineno or func.lineno) - func.lineno + 1
            if length > LONG:
                long_functions.append((length, f"{name}:{func.name}"))
            for node in inner_imports(func):
                if id(node) not in seen:
                    seen.add(id(node))
                    imports.append((_why(func, node, text), f"{name}:{node.lineno}"))
    sizes.sort(reverse=True)
    long_functions.sort(reverse=True)
    print(f"modules: {len(sizes)}, lines: {sum(s for s, _ in sizes)}")
    print("largest modules:")
    for lines, name in sizes[:8]:
        print(f"  {lines:5d}  {name}")
    print(f"functions over {LONG} lines: {len(long_functions)}")
    for lines, name in long_functions:
        print(f"  {lines:5d}  {name}")
    print(f"imports inside functions: {len(imports)}")
    for why in ("AppConfig.ready", "heavy library, loaded when needed", "other"):
        found = [where for reason, where in imports if reason == why]
        print(f"  {why}: {len(found)}")
        if "-v" in sys.argv:
            for where in found:
                print(f"    {where}")
    return 0


def _why(func: ast.AST, node: ast.stmt, text: str) -> str:
    """Why an import sits inside a function: Django's ``AppConfig.ready`` (models are loaded only then), a
    heavy library only some calls need (marked "imported here" or "imported lazily"), or no good reason."""
    if getattr(func, "name", "") == "ready":
        return "AppConfig.ready"
    line = text.splitlines()[node.lineno - 1]
    if "imported here" in line or "imported lazily" in line:
        return "heavy library, loaded when needed"
    return "other"


if __name__ == "__main__":
    sys.exit(main())
