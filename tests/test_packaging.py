"""pyproject.toml and the requirements files say the same thing: the README installs from requirements*.txt (exact
pins for a fresh machine), `pip install .[dev]` from pyproject.toml (ranges a host such as Colab can satisfy with
its own build of torch). Every package is in both; a pin in requirements.txt lies inside pyproject's range."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]


def _requirements(path: Path) -> dict[str, Requirement]:
    """name -> Requirement for each package line (comments, `-r` includes and `-e .` left out)."""
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            req = Requirement(line)
            out[req.name.lower()] = req
    return out


def _pyproject() -> tuple[dict[str, Requirement], dict[str, Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {Requirement(r).name.lower(): Requirement(r) for r in project["dependencies"]}
    dev = {Requirement(r).name.lower(): Requirement(r) for r in project["optional-dependencies"]["dev"]}
    return runtime, dev


def _agree(files: dict[str, Requirement], toml: dict[str, Requirement], what: str) -> list[str]:
    problems = [f"{name} is in {what} but not in pyproject.toml" for name in files.keys() - toml.keys()]
    problems += [f"{name} is in pyproject.toml but not in {what}" for name in toml.keys() - files.keys()]
    for name in files.keys() & toml.keys():
        pinned, ranged = files[name], toml[name]
        if pinned.extras != ranged.extras:
            problems.append(f"{name}: extras {sorted(pinned.extras)} in {what}, {sorted(ranged.extras)} in pyproject")
        exact = [s.version for s in pinned.specifier if s.operator == "=="]
        if exact:  # a pin: it must be one of the versions pyproject allows
            if not ranged.specifier.contains(exact[0], prereleases=True):
                problems.append(f"{name}=={exact[0]} in {what} is outside pyproject's {ranged.specifier}")
        elif pinned.specifier != ranged.specifier:
            problems.append(f"{name}: {pinned.specifier} in {what}, {ranged.specifier} in pyproject")
    return problems


def test_pyproject_and_the_requirements_files_name_the_same_packages_and_versions():
    runtime, dev = _pyproject()
    problems = _agree(_requirements(ROOT / "requirements.txt"), runtime, "requirements.txt")
    problems += _agree(_requirements(ROOT / "requirements-dev.txt"), dev, "requirements-dev.txt")
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_missing_package_and_a_pin_out_of_range():
    files = {"torch": Requirement("torch==2.14.1"), "ray": Requirement("ray[tune]>=2.50,<3")}
    toml = {"torch": Requirement("torch>=2.4,<2.14")}
    problems = _agree(files, toml, "requirements.txt")
    assert "ray is in requirements.txt but not in pyproject.toml" in problems
    assert "torch==2.14.1 in requirements.txt is outside pyproject's <2.14,>=2.4" in problems
