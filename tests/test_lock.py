"""The lock files and pyproject.toml agree: `make run`, `make test` and the image install
exactly the locked versions, so a range added or changed in pyproject.toml without `make lock`
must turn the suite red instead of silently installing something else."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)")


def pins(lock: Path) -> dict[str, Version]:
    found: dict[str, Version] = {}
    for line in lock.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match.group(1))] = Version(match.group(2))
    return found


def hashed(lock: Path) -> bool:
    """Every pinned requirement is followed by at least one --hash."""
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text())
    return all("--hash=sha256:" in block for block in blocks if PIN.match(block))


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def check(requirements: list[str], locked: dict[str, Version]) -> list[str]:
    problems = []
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name not in locked:
            problems.append(f"{requirement.name} is in pyproject.toml but not in the lock")
        elif not requirement.specifier.contains(locked[name], prereleases=True):
            problems.append(f"{requirement.name}: the lock has {locked[name]}, pyproject.toml "
                            f"asks for {requirement.specifier}")
    return problems


@pytest.mark.parametrize(("lock", "groups"), [
    ("requirements.lock", ["runtime"]),
    ("requirements-dev.lock", ["runtime", "dev"]),
])
def test_the_lock_satisfies_every_range_in_pyproject(lock: str, groups: list[str]) -> None:
    meta = project()
    wanted = list(meta["dependencies"])
    if "dev" in groups:
        wanted += meta["optional-dependencies"]["dev"]
    problems = check(wanted, pins(ROOT / lock))
    assert not problems, "Run `make lock`: " + "; ".join(problems)


def test_both_locks_name_the_same_versions_and_carry_hashes() -> None:
    runtime, dev = pins(ROOT / "requirements.lock"), pins(ROOT / "requirements-dev.lock")
    assert runtime and set(runtime) < set(dev)
    assert {name: dev[name] for name in runtime} == runtime
    assert hashed(ROOT / "requirements.lock") and hashed(ROOT / "requirements-dev.lock")


def test_the_check_notices_a_disagreement() -> None:
    locked = {"django": Version("5.2.19"), "babel": Version("2.19.0")}
    assert check(["Django>=5.2,<5.3", "babel>=2.16,<3"], locked) == []
    assert check(["Django>=6.0"], locked) == [
        "Django: the lock has 5.2.19, pyproject.toml asks for >=6.0"]
    assert check(["segno>=1.6"], locked) == [
        "segno is in pyproject.toml but not in the lock"]
