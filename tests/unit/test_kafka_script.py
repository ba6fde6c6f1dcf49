"""`infra/services/kafka.sh check` on a fresh machine: Java and Maven from Debian's packages, Java's version.

Run on a PATH of stand-ins (java, mvn, apt-get, id) so that the install path is tried without
installing anything and without touching the shared broker.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "infra/services/kafka.sh"
JAVA_17 = 'openjdk version "17.0.15" 2025-04-15'
JAVA_8 = 'openjdk version "1.8.0_392"'


class Machine:
    """A PATH holding only what the script needs from the system, and the stand-ins a test puts there."""

    def __init__(self, root: Path, *, uid: int = 0) -> None:
        self.bin = root / "bin"
        self.bin.mkdir()
        self.libs = root / "kafka-libs"
        self.libs.mkdir()
        self.apt_log = root / "apt-get.log"
        for tool in ("bash", "dirname", "sed", "head", "cp"):
            found = shutil.which(tool)
            assert found, tool
            (self.bin / tool).symlink_to(found)
        self.tool("id", f"echo {uid}")
        # What Debian's packages would bring, kept aside until the stand-in apt-get "installs" them.
        self.shelf = root / "debian"
        self.shelf.mkdir()
        self.tool("java", f"echo '{JAVA_17}' >&2", where=self.shelf)
        self.tool("mvn", "true", where=self.shelf)
        self.tool(
            "apt-get",
            f"""echo "$*" >> {self.apt_log}
if [ "$1" = install ]; then
  for package in "$@"; do
    case "$package" in
      default-jre-headless) cp {self.shelf}/java {self.bin}/java ;;
      maven) cp {self.shelf}/mvn {self.bin}/mvn ;;
    esac
  done
fi""",
        )

    def tool(self, name: str, body: str, *, where: Path | None = None) -> None:
        path = (where or self.bin) / name
        path.write_text(f"#!{shutil.which('bash')}\n{body}\n", encoding="utf-8")
        path.chmod(0o755)

    def java(self, version_line: str) -> None:
        self.tool("java", f"echo '{version_line}' >&2")

    def check(self) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": str(self.bin),
            "KENTRA_KAFKA_LIBS": str(self.libs),
            "KENTRA_APT_GET": str(self.bin / "apt-get"),
            "HOME": str(self.bin.parent),
        }
        return subprocess.run(
            [str(self.bin / "bash"), str(SCRIPT), "check"], env=env, capture_output=True, text=True, check=False
        )

    def apt_calls(self) -> list[str]:
        return self.apt_log.read_text(encoding="utf-8").splitlines() if self.apt_log.exists() else []


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def test_with_java_and_maven_there_the_check_installs_nothing_and_says_nothing(machine: Machine) -> None:
    machine.java(JAVA_17)
    machine.tool("mvn", "true")
    result = machine.check()
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert machine.apt_calls() == []


def test_missing_java_and_maven_are_installed_from_debian_once(machine: Machine) -> None:
    first = machine.check()
    assert first.returncode == 0, first.stderr
    assert machine.apt_calls() == ["update -qq", "install -y -qq --no-install-recommends default-jre-headless maven"]
    again = machine.check()
    assert again.returncode == 0, again.stderr
    assert (again.stdout, again.stderr) == ("", "")  # idempotent and quiet once all is there
    assert len(machine.apt_calls()) == 2


def test_maven_is_not_installed_once_the_jars_are_resolved(machine: Machine) -> None:
    machine.java(JAVA_17)
    (machine.libs / ".complete").touch()
    result = machine.check()
    assert result.returncode == 0, result.stderr
    assert machine.apt_calls() == []


@pytest.mark.parametrize("version_line", [JAVA_8, 'openjdk version "10.0.2" 2018-07-17'])
def test_a_java_too_old_for_kafka_is_refused_with_the_version_found(machine: Machine, version_line: str) -> None:
    machine.java(version_line)
    machine.tool("mvn", "true")
    result = machine.check()
    assert result.returncode == 1
    major = "8" if version_line == JAVA_8 else "10"
    assert f"Apache Kafka needs Java 11 or newer; {machine.bin}/java is Java {major}." in result.stderr
    assert "default-jre-headless" in result.stderr


def test_newer_javas_and_early_access_builds_are_accepted(machine: Machine) -> None:
    machine.tool("mvn", "true")
    for version_line in ('openjdk version "21.0.5" 2024-10-15', 'openjdk version "25-ea" 2025-09-16'):
        machine.java(version_line)
        result = machine.check()
        assert result.returncode == 0, (version_line, result.stderr)


def test_without_root_a_missing_java_names_the_debian_package_and_installs_nothing(tmp_path: Path) -> None:
    machine = Machine(tmp_path, uid=1000)
    machine.tool("mvn", "true")
    result = machine.check()
    assert result.returncode == 1
    assert "missing default-jre-headless; install Debian's default-jre-headless" in result.stderr
    assert machine.apt_calls() == []
