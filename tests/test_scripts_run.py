"""`scripts/run` says what to do next, then runs the demo and serves its UI: the newcomer is never
left at a silent prompt.

The script runs as written, from a copy of the repository's `scripts/` whose `setup-python`
does nothing (this interpreter's environment is already installed) beside a `.venv` that is
this interpreter's.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent


def test_run_prints_the_next_steps_then_runs_the_demo_and_serves_until_stopped(tmp_path: Path) -> None:
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "run", tmp_path / "scripts" / "run")
    setup = tmp_path / "scripts" / "setup-python"
    setup.write_text("#!/usr/bin/env bash\n")
    setup.chmod(0o755)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").symlink_to(Path(sys.executable).parent)
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
    }
    process = subprocess.Popen(
        [str(tmp_path / "scripts" / "run"), "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        printed = []
        while not (line := process.stdout.readline()).startswith("journeyhub demo on"):
            assert line, f"run ended early: {''.join(printed)}"
            printed.append(line)
        banner = "".join(printed)
        address = f"http://127.0.0.1:{port}"
        assert line.startswith(f"journeyhub demo on {address}:")
        assert f"journeyhub demo is starting on {address}" in banner
        assert "TOKEN=$(.venv/bin/journeyhub token create --name me)" in banner
        assert ".venv/bin/journeyhub connection add --help" in banner
        assert f'curl -H "Authorization: Bearer $TOKEN" {address}/api/v1/connections' in banner
        assert f"{address}/api/v1/openapi.json" in banner and f"{address}/\n" in banner
        assert 'README.md, "First steps"' in banner
        assert "An empty hub instead of the demo: .venv/bin/journeyhub serve" in banner
        demo = []
        while not (line := process.stdout.readline()).startswith("The journey:"):
            assert line, f"the demo ended early: {''.join(demo)}"
            demo.append(line)
        assert any(d.startswith(f"The UI: {address}/admin/  (login ") for d in demo), demo
        process.send_signal(signal.SIGTERM)  # the script exec'd the demo: this is its server's own stop
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        process.communicate()
