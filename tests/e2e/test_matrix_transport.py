"""The Matrix transport against a real Synapse, with real matrix-nio clients as council members.

Every room here is end-to-end encrypted unless a test says otherwise: the members' clients
decrypt what the bot sends and the bot decrypts what they send, with real Olm/Megolm sessions.
"""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path

import aiohttp
import nio
import pytest
from nio import (
    AsyncClient,
    JoinResponse,
    MemoryDownloadResponse,
    RoomCreateResponse,
    RoomEncryptedFile,
    RoomMessageText,
    UnknownEvent,
    UploadResponse,
)
from nio.crypto import decrypt_attachment

from bot.domain.models import Platform
from bot.transport.credentials import CredentialsRefused
from bot.transport.events import (
    Capability,
    ChatRef,
    Choice,
    IncomingEvent,
    OutgoingFile,
    OutgoingMessage,
)
from bot.transport.matrix.adapter import MatrixTransport
from tests.e2e.conftest import DEFAULT_PASSWORD, MatrixUsers
from tests.e2e.matrix_kit import (
    ENCRYPTION_STATE,
    POLL_END,
    WAIT_SECONDS,
    Bot,
    Received,
    RecordingSink,
    member_in_direct_chat,
    member_says,
    plain_client,
    raw_event,
)
from tests.support.synapse import SynapseServer

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]


# ----------------------------------------------------------------------------- tests


async def test_capabilities_say_polls_not_buttons() -> None:
    assert Capability.POLLS in MatrixTransport.capabilities
    assert Capability.ENCRYPTION in MatrixTransport.capabilities
    assert Capability.BUTTONS not in MatrixTransport.capabilities
    assert Capability.DEEP_LINKS not in MatrixTransport.capabilities


async def test_invitations_are_accepted_only_from_welcome_users(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transport = await bot.start(RecordingSink())
    member = await matrix_users.new_client("councillor")
    stranger = await matrix_users.new_client("stranger")
    bot.welcome.add(member.user_id)

    rooms: dict[str, str] = {}
    for who in (member, stranger):
        created = await who.room_create(
            is_direct=True, invite=[bot.user_id], initial_state=[ENCRYPTION_STATE]
        )
        assert isinstance(created, RoomCreateResponse), created
        rooms[who.user_id] = created.room_id

    accepted = rooms[member.user_id]
    await matrix_users.sync_until(
        member,
        lambda: (
            accepted in member.rooms
            and bot.user_id in member.rooms[accepted].users
            and not member.rooms[accepted].users[bot.user_id].invited
        ),
    )
    rejected = rooms[stranger.user_id]
    await matrix_users.sync_until(
        stranger,
        lambda: rejected in stranger.rooms and bot.user_id not in stranger.rooms[rejected].users,
    )
    # The accepted direct room is the bot's direct chat with the member from now on.
    chat = await transport.direct_chat(member.user_id)
    assert chat.chat_id == accepted


async def test_direct_chat_text_and_commands(
    synapse: SynapseServer, bot: Bot, matrix_users: MatrixUsers
) -> None:
    sink = RecordingSink()
    transport = await bot.start(sink)
    member = await matrix_users.new_client("svetnica")
    bot.welcome.add(member.user_id)

    # The bot writes before the member has even accepted: the invitee's devices get the key.
    chat = await transport.direct_chat(member.user_id)
    assert chat.is_direct
    html = 'Vabilo na <b>3. dopisno sejo</b>\nGradivo: <a href="https://obcina.si/g">tukaj</a>'
    sent = await transport.send(chat, OutgoingMessage(html=html))
    assert sent.chat == chat

    received = Received(member, chat.chat_id)
    await matrix_users.sync_until(member, lambda: chat.chat_id in member.invited_rooms)
    assert isinstance(await member.join(chat.chat_id), JoinResponse)
    await matrix_users.sync_until(member, lambda: received.by_id(sent.message_id) is not None)
    assert not received.undecryptable
    message = received.by_id(sent.message_id)
    assert isinstance(message, RoomMessageText)
    assert message.decrypted
    assert message.body == "Vabilo na 3. dopisno sejo\nGradivo: tukaj (https://obcina.si/g)"
    assert message.format == "org.matrix.custom.html"
    assert message.formatted_body == html.replace("\n", "<br>")
    wire = await raw_event(synapse, member, chat.chat_id, sent.message_id)
    assert wire["type"] == "m.room.encrypted" and "dopisno" not in str(wire)

    # Opening the chat again finds the same room, recorded in m.direct on the server.
    assert await transport.direct_chat(member.user_id) == chat
    another_bot_device = await matrix_users.login(bot.user_id, device_name="bot, second device")
    direct = await another_bot_device.list_direct_rooms()
    assert isinstance(direct, nio.DirectRoomsResponse), direct
    assert direct.rooms[member.user_id] == [chat.chat_id]

    await matrix_users.sync_until(
        member, lambda: any(True for _ in member.device_store.active_user_devices(bot.user_id))
    )
    matrix_users.trust_devices_on_first_use(member, bot.user_id)
    for text in ("!pomoc", "!jezik en", "Dober dan, bom prisotna."):
        await member_says(member, chat.chat_id, text)

    help_command = await sink.wait_for(lambda e: e.command == "pomoc")
    language = await sink.wait_for(lambda e: e.command == "jezik")
    plain = await sink.wait_for(lambda e: e.text.startswith("Dober dan"))
    assert help_command.args == ()
    assert language.args == ("en",)
    assert plain.command == "" and plain.choice is None
    for event in (help_command, language, plain):
        assert event.platform is Platform.MATRIX
        assert event.sender.external_id == member.user_id
        assert event.chat == chat
        assert event.event_key.startswith("$")
        assert event.timestamp.tzinfo is not None
    assert [e.text for e in sink.events] == ["!pomoc", "!jezik en", "Dober dan, bom prisotna."]


async def test_poll_answers_and_text_fallbacks(bot: Bot, matrix_users: MatrixUsers) -> None:
    sink = RecordingSink()
    transport = await bot.start(sink)
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)

    choices = (
        Choice("Za", "vote:7:za"),
        Choice("Proti", "vote:7:proti"),
        Choice("Vzdržan", "vote:7:vzdrzan"),
    )
    poll = await transport.send(
        chat,
        OutgoingMessage(
            html="Točka 3: <b>Predlog sklepa</b>",
            choices=(choices,),
            poll_question="Ali podpirate predlog sklepa?",
        ),
    )
    await matrix_users.sync_until(member, lambda: received.by_id(poll.message_id) is not None)
    start = received.by_id(poll.message_id)
    assert isinstance(start, UnknownEvent) and start.type == "org.matrix.msc3381.poll.start"
    content = start.source["content"]
    unstable = content["org.matrix.msc3381.poll.start"]
    assert unstable["question"]["org.matrix.msc1767.text"] == "Ali podpirate predlog sklepa?"
    assert [a["id"] for a in unstable["answers"]] == [c.payload for c in choices]
    assert [a["org.matrix.msc1767.text"] for a in unstable["answers"]] == ["Za", "Proti", "Vzdržan"]
    stable = content["m.poll"]
    assert [a["m.id"] for a in stable["answers"]] == [c.payload for c in choices]
    assert stable["question"]["m.text"][0]["body"] == "Ali podpirate predlog sklepa?"
    assert "2. Proti" in content["body"] and "3. Vzdržan" in content["org.matrix.msc1767.text"]
    assert "številko" in content["body"]  # Slovenian hint to answer with a number
    # The text around the question was not dropped: it went out just before the poll.
    assert any(
        isinstance(e, RoomMessageText) and e.body == "Točka 3: Predlog sklepa"
        for e in received.events
    )

    relation = {"rel_type": "m.reference", "event_id": poll.message_id}
    await member.room_send(
        chat.chat_id,
        "org.matrix.msc3381.poll.response",
        {"m.relates_to": relation, "org.matrix.msc3381.poll.response": {"answers": ["vote:7:za"]}},
    )
    await member.room_send(
        chat.chat_id,
        "m.poll.response",
        {"m.relates_to": relation, "m.selections": ["vote:7:proti"]},
    )
    await member_says(member, chat.chat_id, "3")
    await member_says(member, chat.chat_id, "!proti")
    await member_says(member, chat.chat_id, "!vzdržan")
    await sink.wait_for(lambda e: e.text == "!vzdržan")

    answers = [(e.choice.payload, e.choice.message) for e in sink.events if e.choice]
    assert answers == [
        ("vote:7:za", poll),
        ("vote:7:proti", poll),
        ("vote:7:vzdrzan", poll),
        ("vote:7:proti", poll),
        ("vote:7:vzdrzan", poll),
    ]

    # Closing the vote ends the poll; a number typed afterwards is just text.
    closed = await transport.edit(poll, OutgoingMessage(html="Glasovanje je zaključeno: sprejeto."))
    assert closed == poll
    await matrix_users.sync_until(
        member,
        lambda: any(
            isinstance(e, UnknownEvent) and e.type == "org.matrix.msc3381.poll.end"
            for e in received.events
        ),
    )
    end = next(
        e for e in received.events if getattr(e, "type", "") == "org.matrix.msc3381.poll.end"
    )
    assert end.source["content"]["m.relates_to"] == relation
    assert end.source["content"]["m.text"][0]["body"] == "Glasovanje je zaključeno: sprejeto."
    await member_says(member, chat.chat_id, "2")
    late = await sink.wait_for(lambda e: e.text == "2")
    assert late.choice is None

    # A text message is edited in place with m.replace.
    note = await transport.send(chat, OutgoingMessage(html="Rok: <i>petek</i>"))
    assert await transport.edit(note, OutgoingMessage(html="Rok: <i>sobota</i>")) == note
    await matrix_users.sync_until(
        member,
        lambda: any(
            isinstance(e, RoomMessageText) and e.source["content"].get("m.new_content")
            for e in received.events
        ),
    )
    edit = next(e for e in received.events if e.source["content"].get("m.new_content"))
    assert edit.source["content"]["m.relates_to"] == {
        "rel_type": "m.replace",
        "event_id": note.message_id,
    }
    assert edit.source["content"]["m.new_content"]["body"] == "Rok: sobota"


async def test_a_poll_is_closed_by_an_edit_even_after_a_restart(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    transport = await bot.start(RecordingSink())
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)
    choices = ((Choice("Potrjujem prejem", "receipt:3"),),)
    poll = await transport.send(chat, OutgoingMessage(html="Vabilo na sejo", choices=choices))
    await transport.stop()

    restarted = await bot.start(RecordingSink(), language="sl")
    assert await restarted.edit(poll, OutgoingMessage(html="")) == poll
    await matrix_users.sync_until(
        member, lambda: any(getattr(e, "type", "") == POLL_END for e in received.events)
    )
    end = next(e for e in received.events if getattr(e, "type", "") == POLL_END)
    assert end.source["content"]["m.relates_to"]["event_id"] == poll.message_id
    assert end.source["content"]["org.matrix.msc1767.text"] == "Glasovanje je zaključeno."


async def test_files_both_ways_in_an_encrypted_room(
    synapse: SynapseServer, bot: Bot, matrix_users: MatrixUsers
) -> None:
    sink = RecordingSink()
    transport = await bot.start(sink)
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)

    pdf = b"%PDF-1.7\n" + os.urandom(48_000) + b"\n%%EOF\n"
    sent = await transport.send(
        chat,
        OutgoingMessage(
            html="Gradivo k 3. točki",
            files=(OutgoingFile("gradivo-3.pdf", "application/pdf", pdf),),
        ),
    )
    await matrix_users.sync_until(
        member, lambda: any(isinstance(e, RoomEncryptedFile) for e in received.events)
    )
    assert received.by_id(sent.message_id) is not None  # the reference is the text
    attachment = next(e for e in received.events if isinstance(e, RoomEncryptedFile))
    assert attachment.body == "gradivo-3.pdf" and attachment.mimetype == "application/pdf"
    ciphertext = await member.download(mxc=attachment.url)
    assert isinstance(ciphertext, MemoryDownloadResponse)
    assert ciphertext.body != pdf
    plain = decrypt_attachment(
        ciphertext.body, attachment.key["k"], attachment.hashes["sha256"], attachment.iv
    )
    assert plain == pdf

    # The member answers with a signed scan; the bot fetches and decrypts it.
    scan = b"%PDF-1.4\n" + os.urandom(20_000)
    uploaded, keys = await member.upload(
        io.BytesIO(scan), content_type="application/octet-stream", filesize=len(scan), encrypt=True
    )
    assert isinstance(uploaded, UploadResponse) and keys is not None
    await member.room_send(
        chat.chat_id,
        "m.room.message",
        {
            "msgtype": "m.file",
            "body": "podpisano.pdf",
            "filename": "podpisano.pdf",
            "info": {"mimetype": "application/pdf", "size": len(scan)},
            "file": {"url": uploaded.content_uri, **keys},
        },
    )
    incoming = await sink.wait_for(lambda e: e.file is not None)
    assert incoming.file is not None
    assert (incoming.file.filename, incoming.file.media_type) == (
        "podpisano.pdf",
        "application/pdf",
    )
    assert incoming.file.size == len(scan)
    assert await incoming.file.fetch() == scan


async def test_files_in_an_unencrypted_room_use_plain_urls(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    sink = RecordingSink()
    transport = await bot.start(sink)
    member = await matrix_users.new_client("odbor")
    bot.welcome.add(member.user_id)
    created = await member.room_create(name="Odbor za finance", invite=[bot.user_id])
    assert isinstance(created, RoomCreateResponse)
    room_id = created.room_id
    await matrix_users.sync_until(
        member,
        lambda: (
            room_id in member.rooms
            and bot.user_id in member.rooms[room_id].users
            and not member.rooms[room_id].users[bot.user_id].invited
        ),
    )
    received = Received(member, room_id)
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(4_000)
    chat = ChatRef(Platform.MATRIX, room_id, is_direct=False)
    sent = await transport.send(
        chat, OutgoingMessage(html="", files=(OutgoingFile("graf.png", "image/png", png),))
    )
    await matrix_users.sync_until(member, lambda: received.by_id(sent.message_id) is not None)
    image = received.by_id(sent.message_id)
    assert isinstance(image, nio.RoomMessageImage)
    downloaded = await member.download(mxc=image.url)
    assert isinstance(downloaded, MemoryDownloadResponse) and downloaded.body == png

    uploaded, _ = await member.upload(
        io.BytesIO(png), content_type="image/png", filename="slika.png", filesize=len(png)
    )
    await member.room_send(
        room_id,
        "m.room.message",
        {"msgtype": "m.image", "body": "slika.png", "url": uploaded.content_uri,
         "info": {"mimetype": "image/png", "size": len(png)}},
    )  # fmt: skip
    incoming = await sink.wait_for(lambda e: e.file is not None)
    assert incoming.chat == chat
    assert incoming.file is not None and incoming.file.media_type == "image/png"
    assert await incoming.file.fetch() == png


async def test_stop_finishes_what_handlers_were_doing(bot: Bot, matrix_users: MatrixUsers) -> None:
    started = asyncio.Event()
    transports: list[MatrixTransport] = []

    async def slow_replying_sink(event: IncomingEvent) -> None:
        started.set()
        await asyncio.sleep(0.5)  # still handling when stop() is called
        await transports[0].send(event.chat, OutgoingMessage(html="Pomoč: <b>!jezik</b>"))

    transport = MatrixTransport(
        bot.server.base_url, bot.user_id, "SEJABOTTEST", bot.store,
        password=DEFAULT_PASSWORD, is_welcome=bot.is_welcome,
    )  # fmt: skip
    transports.append(transport)
    await transport.start(slow_replying_sink)
    bot.running.append(transport)
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)
    await member_says(member, chat.chat_id, "!pomoc")
    await asyncio.wait_for(started.wait(), WAIT_SECONDS)
    await transport.stop()
    await matrix_users.sync_until(
        member, lambda: any(getattr(e, "body", "") == "Pomoč: !jezik" for e in received.events)
    )
    # The handled event was checkpointed: the next start does not hand it over again.
    sink = RecordingSink()
    await bot.start(sink)
    await member_says(member, chat.chat_id, "naslednje")
    await sink.wait_for(lambda e: e.text == "naslednje")
    assert sink.texts() == ["naslednje"]


async def test_rate_limits_are_waited_out_without_duplicates(
    synapse: SynapseServer,
    bot: Bot,
    matrix_users: MatrixUsers,
    caplog: pytest.LogCaptureFixture,
) -> None:
    transport = await bot.start(RecordingSink())
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    received = Received(member, chat.chat_id)
    admin = await matrix_users.new_client("admin", admin=True)
    url = f"{synapse.base_url}/_synapse/admin/v1/users/{bot.user_id}/override_ratelimit"
    headers = {"Authorization": f"Bearer {admin.access_token}"}
    limit = {"messages_per_second": 4, "burst_count": 1}
    async with aiohttp.ClientSession() as http, http.post(url, json=limit, headers=headers) as r:
        assert r.status == 200, await r.text()

    with caplog.at_level("WARNING", logger="bot.transport.matrix.sending"):
        refs = [
            await transport.send(chat, OutgoingMessage(html=f"Obvestilo {number}"))
            for number in range(1, 5)
        ]
    assert any("M_LIMIT_EXCEEDED" in record.getMessage() for record in caplog.records)
    assert len({ref.message_id for ref in refs}) == 4
    await matrix_users.sync_until(member, lambda: all(received.by_id(r.message_id) for r in refs))
    bodies = [e.body for e in received.events if isinstance(e, RoomMessageText)]
    assert sorted(bodies) == ["Obvestilo 1", "Obvestilo 2", "Obvestilo 3", "Obvestilo 4"]


async def test_access_token_login_keeps_the_device(
    synapse: SynapseServer, bot: Bot, matrix_users: MatrixUsers, tmp_path: Path
) -> None:
    session = AsyncClient(synapse.base_url, bot.user_id, device_id="SEJABOTTOKEN")
    logged_in = await session.login(DEFAULT_PASSWORD)
    assert isinstance(logged_in, nio.LoginResponse) and logged_in.device_id == "SEJABOTTOKEN"
    await session.close()

    sink = RecordingSink()
    transport = MatrixTransport(
        synapse.base_url, bot.user_id, "SEJABOTTOKEN", tmp_path / "token-store",
        access_token=logged_in.access_token, is_welcome=bot.is_welcome,
    )  # fmt: skip
    assert logged_in.access_token not in repr(transport)
    await transport.start(sink)
    bot.running.append(transport)
    member, chat = await member_in_direct_chat(matrix_users, bot, transport)
    await member_says(member, chat.chat_id, "!pomoc")
    assert (await sink.wait_for(lambda e: e.command == "pomoc")).chat == chat

    wrong_device = MatrixTransport(
        synapse.base_url, bot.user_id, "SOMEOTHERDEVICE", tmp_path / "other-store",
        access_token=logged_in.access_token, is_welcome=bot.is_welcome,
    )  # fmt: skip
    with pytest.raises(CredentialsRefused, match="not to the configured device_id SOMEOTHERDEVICE"):
        await wrong_device.start(RecordingSink())


async def test_restart_delivers_exactly_what_was_missed(
    bot: Bot, matrix_users: MatrixUsers
) -> None:
    # History from before the very first start is never replayed.
    member = await matrix_users.new_client("zupan")
    bot.welcome.add(member.user_id)
    created = await member.room_create(
        is_direct=True, invite=[bot.user_id], initial_state=[ENCRYPTION_STATE]
    )
    assert isinstance(created, RoomCreateResponse)
    room_id = created.room_id
    other_device = await matrix_users.login(bot.user_id, device_name="another bot device")
    await matrix_users.sync_until(other_device, lambda: room_id in other_device.invited_rooms)
    assert isinstance(await other_device.join(room_id), JoinResponse)
    await matrix_users.sync_until(
        member, lambda: any(True for _ in member.device_store.active_user_devices(bot.user_id))
    )
    matrix_users.trust_devices_on_first_use(member, bot.user_id)
    await member_says(member, room_id, "staro sporočilo pred zagonom")

    first_sink = RecordingSink()
    first = await bot.start(first_sink)
    await matrix_users.sync_once(member)  # the bot's new device is queried and trusted
    matrix_users.trust_devices_on_first_use(member, bot.user_id)
    await member_says(member, room_id, "ena")
    await first_sink.wait_for(lambda e: e.text == "ena")
    assert first_sink.texts() == ["ena"]

    # While the bot is down, the member writes twice; a new transport on the store gets both.
    await first.stop()
    await member_says(member, room_id, "dve")
    await member_says(member, room_id, "tri")
    second_sink = RecordingSink()
    second = await bot.start(second_sink)
    await second_sink.wait_for(lambda e: e.text == "tri")
    await member_says(member, room_id, "štiri")  # a later marker: nothing else is in between
    await second_sink.wait_for(lambda e: e.text == "štiri")
    assert second_sink.texts() == ["dve", "tri", "štiri"]

    # A timeline cut short by the server (limit 1, three messages) is filled from /messages.
    await second.stop()
    for text in ("pet", "šest", "sedem"):
        await member_says(member, room_id, text)
    third_sink = RecordingSink()
    await bot.start(third_sink, timeline_limit=1)
    await third_sink.wait_for(lambda e: e.text == "pet")
    await member_says(member, room_id, "osem")
    await third_sink.wait_for(lambda e: e.text == "osem")
    assert sorted(third_sink.texts()) == sorted(["pet", "šest", "sedem", "osem"])
    ordered = sorted(third_sink.events, key=lambda e: e.timestamp)
    assert [e.text for e in ordered] == ["pet", "šest", "sedem", "osem"]
    assert len({e.event_key for e in third_sink.events}) == 4


async def test_users_of_other_homeservers_are_heard_only_when_allowed(
    two_homeservers: tuple[SynapseServer, SynapseServer], tmp_path: Path
) -> None:
    home, foreign = two_homeservers
    local = await plain_client(home, "clerk")
    remote = await plain_client(foreign, "visitor")
    clients = [local, remote]
    bot = Bot(home, await home.register_user("sejabot", DEFAULT_PASSWORD), tmp_path / "store")
    bot.welcome.update({local.user_id, remote.user_id})  # welcome, yet from a foreign server
    try:
        sink = RecordingSink()
        await bot.start(sink)  # allowed_servers: none but its own

        created = await local.room_create(name="Seja sveta", invite=[bot.user_id, remote.user_id])
        assert isinstance(created, RoomCreateResponse), created
        room_id = created.room_id
        await MatrixUsers.sync_until(remote, lambda: room_id in remote.invited_rooms)
        assert isinstance(await remote.join(room_id), JoinResponse)

        # The foreign user writes first; once the clerk has seen it, the clerk writes.
        foreign_text = await member_says(remote, room_id, "!pomoc")
        received = Received(local, room_id)
        await MatrixUsers.sync_until(local, lambda: received.by_id(foreign_text) is not None)
        await member_says(local, room_id, "!pomoc")
        heard = await sink.wait_for(lambda e: e.command == "pomoc")
        assert heard.sender.external_id == local.user_id
        assert [e.sender.external_id for e in sink.events] == [local.user_id]

        # An invitation from the foreign server is rejected despite the welcome list. Seen from
        # the bot's account: the room turns up among its left rooms. (The foreign server may
        # refuse the remote leave if it has not stored its invitation yet; the home server then
        # rejects locally, so the inviter's view is not a reliable witness.)
        observer = AsyncClient(
            home.base_url, bot.user_id, config=nio.AsyncClientConfig(encryption_enabled=False)
        )
        clients.append(observer)
        assert isinstance(await observer.login(DEFAULT_PASSWORD), nio.LoginResponse)
        await observer.sync(timeout=0)
        dm = await remote.room_create(is_direct=True, invite=[bot.user_id])
        assert isinstance(dm, RoomCreateResponse), dm
        left: set[str] = set()
        deadline = asyncio.get_running_loop().time() + WAIT_SECONDS
        while dm.room_id not in left and asyncio.get_running_loop().time() < deadline:
            synced = await observer.sync(timeout=500)
            assert isinstance(synced, nio.SyncResponse), synced
            left.update(synced.rooms.leave)
        assert dm.room_id in left
        await MatrixUsers.sync_once(remote)
        bot_there = remote.rooms[dm.room_id].users.get(bot.user_id)
        assert bot_there is None or bot_there.invited  # never joined

        # Listed in allowed_servers, the same user is heard.
        await bot.stop_all()
        allowing_sink = RecordingSink()
        await bot.start(allowing_sink, allowed_servers=[foreign.server_name])
        await member_says(remote, room_id, "!jezik en")
        heard = await allowing_sink.wait_for(lambda e: e.command == "jezik")
        assert heard.sender.external_id == remote.user_id and heard.args == ("en",)
    finally:
        await bot.stop_all()
        await asyncio.gather(*(client.close() for client in clients))
