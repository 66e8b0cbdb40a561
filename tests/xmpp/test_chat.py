"""The XMPP channel against a real Prosody: patrons write from real clients, staff answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from askdesk.desk.outbox import Outbox
from askdesk.desk.records import describe_event
from askdesk.desk.text import inert
from askdesk.model import Kind, ReplyStatus
from tests.xmpp.chatkit import holding, open_desk
from tests.xmpp_server import LIBRARY, Patron, Prosody


def test_a_patron_message_arrives_and_the_reply_reaches_their_client(
    prosody: Prosody, xmpp_env: None, store_path: Path, patrons: list[Patron]
) -> None:
    desk = open_desk(store_path)
    with holding(desk, prosody) as (_, channel, events):
        events.wait("connected")
        ada = Patron(prosody, "ada@library.test").connect()
        patrons.append(ada)
        ada.say("Do you have <b>Middlemarch</b>? [bold]x[/bold]")
        arrived = events.wait("arrived")
        conversation = desk.get(arrived.key or "")
        assert conversation is not None
        assert conversation.kind is Kind.CHAT
        assert conversation.latest.author == "ada@library.test"
        assert conversation.latest.text == "Do you have <b>Middlemarch</b>? [bold]x[/bold]"
        outbox = Outbox(desk, {"chat": channel})
        outbox.queue(conversation.key, "Yes: two copies on the shelf.")
        (result,) = outbox.run_due()
        assert result.status is ReplyStatus.SENT
        (got,) = ada.wait_for(1)
        assert (got.body, got.type) == ("Yes: two copies on the shelf.", "chat")
        assert got.sender.startswith(f"{LIBRARY}/")


def test_a_patron_closing_the_chat_or_going_offline_shows_on_their_conversation(
    prosody: Prosody, xmpp_env: None, store_path: Path, patrons: list[Patron]
) -> None:
    desk = open_desk(store_path)
    with holding(desk, prosody) as (_, _, events):
        events.wait("connected")
        ada = Patron(prosody, "ada@library.test").connect()
        ben = Patron(prosody, "ben@library.test").connect(presence_to=LIBRARY)
        patrons.extend([ada, ben])
        ada.say("Is the map room open?")
        ada_key = events.wait("arrived").key or ""
        ben.say("Can I renew by chat?")
        ben_key = events.wait("arrived").key or ""

        def gone(client: Any) -> Any:
            message = client.make_message(mto=LIBRARY, mtype="chat")
            message["chat_state"] = "gone"
            return message

        ada.send_raw(gone)  # XEP-0085: the patron closed the chat window
        assert events.wait("left").key == ada_key
        ben.leave()  # offline: the server tells whoever had ben's directed presence
        assert events.wait("left").key == ben_key
        for key in (ada_key, ben_key):
            conversation = desk.get(key)
            assert conversation is not None and conversation.patron_left_at is not None
            assert describe_event("patron-left", {}) == "patron left"
        # Writing again clears it; nothing else of the conversation changed.
        ada.say("Sorry, one more thing")
        assert events.wait("joined").key == ada_key
        conversation = desk.get(ada_key)
        assert conversation is not None and conversation.patron_left_at is None


def test_errors_groupchat_headlines_and_chat_states_are_not_questions(
    prosody: Prosody, xmpp_env: None, store_path: Path, patrons: list[Patron]
) -> None:
    desk = open_desk(store_path)
    with holding(desk, prosody) as (_, _, events):
        events.wait("connected")
        ada = Patron(prosody, "ada@library.test").connect()
        patrons.append(ada)
        ada.say("headline news", mtype="headline")
        ada.say("to the room", mtype="groupchat")

        def typing(client: Any) -> Any:
            message = client.make_message(mto=LIBRARY, mtype="chat")
            message["chat_state"] = "composing"
            return message

        ada.send_raw(typing)
        ada.say("The question itself", mtype="normal")
        arrived = events.wait("arrived")
        conversation = desk.get(arrived.key or "")
        assert conversation is not None
        assert [m.text for m in conversation.messages] == ["The question itself"]
        assert len(desk.live()) == 1


def test_hostile_and_huge_messages_arrive_literally(
    prosody: Prosody, xmpp_env: None, store_path: Path, patrons: list[Patron]
) -> None:
    desk = open_desk(store_path)
    texts = [
        "x" * 100_000,
        "[red]not markup[/red] <script>alert(1)</script> &amp;",
        "\u202eevil bidi\u202c and \u2066isolate\u2069",
        "📚🧕🏽‍🤝‍🧑🏻 émoji",
    ]
    with holding(desk, prosody) as (_, _, events):
        events.wait("connected")
        ada = Patron(prosody, "ada@library.test").connect()
        patrons.append(ada)
        for text in texts:
            ada.say(text)
        events.wait("arrived")
        for _ in texts[1:]:
            events.wait("joined")
    (conversation,) = desk.live()
    assert [m.text for m in conversation.messages] == texts
    shown = inert(conversation.messages[2].text)
    assert "\u202e" not in shown and "\u2066" not in shown


def test_the_chat_account_is_away_until_a_desk_is_open_on_the_store(
    prosody: Prosody, xmpp_env: None, store_path: Path, patrons: list[Patron]
) -> None:
    # Another resource of the library's own account sees the account's presence.
    observer = Patron(prosody, LIBRARY, resource="observer").connect(available=True)
    patrons.append(observer)
    desk = open_desk(store_path)
    with holding(desk, prosody, away_message="Back at 9 tomorrow") as (runner, _, events):
        events.wait("connected")
        away = observer.wait_for_presence(f"{LIBRARY}/askdesk-", "away")
        assert away is not None and away[2] == "Back at 9 tomorrow"
        desk.store.heartbeat("bo", "host:2", desk.clock.now())  # a desk opens
        runner.tick()
        assert observer.wait_for_presence(f"{LIBRARY}/askdesk-", "available") is not None
        desk.store.end_shift("host:2")  # and closes
        runner.tick()
        assert observer.wait_for_presence(f"{LIBRARY}/askdesk-", "away") is not None
