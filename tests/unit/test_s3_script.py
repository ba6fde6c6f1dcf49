"""`infra/services/s3.sh install` takes only the pinned S3Proxy jar and a Java it runs on. Run with
stand-ins for java and mvn first on PATH, so nothing is fetched or started and the shared server is
not touched."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "infra/services/s3.sh"


def run(tmp_path: Path, *, java: str, jar_bytes: bytes, command: str = "install") -> subprocess.CompletedProcess[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    bash = shutil.which("bash")
    (bin_dir / "java").write_text(f"#!{bash}\necho '{java}' >&2\n", encoding="utf-8")
    payload = tmp_path / "payload.jar"
    payload.write_bytes(jar_bytes)
    # The stand-in Maven "fetches" the payload into -DoutputDirectory.
    (bin_dir / "mvn").write_text(
        f'#!{bash}\nfor a in "$@"; do case "$a" in -DoutputDirectory=*) out="${{a#-DoutputDirectory=}}";; esac; done\n'
        f'cp {payload} "$out/s3proxy-4.1.0-jar-with-dependencies.jar"\n',
        encoding="utf-8",
    )
    for tool in ("java", "mvn"):
        (bin_dir / tool).chmod(0o755)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOME": str(tmp_path),
        "KENTRA_S3PROXY_CACHE": str(tmp_path / "cache"),
        "KENTRA_S3_PORT": "29999",
        "KENTRA_SERVICES_DIR": str(tmp_path / "services"),
    }
    return subprocess.run(["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, check=False)


def test_a_jar_that_is_not_the_pinned_one_is_refused_and_removed(tmp_path: Path) -> None:
    done = run(tmp_path, java='openjdk version "17.0.15" 2025-04-15', jar_bytes=b"not S3Proxy")
    assert done.returncode != 0
    assert "not the pinned" in done.stderr
    assert not (tmp_path / "cache" / "s3proxy-4.1.0-jar-with-dependencies.jar").exists()


def test_a_java_older_than_17_is_refused_naming_what_to_install(tmp_path: Path) -> None:
    done = run(tmp_path, java='openjdk version "11.0.22" 2024-01-16', jar_bytes=b"")
    assert done.returncode != 0
    assert "needs Java 17 or newer" in done.stderr
    assert "default-jre-headless" in done.stderr


def test_env_names_the_test_servers_endpoint_and_credentials(tmp_path: Path) -> None:
    done = run(tmp_path, java="", jar_bytes=b"", command="env")
    assert done.returncode == 0
    assert "export KENTRA_TEST_S3_ENDPOINT_URL=http://127.0.0.1:29999" in done.stdout
    assert "KENTRA_TEST_S3_ACCESS_KEY_ID=" in done.stdout
    assert "KENTRA_TEST_S3_SECRET_ACCESS_KEY=" in done.stdout


def test_status_of_a_server_never_started_is_not_running(tmp_path: Path) -> None:
    assert run(tmp_path, java="", jar_bytes=b"", command="status").returncode != 0
