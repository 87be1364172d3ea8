"""The README stays true: the two commands first, every environment variable documented."""

import re
from pathlib import Path

from tests.deploy.environment import environment_variables

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_documents_every_environment_variable():
    text = README.read_text()

    missing = sorted(name for name in environment_variables() if f"`{name}`" not in text)
    assert not missing, f"README.md does not document: {missing}"


def test_readme_documents_no_variable_the_code_does_not_read():
    text = README.read_text()
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)`", text, flags=re.MULTILINE))

    assert documented
    assert documented - environment_variables() == set()


def test_readme_shows_the_two_commands_before_anything_else():
    text = README.read_text()

    run, test = text.find("make run"), text.find("make test")
    assert 0 <= run < test
    assert test < text.find("make up")
