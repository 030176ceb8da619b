"""The README's walk-through, run as written: a newcomer who pastes it must succeed, so it cannot rot.

The fenced `sh` blocks of its "First steps" section run in bash in a fresh folder whose
`.venv` is this interpreter's, on a free port; the fake and the hub it starts in the
background are stopped by the job ids bash gave them when the script ends.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
SECTION = "First steps"
PREAMBLE = "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null; wait' EXIT\n"
TIMEOUT_S = 240


def walk_through() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"\n## {SECTION}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, flags=re.S | re.M)
    assert blocks, f"no ```sh block in the README's {SECTION!r} section"
    return "\n".join(blocks)


def test_the_walk_through_is_pasteable_as_written() -> None:
    script = walk_through()
    assert "<" not in script.replace('< "$FAKE"', ""), "a <placeholder> cannot be pasted"
    assert not re.search(r"\b(sync|connection_id\W+) ?1\b", script), "ids come from earlier steps"
    assert ".venv/bin/journeyhub connection list" in script
    assert re.search(r"\.venv/bin/journeyhub connection add \w+ --help", script)


def test_the_walk_through_runs_and_ends_showing_the_synced_events(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "journeyhub").exists(), "the journeyhub command is not installed beside this python"
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "bin").symlink_to(bin_dir)
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JOURNEYHUB_", "DATABASE_URL", "REDIS_URL"))
        },
        "PORT": str(free_port()),
    }
    process = subprocess.Popen(
        ["bash", "-c", PREAMBLE + walk_through()],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so a hung run can be stopped with everything it started
    )
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"the walk-through did not finish in {TIMEOUT_S} s\n{stdout}\n{stderr}"
        ) from None
    assert process.returncode == 0, f"{stdout}\n{stderr}"
    assert "access_token (text, required, secret)" in stdout  # connection add hubspot --help
    assert re.search(r"^1 +hubspot +crm +ok$", stdout, flags=re.M)  # connection list
    sync_line, last_output = stdout.split('{"run_id": ', 1)[1].split("\n", 1)
    synced = json.loads('{"run_id": ' + sync_line)
    assert (synced["status"], synced["entered"]) == ("succeeded", 50)
    events = json.loads(last_output)
    assert [event["name"] for event in events["items"]] == ["cohort_entered"] * 3
    assert (tmp_path / "instance" / "journeyhub.db").exists(), "the README's data went somewhere else"
