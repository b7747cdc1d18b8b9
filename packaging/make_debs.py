"""The Debian packages, from the frozen bundle packaging/build made, split by who uses them.

    python packaging/make_debs.py BUNDLE VERSION OUT_DIR WORK_DIR

- hangup-coach: the agent's card, every command, the menu entry (/opt/hangup-coach, /usr/bin).
- hangup-coach-lead: what only a team lead or QA reviewer uses, added into the same bundle folder:
  the dashboard's charts (pyqtgraph, numpy and its OpenBLAS) and recordings (Qt Multimedia).
- hangup-coach-autostart: the card at every desktop login (/etc/xdg/autostart, a conffile).

Every package: a changelog and a copyright file, files 0644 and programs 0755, no RUNPATH that
names the build machine, and Depends worked out from what its binaries link (the shared libraries
Debian provides are Debian's, see the spec), so apt installs them on a bare Debian.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINUX = ROOT / "packaging" / "linux"
MAINTAINER = "Hangup Coach maintainers <hangup-coach@example.org>"
# Paths inside the bundle that only the lead/QA package carries (relative to the bundle folder).
LEAD_ONLY = ("_internal/numpy", "_internal/numpy.libs", "_internal/numpy-", "_internal/pyqtgraph",
             "_internal/pyqtgraph-", "_internal/PySide6/QtOpenGL.", "_internal/PySide6/QtOpenGLWidgets.",
             "_internal/PySide6/Qt/lib/libQt6OpenGLWidgets.", "_internal/PySide6/QtMultimedia",
             "_internal/PySide6/Qt/lib/libQt6Multimedia", "_internal/PySide6/Qt/plugins/multimedia",
             "_internal/PySide6/Qt/lib/libav", "_internal/PySide6/Qt/lib/libsw",
             "_internal/PySide6/Qt/lib/libQt6FFmpegStub", "_internal/PySide6/Qt/lib/libQt6Concurrent",
             # Qt Multimedia's FFmpeg plugin links Qt Quick and QML
             "_internal/PySide6/Qt/lib/libQt6Quick", "_internal/PySide6/Qt/lib/libQt6Qml")


def lead_only(relative: str) -> bool:
    return relative.startswith(LEAD_ONLY)


def elf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def objdump(path: Path) -> str:
    """`objdump -p` (dynamic section and symbol versions), once per file and content."""
    key = (path, path.stat().st_mtime_ns)
    if key not in _OBJDUMP:
        _OBJDUMP[key] = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True).stdout
    return _OBJDUMP[key]


_OBJDUMP: dict = {}


def fix_files(tree: Path) -> None:
    """Modes Debian expects (shared libraries are not programs) and no RUNPATH naming the build
    machine (a pyenv's /root/.pyenv/...): $ORIGIN-relative ones stay, the others go (patchelf)."""
    for path in tree.rglob("*"):
        if path.is_symlink():
            continue
        if path.is_dir():
            path.chmod(0o755)
            continue
        program = elf(path) and ".so" not in path.name or path.suffix in ("", ".sh") and os.access(path, os.X_OK)
        path.chmod(0o755 if program else 0o644)
        if elf(path):
            runpath = re.search(r"(?:RUNPATH|RPATH)\s+(\S+)", objdump(path))
            if runpath and any(not p.startswith("$ORIGIN") for p in runpath.group(1).split(":")):
                kept = ":".join(p for p in runpath.group(1).split(":") if p.startswith("$ORIGIN"))
                args = ["--set-rpath", kept] if kept else ["--remove-rpath"]
                subprocess.run(["patchelf", *args, str(path)], check=True)


def needed(tree: Path) -> tuple[set[str], set[str], str]:
    """The sonames the tree's binaries load, those it provides itself, the newest glibc version needed."""
    wanted, provided, glibc = set(), set(), "2.17"
    for path in tree.rglob("*"):
        if path.is_file() and not path.is_symlink() and elf(path):
            provided.add(path.name)
            dump = objdump(path)
            wanted.update(re.findall(r"NEEDED\s+(\S+)", dump))
            for version in re.findall(r"GLIBC_([0-9.]+)", dump):
                if tuple(map(int, version.split("."))) > tuple(map(int, glibc.split("."))):
                    glibc = version
    return wanted, provided, glibc


_LDCONFIG: dict[str, str] = {}


def system_library(soname: str) -> str | None:
    """Where the dynamic loader finds `soname` on this machine (`ldconfig -p`, the first match)."""
    if not _LDCONFIG:
        for line in subprocess.run(["ldconfig", "-p"], capture_output=True, text=True).stdout.splitlines()[1:]:
            name, _, path = line.strip().partition(" => ")
            _LDCONFIG.setdefault(name.split(" ")[0], path)
    if soname in _LDCONFIG:
        return _LDCONFIG[soname]
    for folder in sorted({os.path.dirname(p) for p in _LDCONFIG.values()}):   # e.g. libbz2.so.1, a link
        if os.path.exists(os.path.join(folder, soname)):                     # beside the soname libbz2.so.1.0
            return os.path.join(folder, soname)
    return None


def owner(path: str) -> str | None:
    real = os.path.realpath(path)
    for candidate in (path, real, real.removeprefix("/usr"), "/usr" + real.removeprefix("/usr")):
        result = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if result.returncode == 0:
            return result.stdout.split(":")[0].split(",")[0].strip()
    return None


def depends(tree: Path, also_provided: set[str] = frozenset()) -> list[str]:
    """Debian packages for every library the tree loads and neither it nor `also_provided` holds."""
    wanted, provided, glibc = needed(tree)
    packages, missing = {"libc6": f"libc6 (>= {glibc})"}, []
    for soname in sorted(wanted - provided - set(also_provided)):
        found = system_library(soname)
        package = owner(found) if found else None
        if package is None:
            missing.append(soname)
        elif package not in packages:
            packages[package] = package
    if missing:
        sys.exit(f"make_debs: no Debian package provides {', '.join(missing)} (needed by {tree})")
    return sorted(packages.values())


def changelog(version: str) -> bytes:
    """packaging/linux/changelog (Debian's format); its newest entry must be this version."""
    text = (LINUX / "changelog").read_text(encoding="utf-8")
    first = re.match(r"hangup-coach \(([^)]+)\)", text)
    if not first or first.group(1) != version:
        sys.exit(f"make_debs: packaging/linux/changelog's newest entry is not {version}: add one")
    return gzip.compress(text.encode(), compresslevel=9, mtime=0)


def docs(root: Path, package: str, version: str) -> None:
    doc = root / "usr" / "share" / "doc" / package
    doc.mkdir(parents=True, exist_ok=True)
    shutil.copy(LINUX / "copyright", doc / "copyright")
    (doc / "changelog.gz").write_bytes(changelog(version))


def control(root: Path, fields: dict[str, str], description: str) -> None:
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    lines = [f"{k}: {v}" for k, v in fields.items() if v] + [f"Installed-Size: {size}", f"Maintainer: {MAINTAINER}",
                                                               "Section: comm", "Priority: optional",
                                                               "Description: " + description.strip()]
    (root / "DEBIAN").mkdir(exist_ok=True)
    (root / "DEBIAN" / "control").write_text("\n".join(lines) + "\n", encoding="utf-8")


# xz at preset 1: the agent's .deb at about 37 MB in 40 s on a loaded 2-core CI machine, where preset 6
# takes 100 s for 33 MB (HANGUP_COACH_DEB_COMPRESSION=xz:6 for a release where every MB goes to thousands
# of machines). Not zstd: Debian's tools (lintian: malformed-deb-archive) accept gz and xz only.
COMPRESSION = os.environ.get("HANGUP_COACH_DEB_COMPRESSION", "xz:1")


def build_deb(root: Path, out: Path) -> Path:
    sums = [f"{hashlib.md5(p.read_bytes()).hexdigest()}  {p.relative_to(root).as_posix()}"
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink() and "DEBIAN" not in p.parts]
    (root / "DEBIAN" / "md5sums").write_text("\n".join(sums) + "\n", encoding="utf-8")   # for debsums
    for path in (root / "DEBIAN").iterdir():
        path.chmod(0o644)
    kind, _, level = COMPRESSION.partition(":")
    subprocess.run(["dpkg-deb", "--root-owner-group", f"-Z{kind}", f"-z{level or 6}", "--build", str(root), str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return out


def main(bundle: Path, version: str, out_dir: Path, work: Path) -> list[Path]:
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    shutil.rmtree(work, ignore_errors=True)
    agent, lead, auto = work / "hangup-coach", work / "hangup-coach-lead", work / "hangup-coach-autostart"

    # The bundle, split: what only leads use into the lead package's tree, the rest into the agent's.
    for path in sorted(bundle.rglob("*")):
        relative = path.relative_to(bundle).as_posix()
        if path.is_dir() and not path.is_symlink():
            continue
        pointed = path.resolve().relative_to(bundle.resolve()).as_posix() if path.is_symlink() else relative
        target = (lead if lead_only(relative) or lead_only(pointed) else agent) / "opt" / "hangup-coach" / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.is_symlink():
            target.symlink_to(os.readlink(path))
        else:
            shutil.copy2(path, target)
    for tree in (agent, lead):
        fix_files(tree)

    share = agent / "usr" / "share"
    (agent / "usr" / "bin").mkdir(parents=True)
    for command in ("hangup-coach", "hangup-coach-cli"):   # -cli: the name Windows uses for a console
        (agent / "usr" / "bin" / command).symlink_to("/opt/hangup-coach/hangup-coach")
    (share / "applications").mkdir(parents=True)
    shutil.copy(LINUX / "hangup-coach.desktop", share / "applications")
    (share / "icons" / "hicolor" / "scalable" / "apps").mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "icons" / "hangup-coach.svg", share / "icons" / "hicolor" / "scalable" / "apps")
    man = share / "man" / "man1"
    man.mkdir(parents=True)
    (man / "hangup-coach.1.gz").write_bytes(gzip.compress((LINUX / "hangup-coach.1").read_bytes(), 9, mtime=0))
    (man / "hangup-coach-cli.1.gz").symlink_to("hangup-coach.1.gz")
    docs(agent, "hangup-coach", version)
    shutil.copy(ROOT / "packaging" / "settings.ini.example", share / "doc" / "hangup-coach")
    for tree in (agent,):
        fix_files(tree / "usr")
    agent_provided = needed(agent)[1]
    control(agent, {"Package": "hangup-coach", "Version": version, "Architecture": arch,
                    "Depends": ", ".join(depends(agent)),
                    "Recommends": "fonts-wqy-microhei | fonts-noto-cjk",
                    "Suggests": "hangup-coach-lead, hangup-coach-autostart"}, """
call-centre hang-up policy coach card
 An always-on-top card that puts the call centre's hang-up policy on the
 agent's screen: caller class, explanation and warning counts, the 2-second
 wait and the scripted closing line; it records who ended each call in a
 local SQLite file and syncs with the centre's server.
 .
 The application is a self-contained bundle under /opt/hangup-coach. The
 team lead's dashboard and the QA review come with hangup-coach-lead.""")

    docs(lead, "hangup-coach-lead", version)
    fix_files(lead / "usr")
    control(lead, {"Package": "hangup-coach-lead", "Version": version, "Architecture": arch,
                   "Depends": ", ".join([f"hangup-coach (= {version})"] + depends(lead, agent_provided))}, """
Hangup Coach dashboard, charts and QA review for team leads
 Adds to the Hangup Coach bundle what only team leads and QA reviewers
 use: the dashboard's charts (pyqtgraph, numpy) and the playing of call
 recordings in the QA review (Qt Multimedia). Agents do not need it.""")

    autostart = auto / "etc" / "xdg" / "autostart"
    autostart.mkdir(parents=True)
    shutil.copy(LINUX / "hangup-coach-autostart.desktop", autostart / "hangup-coach.desktop")
    docs(auto, "hangup-coach-autostart", version)
    fix_files(auto)
    control(auto, {"Package": "hangup-coach-autostart", "Version": version, "Architecture": "all",
                   "Depends": f"hangup-coach (>= {version})"}, """
start the Hangup Coach card at every desktop login
 Installs an XDG autostart entry for all users of the machine (a conffile:
 an edit by IT is kept on upgrade). An agent can turn it off for
 themselves in the desktop's start-up applications settings.""")
    (auto / "DEBIAN" / "conffiles").write_text("/etc/xdg/autostart/hangup-coach.desktop\n", encoding="utf-8")

    out_dir.mkdir(parents=True, exist_ok=True)
    return [build_deb(agent, out_dir / f"hangup-coach_{version}_{arch}.deb"),
            build_deb(lead, out_dir / f"hangup-coach-lead_{version}_{arch}.deb"),
            build_deb(auto, out_dir / f"hangup-coach-autostart_{version}_all.deb")]


if __name__ == "__main__":
    bundle_dir, version_arg, out_arg, work_arg = sys.argv[1:5]
    for deb in main(Path(bundle_dir), version_arg, Path(out_arg), Path(work_arg)):
        print(f"build: {deb}: {deb.stat().st_size / 2**20:.1f} MiB ({deb.stat().st_size / 1e6:.1f} MB)")
