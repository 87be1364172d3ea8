"""Rules of the tree that ruff, mypy and import-linter cannot state, run by `make lint`.

Tenancy by hand: no code in kit or services compares a `company_id` with a value by `==` (a SQL filter
or a Python test), outside the module that applies tenancy (`kit/repository.py`) and kit's per-company plumbing
(`kit/purge.py`, which deletes a company's rows from every table). Repositories scope their statements
with `TenantRepository.statement()` or the builders `kit.repository.scoped_select/update/delete`. A join
condition (a company column compared with another column) is not a filter and passes.

Where a statement is cross-tenant by nature (a read model keyed by company, a lookup before any company
is known), the line says so with `# tenancy: <why>`; the reason is required.

Usage: python tests/lint_rules.py [ROOT]; prints one line per violation and exits 1 when there are any.
"""

import ast
import re
import sys
from collections.abc import Iterator
from pathlib import Path

CHECKED = ("kit", "services")
# The one place tenancy is written, and the kit's purge of a deleted company's rows, table by table.
EXEMPT = frozenset({"kit/repository.py", "kit/purge.py"})
ALLOW = re.compile(r"#\s*tenancy:\s*\S")
COLUMN = "company_id"


def _is_column(node: ast.expr) -> bool:
    """A column of a table or model: `TABLE.c.name`, `Model.name` (a capitalised name), not `self.name`."""
    if not isinstance(node, ast.Attribute):
        return False
    owner = node.value
    if isinstance(owner, ast.Attribute) and owner.attr == "c":
        return True
    return isinstance(owner, ast.Name) and owner.id[:1].isupper()


def hand_written_filters(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, what) for each `company_id == <a value>` and `filter_by(company_id=...)`.

    A comparison with another column (`a.company_id == b.company_id`, `Company.id == b.company_id`) is
    a join condition, not a filter.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            for operator, left, right in zip(node.ops, operands, operands[1:], strict=False):
                if not isinstance(operator, ast.Eq):
                    continue
                for side, other in ((left, right), (right, left)):
                    if isinstance(side, ast.Attribute) and side.attr == COLUMN and not _is_column(other):
                        yield node.lineno, f"{ast.unparse(left)} == {ast.unparse(right)}"
                        break
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "filter_by"
            and any(keyword.arg == COLUMN for keyword in node.keywords)
        ):
            yield node.lineno, ast.unparse(node)


def _allowed(lines: list[str], node_line: int) -> bool:
    """The comparison's line, or the line above it, carries `# tenancy: <reason>`."""
    index = node_line - 1
    return any(ALLOW.search(lines[i]) for i in (index, index - 1) if 0 <= i < len(lines))


def violations(root: Path) -> list[str]:
    found: list[str] = []
    for package in CHECKED:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative in EXEMPT or "/migrations/" in relative:
                continue
            source = path.read_text()
            lines = source.splitlines()
            for line, what in sorted(hand_written_filters(ast.parse(source, relative))):
                if not _allowed(lines, line):
                    found.append(
                        f"{relative}:{line}: company_id filtered by hand ({what}); use kit.repository's scoped "
                        "statements, or say why it is cross-tenant with `# tenancy: <reason>`"
                    )
    return found


def main() -> int:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent
    found = violations(root)
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} hand-written tenancy filter(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
