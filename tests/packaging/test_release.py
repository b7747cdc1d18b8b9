"""Fit for release: one version, a licence, the right kind of entry point for each command."""

import subprocess
import sys
import tomllib
from importlib.metadata import distribution
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_is_pyprojects_and_printed_by_the_command():
    result = subprocess.run([sys.executable, "-m", "hangup_coach", "--version"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"hangup-coach {PYPROJECT['project']['version']}"
    source = (ROOT / "desktop" / "hangup_coach" / "__init__.py").read_text(encoding="utf-8")
    assert PYPROJECT["project"]["version"] not in source   # one place only


def test_the_card_is_a_gui_script_and_the_tools_a_console_script():
    points = {ep.name: ep for ep in distribution("hangup-coach").entry_points}
    assert points["hangup-coach"].group == "gui_scripts"
    assert points["hangup-coach-cli"].group == "console_scripts"
    assert points["hangup-coach"].value == points["hangup-coach-cli"].value == "hangup_coach.__main__:main"


def test_mit_licence_and_a_build_backend_that_understands_it():
    assert PYPROJECT["project"]["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    setuptools = next(r for r in PYPROJECT["build-system"]["requires"] if r.startswith("setuptools"))
    assert setuptools.replace(" ", "") == "setuptools>=77"   # PEP 639 `license = "MIT"`


def test_desktop_entries_are_valid():
    for entry in (ROOT / "packaging" / "linux").glob("*.desktop"):
        result = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
        assert result.returncode == 0 and not result.stdout.strip(), f"{entry.name}: {result.stdout}"


def test_windows_installer_script_refers_to_files_that_exist():
    # It cannot be compiled here (no Inno Setup on Linux): at least every file it takes from the
    # repository is there, and it installs the executables the spec builds.
    iss_dir = ROOT / "packaging" / "windows"
    iss = (iss_dir / "hangup-coach.iss").read_text(encoding="utf-8")
    for ref in ("..\\..\\LICENSE", "..\\settings.ini.example"):
        assert ref in iss and (iss_dir / ref.replace("\\", "/")).is_file()
    spec = (ROOT / "packaging" / "hangup-coach.spec").read_text(encoding="utf-8")
    assert '"hangup-coach-cli", console=True' in spec and "{app}\\hangup-coach.exe" in iss


def test_windows_installer_speaks_chinese_and_english_and_the_workflow_checks_every_exit_code():
    # Read, not run (no Windows here): every message the installer shows exists in both languages, the
    # signing is there (and optional), and no program's exit code in the workflow goes unchecked.
    iss = (ROOT / "packaging" / "windows" / "hangup-coach.iss").read_text(encoding="utf-8-sig")
    assert 'Name: "chinesesimplified"' in iss and 'Name: "english"' in iss
    messages = [line.split("=")[0] for line in iss.splitlines() if line.startswith(("chinesesimplified.", "english."))]
    names = {m.split(".", 1)[1] for m in messages}
    assert names and all(f"chinesesimplified.{n}" in messages and f"english.{n}" in messages for n in names)
    assert "#ifdef Sign\nSignTool=centre" in iss
    workflow = (ROOT / ".github" / "workflows" / "windows-installer.yml").read_text(encoding="utf-8")
    assert "PSNativeCommandUseErrorActionPreference = $true" in workflow
    lines = workflow.splitlines()
    for i, line in enumerate(lines):
        if "hangup-coach-cli.exe" in line and "--version" in line:
            assert "$LASTEXITCODE" in lines[i + 1], f"unchecked exit code after: {line.strip()}"
