"""``askdesk serve`` and several askdesk processes on one store, with a real Prosody."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from askdesk.model import ReplyStatus
from tests.xmpp.chatkit import open_desk
from tests.xmpp.serving import LEASE_SECONDS, Served, askdesk, write_config
from tests.xmpp_server import Patron, Prosody


@pytest.fixture
def config(tmp_path: Path, prosody: Prosody, store_path: Path) -> Path:
    return write_config(tmp_path, prosody, store_path)


@pytest.fixture
def served() -> Iterator[list[Served]]:
    running: list[Served] = []
    yield running
    for process in running:
        process.close()


def test_serve_holds_the_chat_prints_one_short_line_per_event_and_stops_on_sigterm(
    prosody: Prosody, config: Path, store_path: Path, patrons: list[Patron], served: list[Served]
) -> None:
    server = Served(config)
    served.append(server)
    server.wait_for("chat", "lease taken")
    server.wait_for("chat", "connected")
    ada = Patron(prosody, "ada@library.test").connect()
    patrons.append(ada)
    secret = "My card number is 2920 0012 3456 7 and I need the ILL form"
    ada.say(secret)
    line = server.wait_for("chat arrived chat:ada@library.test#")
    words = line.split("ada@library.test: ", 1)[1]
    assert len(words) == 40 and words.endswith("…")
    assert secret.startswith(words[:-1])
    assert server.terminate() == 0
    assert server.lines[-1].endswith("stopped; leases released")
    desk = open_desk(store_path)
    assert desk.store.channel_records()["chat"]["lease"] is None
    assert not any(re.search("correct horse", line) for line in server.lines)


def test_two_processes_one_holds_the_chat_the_other_answers_through_the_store(
    prosody: Prosody, config: Path, store_path: Path, patrons: list[Patron], served: list[Served]
) -> None:
    first = Served(config, "first")
    served.append(first)
    first.wait_for("chat", "connected")
    second = Served(config, "second")
    served.append(second)
    second.wait_for("askdesk", "serving")
    ada = Patron(prosody, "ada@library.test").connect()
    patrons.append(ada)
    ada.say("Two desks, one question")
    key = first.wait_for("chat arrived").split()[3]
    # Another askdesk (not holding the chat) answers: the reply waits for the holder.
    answered = askdesk(config, "--as", "cy", "reply", key, "--text", "Answered from elsewhere")
    assert answered.returncode == 0, answered.stderr
    first.wait_for(key, "sent")
    (got,) = ada.wait_for(1)
    assert got.body == "Answered from elsewhere"
    conversation = open_desk(store_path).get(key)
    assert conversation is not None
    assert [r.status for r in conversation.replies] == [ReplyStatus.SENT]
    assert not any("arrived" in line for line in second.lines)
    # The holder stops: the other takes the chat over at once, and nothing is lost.
    assert first.terminate() == 0
    second.wait_for("chat", "lease taken")
    second.wait_for("chat", "connected")
    ada.say("Still there?")
    assert key in second.wait_for("chat joined")


def messages_in(store_path: Path) -> list[str]:
    return [m.text for c in open_desk(store_path).live() for m in c.messages]


def wait_for_messages(store_path: Path, count: int, timeout: float = 40) -> list[str]:
    """The store's messages once it holds ``count`` of them (another process writes them)."""
    deadline = time.monotonic() + timeout
    while (texts := messages_in(store_path)) and len(texts) < count:
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return texts


def test_kill_9_of_serve_while_patrons_write_loses_nothing_and_doubles_nothing(
    prosody: Prosody, config: Path, store_path: Path, patrons: list[Patron], served: list[Served]
) -> None:
    first = Served(config, "first")
    served.append(first)
    first.wait_for("chat", "connected")
    ada = Patron(prosody, "ada@library.test").connect()
    ben = Patron(prosody, "ben@library.test").connect()
    patrons.extend([ada, ben])
    sent: list[str] = []

    def write(count: int) -> None:
        for n in range(count):
            patron, name = (ada, "ada") if n % 2 else (ben, "ben")
            text = f"{name} asks question {len(sent)}"
            patron.say(text)
            sent.append(text)
            time.sleep(0.05)

    write(10)
    first.wait_for("chat", "arrived")
    first.kill()  # no goodbye: the lease stays until it runs out, the socket just dies
    write(10)  # nobody holds the chat: offline storage and the archive keep these
    key = next(c.key for c in open_desk(store_path).live() if c.first.author == "ada@library.test")
    queued = askdesk(config, "--as", "cy", "reply", key, "--text", "Sorry for the wait")
    assert queued.returncode == 0, queued.stderr
    second = Served(config, "second")
    served.append(second)
    second.wait_for("chat", "lease taken", timeout=LEASE_SECONDS + 10)
    write(10)  # while the new holder connects and catches up
    texts = wait_for_messages(store_path, len(sent))
    assert sorted(texts) == sorted(sent)  # every one, once
    second.wait_for(key, "sent")
    (reply,) = ada.wait_for(1)
    assert reply.body == "Sorry for the wait"


def test_fetch_catches_up_the_chat_and_lets_go(
    prosody: Prosody, config: Path, store_path: Path, patrons: list[Patron]
) -> None:
    ada = Patron(prosody, "ada@library.test").connect()
    patrons.append(ada)
    ada.say("Anyone there?")  # nobody holds the chat: the server keeps it
    ada.say("I'll wait")
    fetched = askdesk(config, "fetch")
    assert fetched.returncode == 0, fetched.stderr
    assert fetched.stdout.strip() == "chat: caught up, 2 messages"
    assert sorted(messages_in(store_path)) == ["Anyone there?", "I'll wait"]
    assert open_desk(store_path).store.channel_records()["chat"]["lease"] is None
    again = askdesk(config, "fetch")  # nothing new, nothing doubled
    assert again.stdout.strip() == "chat: caught up, 0 messages"
    assert len(messages_in(store_path)) == 2


def test_a_refused_password_is_one_sentence_in_askdesk_channels_and_serve_keeps_going(
    prosody: Prosody, config: Path, served: list[Served]
) -> None:
    server = Served(config, password="wrong")
    served.append(server)
    line = server.wait_for("chat reconnecting")
    assert "the server refused the password for desk@library.test" in line
    shown = askdesk(config, "channels")
    assert shown.returncode == 0, shown.stderr
    assert "the server refused the password for desk@library.test" in shown.stdout
    assert "Traceback" not in shown.stdout + shown.stderr
    assert server.process.poll() is None  # still running, still trying
    assert server.terminate() == 0
