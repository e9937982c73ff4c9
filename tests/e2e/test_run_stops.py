"""`python main.py run` with no token, as a person starts it, stopped as a person stops it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.instance import ROOT, free_port


def wait_for_line(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while text not in log.read_text("utf-8", errors="replace"):
        assert process.poll() is None, log.read_text("utf-8", errors="replace")
        assert time.monotonic() < deadline, f"no {text!r} in the log"
        time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_the_sandbox_stops_cleanly_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "TELEGRAM_BOT_TOKEN"}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gongbae.sqlite3'}",
        "WEB_PORT": str(port),
        "WEB_HOST": "127.0.0.1",
    }
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 (our own main.py)
            [sys.executable, str(ROOT / "main.py"), "run"],
            env=env,
            stdout=out,
            stderr=out,
            cwd=tmp_path,
        )
    try:
        wait_for_line(log, "gongbae sandbox: open", process)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            persona = client.get("/sandbox/api/personas").json()["personas"][0]
            sent = client.post(
                "/sandbox/api/send", json={"user_id": persona["user_id"], "text": "/start"}
            )
            assert sent.json()["ok"]
            deadline = time.monotonic() + 30
            while True:  # the bot answered: it is polling the sandbox
                messages = client.get(f"/sandbox/api/chat/{persona['user_id']}").json()["messages"]
                if any(message["from"] == "bot" for message in messages):
                    break
                assert time.monotonic() < deadline, "the bot did not answer /start"
        started = time.monotonic()
        process.send_signal(sig)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    output = log.read_text("utf-8", errors="replace")
    assert "Traceback" not in output, output
    assert "timeout graceful shutdown" not in output, output
    # the bot's long poll ends at once: no wait for the web server's grace period (5 s)
    assert time.monotonic() - started < 5, output
