"""The battery's index (README.md) names only tests that exist: renaming or deleting a test
that proves an issue item fails here until the index says what proves it now."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = Path(__file__).with_name("README.md")


def test_every_test_the_index_names_exists(battery):
    text = README.read_text()
    named = sorted(set(re.findall(r"(tests/[\w/]+\.py)(?:::(\w+))?", text)))
    battery.tried(f"{len(named)} references in tests/battery/README.md")
    missing = []
    for path, name in named:
        source = ROOT / path
        if not source.exists():
            missing.append(path)
        elif name and not re.search(rf"^\s*(def|class) {name}\b", source.read_text(), re.M):
            missing.append(f"{path}::{name}")
    assert not missing, missing
    battery.held("every file and test the index names exists")
