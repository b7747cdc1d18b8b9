"""The Debian packages as IT receives them: what Debian's checker says, what each package holds, and the
agent's package on a machine with nothing but Debian's base system (debootstrap --variant=minbase).

    ./dev test -m packaging        (root: debootstrap, chroot, mount)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, VERSION, ok, run

pytestmark = pytest.mark.packaging

# lintian tags accepted for a vendor bundle under /opt, each with the reason. Any other tag fails the test.
ACCEPTED = {
    # the application is one self-contained bundle in /opt/hangup-coach (FHS: add-on application software)
    "dir-or-file-in-opt": "E",
    # the lead package's numpy and pyqtgraph are frozen as compiled modules: the bundle has no sources, and
    # its folder is root's, so nothing would write them at run time either
    "package-installs-python-bytecode": "E",
    # the interpreter's own extension modules: pyexpat has expat built in when the build's Python is not
    # Debian's (pyenv); they take libc's symbols through the interpreter, not by linking libc
    "embedded-library": "E",
    "library-not-linked-against-libc": "E",
    "shared-library-lacks-prerequisites": "W",   # the same, and ICU's data library (data, no code)
    # numpy's OpenBLAS: a stripped copy no longer loads (see packaging/hangup-coach.spec)
    "unstripped-binary-or-object": "E",
    # binaries built by others (PyInstaller's boot loader, the Qt and Python wheels), not rebuilt here
    "hardening-no-pie": "W",
    "hardening-no-bindnow": "I",
    "hardening-no-fortify-functions": "I",
    "spelling-error-in-binary": "I",
    # the wheels' licence files and READMEs, kept next to the libraries they belong to (*.dist-info)
    "extra-license-file": "I",
    "package-contains-documentation-outside-usr-share-doc": "I",
}
LINTIAN_LINE = re.compile(r"^([EWIPX]): (\S+?)(?: \S+)?: (\S+)")


def debs(built) -> list[Path]:
    return [built["deb"], built["lead"], built["autostart"]]


def test_lintian_finds_nothing_but_the_accepted_tags(built):
    result = run(["lintian", "-I", "--tag-display-limit", "0", *debs(built)], timeout=600)
    tags = {}
    for line in result.stdout.splitlines():
        match = LINTIAN_LINE.match(line)
        if match:
            tags.setdefault(match.group(3), set()).add((match.group(1), match.group(2)))
    assert result.returncode in (0, 2), result.stderr   # 2: tags found (checked below)
    unexpected = {tag: where for tag, where in tags.items()
                  if tag not in ACCEPTED or any(level != ACCEPTED[tag] for level, _ in where)}
    assert not unexpected, "lintian: " + "\n".join(
        line for line in result.stdout.splitlines() if any(f": {tag}" in line for tag in unexpected))
    assert "dir-or-file-in-opt" in tags   # lintian did look inside the packages


def contents(deb: Path) -> list[str]:
    return [line.split(None, 5)[5].lstrip(".") for line in ok(run(["dpkg-deb", "-c", deb])).stdout.splitlines()]


def test_each_package_holds_what_its_users_need(built):
    agent, lead, auto = (contents(d) for d in debs(built))
    lead_only = ("numpy", "pyqtgraph", "QtMultimedia", "libQt6Multimedia", "QtOpenGL.abi3", "libQt6Quick",
                 "libQt6Qml", "libav", "FFmpeg", "plugins/multimedia")
    server_only = ("starlette", "uvicorn", "sqlalchemy", "psycopg", "alembic")
    assert not [p for p in agent if any(part in p for part in lead_only + server_only + ("cryptography",))]
    assert any("/_internal/numpy/" in p for p in lead) and any("/_internal/pyqtgraph/" in p for p in lead)
    assert not {p for p in agent if not p.endswith("/")} & {p for p in lead if not p.endswith("/")}   # none in both
    for files, package in ((agent, "hangup-coach"), (lead, "hangup-coach-lead"), (auto, "hangup-coach-autostart")):
        assert {f"/usr/share/doc/{package}/copyright", f"/usr/share/doc/{package}/changelog.gz"} <= set(files)
    assert "/usr/share/man/man1/hangup-coach.1.gz" in agent
    control = ok(run(["dpkg-deb", "-I", built["autostart"], "conffiles"])).stdout
    assert control.split() == ["/etc/xdg/autostart/hangup-coach.desktop"]   # everything under /etc
    assert not [p for p in agent + lead if p.startswith("/etc/")]
    assert built["deb"].stat().st_size <= 50e6, f"the agent's package is {built['deb'].stat().st_size / 1e6:.1f} MB"
    depends = ok(run(["dpkg-deb", "-f", built["lead"], "Depends"])).stdout
    assert f"hangup-coach (= {VERSION})" in depends


def test_no_binary_names_the_build_machine(built, tmp_path):
    tree = tmp_path / "agent"
    ok(run(["dpkg-deb", "-x", built["deb"], tree]))
    ok(run(["dpkg-deb", "-x", built["lead"], tree]))
    paths = [p for p in tree.rglob("*.so*") if p.is_file() and not p.is_symlink()] + [tree / "opt/hangup-coach/hangup-coach"]
    for path in paths:
        dump = ok(run(["objdump", "-p", path])).stdout
        for runpath in re.findall(r"R(?:UN)?PATH\s+(\S+)", dump):
            assert all(p.startswith("$ORIGIN") for p in runpath.split(":")), f"{path}: {runpath}"
        assert (path.stat().st_mode & 0o777) == (0o755 if path.name == "hangup-coach" else 0o644), path


# ----- the agent's package on a bare Debian ---------------------------------------------------------------
MIRROR = os.environ.get("HANGUP_COACH_DEBIAN_MIRROR", "http://deb.debian.org/debian")


@pytest.fixture(scope="session")
def bare_debian(tmp_path_factory):
    """A Debian bookworm with nothing but the base system (minbase), made once per run: ~1 min."""
    root = tmp_path_factory.mktemp("minbase") / "root"
    ok(run(["debootstrap", "--variant=minbase", "bookworm", root, MIRROR], timeout=900))
    return root


class Chroot:
    def __init__(self, root: Path) -> None:
        self.root, self.mounts = root, []

    def __enter__(self):
        for source in ("/proc", "/dev", "/tmp/.X11-unix"):
            target = self.root / source.lstrip("/")
            target.mkdir(parents=True, exist_ok=True)
            ok(run(["mount", "--bind", source, target]))
            self.mounts.append(target)
        shutil.copy("/etc/resolv.conf", self.root / "etc" / "resolv.conf")
        return self

    def __exit__(self, *exc) -> None:
        for target in reversed(self.mounts):
            run(["umount", "-l", target])

    def run(self, *cmd: str, timeout: float = 600, env: dict | None = None):
        clean = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8",
                 "DEBIAN_FRONTEND": "noninteractive", **(env or {})}
        return subprocess.run(["chroot", str(self.root), *cmd], env=clean, capture_output=True, text=True,
                              timeout=timeout)


@pytest.fixture(scope="session")
def signed_repo(built, tmp_path_factory):
    """packaging/make-apt-repo with a throw-away key standing in for the centre's; and another key."""
    work = tmp_path_factory.mktemp("apt")
    gnupg = work / "gnupg"
    gnupg.mkdir(mode=0o700)
    env = {"GNUPGHOME": str(gnupg)}
    for who in ("it@centre.example", "someone-else@example.org"):
        ok(run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", f"Key <{who}>", "ed25519", "sign", "never"],
               env=env))
    ok(run([ROOT / "packaging" / "make-apt-repo", "--key", "it@centre.example", work / "repo", *debs(built)], env=env))
    ok(run(["gpg", "--batch", "--output", work / "other.gpg", "--export", "someone-else@example.org"], env=env))
    yield {"repo": work / "repo", "other_key": work / "other.gpg"}
    run(["gpgconf", "--kill", "gpg-agent"], env=env)   # gpg started an agent for this home: it must not outlive the tests


def test_the_agent_package_on_a_bare_debian_from_the_signed_repository_shows_the_card(built, bare_debian,
                                                                                      signed_repo):
    """apt installs hangup-coach from the centre's signed repository (refused under another key) on a
    bare Debian; the card shows on an X server, with the lead package absent."""
    if os.geteuid() != 0:
        pytest.fail("debootstrap and chroot need root (CI runs as root)")
    shutil.copytree(signed_repo["repo"], bare_debian / "srv" / "hangup-coach", dirs_exist_ok=True)
    keyring = bare_debian / "usr/share/keyrings/hangup-coach-archive-keyring.gpg"
    (bare_debian / "etc/apt/sources.list.d/hangup-coach.list").write_text(
        "deb [signed-by=/usr/share/keyrings/hangup-coach-archive-keyring.gpg] file:///srv/hangup-coach stable main\n")
    read, write = os.pipe()
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = ":" + f.readline().strip()
    try:
        with Chroot(bare_debian) as chroot:
            shutil.copy(signed_repo["other_key"], keyring)   # a repository signed by someone else: refused
            refused = chroot.run("apt-get", "update")
            assert refused.returncode != 0 and "NO_PUBKEY" in refused.stdout + refused.stderr
            assert chroot.run("apt-get", "install", "--simulate", "hangup-coach").returncode != 0
            shutil.copy(signed_repo["repo"] / "hangup-coach-archive-keyring.gpg", keyring)   # the centre's key
            ok(chroot.run("apt-get", "update"))
            # apt brings what the package depends on (Qt's X, GL and font libraries), nothing else
            ok(chroot.run("apt-get", "install", "-y", "--no-install-recommends", "hangup-coach"))
            assert "ok installed" not in chroot.run("dpkg-query", "-W", "-f=${Status}", "hangup-coach-lead").stdout
            assert not (bare_debian / "opt/hangup-coach/_internal/numpy").exists()
            assert ok(chroot.run("hangup-coach", "--version")).stdout.strip() == f"hangup-coach {VERSION}"
            env = {"DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "HANGUP_COACH_HOME": "/tmp/agent"}
            shown = ok(chroot.run("hangup-coach", "--smoke", env=env))   # the X server's card, through xcb
            assert "card shown at" in shown.stdout
            assert (bare_debian / "tmp/agent/data/calls.db").read_bytes().startswith(b"SQLite format 3")
            refused = chroot.run("hangup-coach", "dashboard", env=env)
            assert refused.returncode == 2 and "hangup-coach-lead" in refused.stderr
    finally:
        xvfb.terminate()
        xvfb.wait(timeout=30)
