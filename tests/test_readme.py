import re

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


def test_readme_states_the_offline_mnist_subset_as_the_loader_splits_it():
    from explorer import load_dataset

    readme = " ".join((ROOT / "README.md").read_text().split())  # line breaks do not matter
    train, test = (len(load_dataset("mnist_subset", split=s).x) for s in ("train", "test"))
    assert (train, test) == (4_000, 1_000)
    assert f"{train + test:,} real 28x28 MNIST digits, split once (seeded) into {train:,} training and {test:,} test" \
        in readme
