import re

import pytest

from tests.conftest import ROOT


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    command = ci[-1]
    assert command in readme, f"README.md must show the command CI runs: {command}"
    assert "streamlit run streamlit_app.py" in readme.split("## Layout")[0]


def test_readme_links_resolve_and_its_examples_need_no_folder_a_user_lacks():
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(((?:docs|assets)/[^)#\s]+)\)", readme)
    assert {"docs/results.md", "docs/benchmarks.md", "docs/screenshot-train.png"} <= set(links)
    for link in links:
        assert (ROOT / link).exists(), f"README.md links {link}, which does not exist"
    assert (ROOT / "docs" / "screenshot-train.png").stat().st_size < 300_000
    assert "--data-root ../shared" not in readme  # the examples use ~/data; ./data is the default


@pytest.mark.slow
def test_readme_states_the_offline_mnist_subset_as_the_loader_splits_it():
    from explorer import load_dataset

    readme = " ".join((ROOT / "README.md").read_text().split())  # line breaks do not matter
    train, test = (len(load_dataset("mnist_subset", split=s).x) for s in ("train", "test"))
    assert (train, test) == (4_000, 1_000)
    assert f"{train + test:,} real 28x28 MNIST digits, split once (seeded) into {train:,} training and {test:,} test" \
        in readme


def _layout_paths(readme: str) -> set[str]:
    """The paths README's Layout block names: a tree drawn by indentation, two spaces a level, a folder ending
    in '/', each entry followed by its one-line description."""
    block = readme.split("## Layout", 1)[1].split("```", 2)[1]
    paths, stack = set(), []
    for line in block.splitlines():
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        name = line.split()[0]
        if depth > len(stack):  # a description's continuation line, deeper than any folder open
            continue
        stack = stack[:depth]
        path = "".join(stack) + name
        paths.add(path.rstrip("/"))
        if name.endswith("/"):
            stack.append(name)
    return paths


def test_the_readme_layout_lists_every_module():
    listed = _layout_paths((ROOT / "README.md").read_text())
    modules = [p for folder in ("explorer", "app", "pages", "scripts") for p in (ROOT / folder).rglob("*.py")
               if p.name not in ("__init__.py", "__main__.py") and "__pycache__" not in p.parts]
    modules.append(ROOT / "streamlit_app.py")
    missing = sorted(str(p.relative_to(ROOT)) for p in modules if str(p.relative_to(ROOT)) not in listed)
    assert not missing, f"README.md's Layout leaves out {missing}: add one line for each"
    stale = sorted(p for p in listed if p.endswith(".py") and not (ROOT / p).exists())
    assert not stale, f"README.md's Layout names modules that do not exist: {stale}"
