"""The README's first command: the demo on the embedded default, stopped with Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bureau.demo import expected_pairs


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_demo_shows_every_suggestion_and_ctrl_c_stops_every_child(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUREAU_")}
    env |= {"BUREAU_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
    if "BUREAU_CACHE_DIR" in os.environ:
        env["BUREAU_CACHE_DIR"] = os.environ["BUREAU_CACHE_DIR"]
    out_path = tmp_path / "demo.out"
    with out_path.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "bureau", "demo"], stdout=out, stderr=subprocess.STDOUT, env=env
        )
        try:
            deadline = time.monotonic() + 600  # a cold first run builds Kafka and FerretDB
            while "press Ctrl-C" not in out_path.read_text():
                assert demo.poll() is None, out_path.read_text()
                assert time.monotonic() < deadline, out_path.read_text()
                time.sleep(0.2)  # polling the output file, not synchronising
            children = _children(demo.pid)
            assert len(children) >= 2, "Kafka and FerretDB run as child processes"
            demo.send_signal(signal.SIGINT)
            assert demo.wait(timeout=60) == 0
        finally:
            if demo.poll() is None:
                demo.kill()
    text = out_path.read_text()
    assert "Demo complete: every expected suggestion and outcome arrived." in text
    for offer_id, student_id in expected_pairs():
        assert any(offer_id in line and student_id in line for line in text.splitlines())
    assert not [pid for pid in children if _alive(pid)], "a child outlived Ctrl-C"
