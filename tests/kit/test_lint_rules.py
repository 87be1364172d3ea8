"""tests/lint_rules.py, the tenancy rule of `make lint`: what it refuses, what it lets through, and the tree."""

from pathlib import Path

from tests.lint_rules import violations

ROOT = Path(__file__).resolve().parents[2]


def _tree(tmp_path: Path, source: str) -> Path:
    module = tmp_path / "services" / "shop" / "repository.py"
    module.parent.mkdir(parents=True)
    module.write_text(source)
    (tmp_path / "kit").mkdir()
    return tmp_path


def test_a_hand_written_company_filter_is_refused(tmp_path: Path) -> None:
    source = (
        "statement = select(ITEMS).where(ITEMS.c.company_id == company_id)\n"
        "other = select(Item).where(Item.name == 'x', Item.company_id == self.company_id)\n"
        "third = select(Item).filter_by(company_id=company_id)\n"
    )
    found = violations(_tree(tmp_path, source))
    assert [line.split(": ")[0] for line in found] == [
        "services/shop/repository.py:1",
        "services/shop/repository.py:2",
        "services/shop/repository.py:3",
    ]


def test_joins_scoped_builders_and_reasoned_exceptions_pass(tmp_path: Path) -> None:
    source = (
        "joined = select(A).join(B, B.company_id == A.company_id).join(C, C.id == B.company_id)\n"
        "scoped = scoped_update(ITEMS).where(ITEMS.c.name == name)\n"
        "# tenancy: a read model keyed by company, written for every company at once\n"
        "cross = select(ITEMS).where(ITEMS.c.company_id == company_id)\n"
        "bare = select(ITEMS).where(ITEMS.c.company_id == company_id)  # tenancy:\n"
    )
    assert [line.split(": ")[0] for line in violations(_tree(tmp_path, source))] == ["services/shop/repository.py:5"]


def test_the_tree_filters_no_company_by_hand() -> None:
    assert violations(ROOT) == []
