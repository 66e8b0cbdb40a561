"""The ``chat`` scenario: a patron's message to a desk, and a reply back, through a real Prosody.

``askdesk serve`` holds the chat connection on a temp store, as a library's
always-on server would; the bench is a second askdesk on the same store,
which looks for changes every ``refresh_seconds`` exactly as an open desk
does, and answers from there, so every reply goes through the holder's
outbox. A slixmpp patron writes and reads on a real Prosody on loopback.

- ``chat_to_desk``: the patron sends → the message is on the bench's desk
  (which looks every 0.5 s, at a random phase, as a desk's timer would).
- ``reply_to_patron``: staff queue the reply (at a random moment) → the
  patron's client has it; the holder's loop sends every 0.5 s.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

ROUNDS = 40
WAIT_S = 20.0


def missing() -> str | None:
    """Why the scenario cannot run here, or None."""
    for tool in ("prosody", "prosodyctl", "openssl"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install prosody openssl)"
    return None


def _serve(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "askdesk", "--config", str(config), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + WAIT_S
    for line in process.stdout:
        if " chat connected" in line:
            return process
        if time.monotonic() > deadline:
            break
    process.kill()
    raise RuntimeError("askdesk serve did not connect to the chat server")


def measure(rounds: int = ROUNDS) -> dict[str, Any]:
    from askdesk.clock import SystemClock
    from askdesk.desk import Desk
    from askdesk.desk.outbox import Outbox
    from askdesk.store import TinyDBStore
    from tests.xmpp.serving import write_config
    from tests.xmpp_server import PASSWORD, Patron, Prosody

    folder = Path(tempfile.mkdtemp(prefix="askdesk-bench-chat-"))
    prosody = Prosody(folder / "prosody")
    for user in ("desk", "ada"):
        prosody.register(user)
    prosody.start()
    store_path = folder / "desk.json"
    config = write_config(folder, prosody, store_path)
    env = {**os.environ, "ASKDESK_XMPP_PASSWORD": PASSWORD}
    server = _serve(config, env)
    patron = Patron(prosody, "ada@library.test").connect()
    refresh = 0.5  # an open desk's default refresh_seconds
    desk = Desk(TinyDBStore(store_path), "bench", SystemClock())
    outbox = Outbox(desk, {})
    to_desk: list[float] = []
    to_patron: list[float] = []
    try:
        seen_version = desk.version()
        for n in range(rounds):
            text = f"Round {n}: is the reading room open?"
            # An open desk looks at the store every ``refresh`` seconds, at a moment
            # that has nothing to do with when the patron writes: a random phase.
            phase = random.uniform(0, refresh)
            sent = time.monotonic()
            patron.say(text)
            key = None
            while key is None:
                if time.monotonic() - sent > WAIT_S:
                    raise RuntimeError(f"round {n}: the message never reached the desk")
                time.sleep(refresh - (time.monotonic() - sent - phase) % refresh)
                version = desk.version()
                if version == seen_version:
                    continue
                seen_version = version
                key = next((c.key for c in desk.live() if c.latest.text == text), None)
            to_desk.append(time.monotonic() - sent)
            # Staff answer at no particular moment of the holder's outbox loop.
            time.sleep(random.uniform(0, refresh))
            queued = time.monotonic()
            outbox.queue(key, f"Yes, until 8 ({n}).")
            if len(patron.wait_for(n + 1, timeout=WAIT_S)) < n + 1:
                raise RuntimeError(f"round {n}: the reply never reached the patron")
            to_patron.append(time.monotonic() - queued)
    finally:
        patron.close()
        server.terminate()
        server.wait(timeout=WAIT_S)
        prosody.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return {"chat_to_desk_s": to_desk, "reply_to_patron_s": to_patron}
