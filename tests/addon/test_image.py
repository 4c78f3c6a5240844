"""The app's image, checked without Docker (this machine has the client but no engine).

The Supervisor builds ``addon/`` alone as the build context (supervisor/apps/build.py:
210-299: ``docker buildx build .`` in the app's folder), so the Dockerfile may copy
nothing from outside it and installs the project from GitHub's archive of the release
tag. That archive is ``git archive`` of the tag; the last test builds the wheel from one
made here, as pip does in the image.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from .app import APP, ROOT, S6, SCRIPT_TIMEOUT, app_config, load_yaml, require_tools

BASE_IMAGE = re.compile(
    r"^ghcr\.io/home-assistant/base-debian:(?P<release>[a-z]+)-\d{4}\.\d{2}\.\d+$"
)


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined: list[tuple[str, str]] = []
    pending = ""
    for line in dockerfile.read_text("utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        pending += " " + stripped.removesuffix("\\").strip()
        if stripped.endswith("\\"):
            continue
        keyword, _, arguments = pending.strip().partition(" ")
        joined.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "a continuation line runs off the end of the Dockerfile"
    return joined


def build_args(steps: list[tuple[str, str]]) -> dict[str, str]:
    return dict(arguments.split("=", 1) for keyword, arguments in steps if keyword == "ARG")


STEPS = instructions(APP / "Dockerfile")
ARGS = build_args(STEPS)


def test_the_base_is_home_assistants_debian_image_pinned() -> None:
    # A multi-arch image (no {arch} prefix) with s6-overlay and bashio, pinned to a
    # release. Not BUILD_FROM: older Supervisors passed their own Alpine BUILD_FROM.
    assert STEPS[0] == ("ARG", f"BASE_IMAGE={ARGS['BASE_IMAGE']}")
    assert STEPS[1] == ("FROM", "${BASE_IMAGE}")
    assert [step for step in STEPS if step[0] == "FROM"] == [STEPS[1]]
    match = BASE_IMAGE.match(ARGS["BASE_IMAGE"])
    assert match is not None, ARGS["BASE_IMAGE"]
    assert match.group("release") == "trixie"  # Python 3.13, the project's floor
    assert "BUILD_FROM" not in ARGS


def test_it_installs_the_release_tag_of_this_repository() -> None:
    url = load_yaml(ROOT / "repository.yaml")["url"]
    assert ARGS["ARABIC_TTS_VERSION"] == app_config()["version"]
    assert ARGS["ARABIC_TTS_SOURCE"] == (f"{url}/archive/refs/tags/v${{ARABIC_TTS_VERSION}}.tar.gz")
    # The source is fetched by the Dockerfile, so it is a Dockerfile ARG, not build.yaml.
    run = " ".join(arguments for keyword, arguments in STEPS if keyword == "RUN")
    assert re.search(r'"wyoming-arabic-tts\[[a-z,]+\] @ \$\{ARABIC_TTS_SOURCE\}"', run)


def test_it_has_the_extras_and_packages_the_projects_image_has() -> None:
    # The project's own Dockerfile is the reference for what the server needs at run
    # time (extras, espeak-ng); zeroconf is left out: the Supervisor announces the app.
    root_steps = instructions(ROOT / "Dockerfile")
    root_run = " ".join(arguments for keyword, arguments in root_steps if keyword == "RUN")
    root_extras = re.search(r'pip install "\.\[(?P<extras>[^\]]+)\]"', root_run)
    assert root_extras is not None
    app_run = " ".join(arguments for keyword, arguments in STEPS if keyword == "RUN")
    app_extras = re.search(r"wyoming-arabic-tts\[(?P<extras>[^\]]+)\]", app_run)
    assert app_extras is not None
    # The Piper engine's branch adds the piper extra to both.
    assert app_extras.group("extras") == root_extras.group("extras")
    assert "piper" in app_extras.group("extras").split(",")
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"][
        "optional-dependencies"
    ]
    assert set(app_extras.group("extras").split(",")) <= set(extras)
    packages = re.search(
        r"apt-get install -y --no-install-recommends (?P<names>[a-z0-9. -]+?) &&", app_run
    )
    assert packages is not None
    assert set(packages.group("names").split()) == {"espeak-ng", "python3", "python3-venv"}
    assert "espeak-ng" in root_run


def test_it_copies_only_from_its_own_folder() -> None:
    copies = [arguments.split() for keyword, arguments in STEPS if keyword in ("COPY", "ADD")]
    assert copies == [["rootfs", "/"]]
    for *sources, _target in copies:
        for source in sources:
            assert (APP / source).resolve().is_relative_to(APP), source
            assert (APP / source).exists(), source


def test_the_health_check_and_the_server_use_the_same_port() -> None:
    health = next(arguments for keyword, arguments in STEPS if keyword == "HEALTHCHECK")
    assert '"wyoming_server.health_check", "--uri", "tcp://127.0.0.1:10200"' in health
    assert "--start-period=10m" in health  # the first start downloads a voice
    run_script = (S6 / "arabic_tts" / "run").read_text("utf-8")
    assert "readonly URI=tcp://0.0.0.0:10200" in run_script
    assert list(app_config()["ports"]) == ["10200/tcp"]


def test_the_s6_services_are_complete() -> None:
    # s6-overlay v3 (init: false): a longrun for the server, a oneshot for discovery
    # that waits for it, both in the user bundle.
    assert (S6 / "arabic_tts" / "type").read_text("utf-8").strip() == "longrun"
    assert (S6 / "discovery" / "type").read_text("utf-8").strip() == "oneshot"
    assert (S6 / "discovery" / "up").read_text("utf-8").strip() == (
        "/etc/s6-overlay/s6-rc.d/discovery/run"
    )
    assert sorted(p.name for p in (S6 / "user" / "contents.d").iterdir()) == [
        "arabic_tts",
        "discovery",
    ]
    assert [p.name for p in (S6 / "arabic_tts" / "dependencies.d").iterdir()] == ["base"]
    assert [p.name for p in (S6 / "discovery" / "dependencies.d").iterdir()] == ["arabic_tts"]


def test_the_scripts_are_executable_in_git_and_parse() -> None:
    require_tools("bash", "git")
    scripts = ["arabic_tts/run", "arabic_tts/finish", "discovery/run"]
    staged = subprocess.run(
        ["git", "ls-files", "-s", "--", *(str(S6 / script) for script in scripts)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=SCRIPT_TIMEOUT,
    ).stdout.splitlines()
    modes = {line.split("\t")[1]: line.split()[0] for line in staged}
    for script in scripts:
        path = str((S6 / script).relative_to(ROOT))
        assert modes.get(path) == "100755", f"{path} is not committed as executable"
        syntax = subprocess.run(
            ["bash", "-n", str(S6 / script)], capture_output=True, text=True, check=False
        )
        assert syntax.returncode == 0, syntax.stderr


@pytest.mark.usefixtures("socket_enabled")
def test_the_release_archive_builds_the_server(tmp_path: Path) -> None:
    # pip in the image gets GitHub's archive of the tag: `git archive` of it. Built here
    # from HEAD, without build isolation (no network; setuptools from the test extra).
    require_tools("git")
    archive = tmp_path / "v0.tar.gz"
    subprocess.run(
        [
            "git",
            "archive",
            "--format=tar.gz",
            "--prefix=wyoming-arabic-tts-0/",
            "-o",
            str(archive),
            "HEAD",
        ],
        cwd=ROOT,
        check=True,
        timeout=SCRIPT_TIMEOUT,
    )
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(tmp_path / "wheels"),
            str(archive),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=SCRIPT_TIMEOUT * 5,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("wyoming_arabic_tts-*.whl")
    with zipfile.ZipFile(wheel) as content:
        names = set(content.namelist())
        entry_points = next(name for name in names if name.endswith("entry_points.txt"))
        scripts = content.read(entry_points).decode()
    assert {"wyoming_server/__main__.py", "wyoming_server/health_check.py"} <= names
    assert "arabic_tts_core/hamsa.py" in names
    assert "wyoming-arabic-tts = wyoming_server.__main__:run" in scripts
