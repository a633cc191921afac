"""README.md is a contract: its commands are the ones CI and users run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shell_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [line.strip() for block in re.findall(r"```sh\n(.*?)```", text, re.S)
            for line in block.splitlines() if line.strip()]


def test_ci_runs_exactly_the_readme_test_command():
    test_command = next(line for line in shell_blocks() if "pytest" in line)
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines


def test_the_readme_setup_command_installs_the_test_extras_it_relies_on():
    setup = shell_blocks()[0]
    assert "pip install -e '.[test]'" in setup and "netspec train specs/cnn.yaml" in setup
