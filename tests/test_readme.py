from tests.conftest import ROOT


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    command = ci[-1]
    assert command in readme, f"README.md must show the command CI runs: {command}"
    assert "streamlit run streamlit_app.py" in readme.split("## Layout")[0]
