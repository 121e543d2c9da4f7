"""Matrix event contents: what the bot sends and how it reads what members send.

Pure functions over plain dicts, no network and no nio client, so the wire format is in one
place. Polls follow MSC3381 (now in the spec as ``m.poll.*``). Element still sends and renders the
unstable ``org.matrix.msc3381.*`` events, so a poll goes out as an unstable-typed event whose
content carries both forms: the unstable block (``org.matrix.msc3381.poll.start`` with
``org.matrix.msc1767.text`` strings and answer ``id``) and the stable blocks (``m.poll`` with
``m.text`` arrays and answer ``m.id``), plus ``body`` for clients that know neither. Responses are
read in both forms: ``m.selections`` and ``org.matrix.msc3381.poll.response.answers``.

Secret choices (bot/transport/secrecy.py): the answers of a secret message's poll get positional
ids of one length ("01", "02", ...), so a member's encrypted response has the same size whatever
they chose; the poll itself carries which payload each id stands for (``org.sejabot.answers``),
so an answer still maps back after a restart. Every event of a secret message is padded
(``org.sejabot.padding``) to the size of the longest of its alternatives, counted as nio
serialises the content it encrypts.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from nio import Api

from bot.transport.events import Choice, OutgoingFile
from bot.transport.html_text import html_to_plain

MEGOLM_ALGORITHM = "m.megolm.v1.aes-sha2"
HTML_FORMAT = "org.matrix.custom.html"

POLL_START_TYPE = "org.matrix.msc3381.poll.start"  # the type Element renders
POLL_END_TYPE = "org.matrix.msc3381.poll.end"
POLL_RESPONSE_TYPES = frozenset({"m.poll.response", "org.matrix.msc3381.poll.response"})
POLL_START_TYPES = frozenset({"m.poll.start", POLL_START_TYPE})

_UNSTABLE_TEXT = "org.matrix.msc1767.text"
_UNSTABLE_RESPONSE = "org.matrix.msc3381.poll.response"
COMMAND_PREFIX = "!"
ANSWERS_KEY = "org.sejabot.answers"  # answer id -> payload, on polls with positional ids
PADDING_KEY = "org.sejabot.padding"
_WHITESPACE = re.compile(r"\s+")


def formatted_html(html: str) -> str:
    """The outgoing HTML subset as Matrix ``formatted_body``: line breaks become ``<br>``."""
    return html.replace("\r\n", "\n").replace("\n", "<br>")


def text_content(html: str) -> dict[str, Any]:
    return {
        "msgtype": "m.text",
        "body": html_to_plain(html),
        "format": HTML_FORMAT,
        "formatted_body": formatted_html(html),
    }


def edit_content(original_event_id: str, html: str) -> dict[str, Any]:
    """An ``m.replace`` edit; ``body`` keeps the customary ``* `` fallback for old clients."""
    new_content = text_content(html)
    return {
        **new_content,
        "body": f"* {new_content['body']}",
        "formatted_body": f"* {new_content['formatted_body']}",
        "m.new_content": new_content,
        "m.relates_to": {"rel_type": "m.replace", "event_id": original_event_id},
    }


def poll_fallback_text(question: str, choices: Sequence[Choice], hint: str) -> str:
    """What clients without polls show: the question, numbered answers, how to reply."""
    lines = [question, *(f"{number}. {choice.label}" for number, choice in enumerate(choices, 1))]
    return "\n".join([*lines, hint] if hint else lines)


def positional_ids(count: int) -> tuple[str, ...]:
    """Answer ids that say nothing but the position, all of one length: "01", "02", ..."""
    return tuple(f"{number:02d}" for number in range(1, count + 1))


def poll_start_content(
    question: str,
    choices: Sequence[Choice],
    fallback_text: str,
    answer_ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """A single-choice poll; answer ids are the choices' payloads unless ``answer_ids`` are
    given, and then the poll also says which payload each id stands for."""
    ids = list(answer_ids) if answer_ids is not None else [c.payload for c in choices]
    content = {
        "body": fallback_text,
        _UNSTABLE_TEXT: fallback_text,
        POLL_START_TYPE: {
            "kind": "org.matrix.msc3381.poll.undisclosed",
            "max_selections": 1,
            "question": {_UNSTABLE_TEXT: question, "body": question},
            "answers": [
                {"id": answer_id, _UNSTABLE_TEXT: c.label}
                for answer_id, c in zip(ids, choices, strict=True)
            ],
        },
        "m.text": [{"body": fallback_text}],
        "m.poll": {
            "kind": "m.undisclosed",
            "max_selections": 1,
            "question": {"m.text": [{"body": question}]},
            "answers": [
                {"m.id": answer_id, "m.text": [{"body": c.label}]}
                for answer_id, c in zip(ids, choices, strict=True)
            ],
        },
    }
    if answer_ids is not None:
        content[ANSWERS_KEY] = {answer_id: c.payload for answer_id, c in zip(ids, choices)}
    return content


def poll_answers(content: Mapping[str, Any]) -> dict[str, str] | None:
    """The answer id -> payload map a poll of the bot's carries, or None."""
    answers = content.get(ANSWERS_KEY)
    if not isinstance(answers, dict):
        return None
    return {key: value for key, value in answers.items() if isinstance(value, str)}


def encrypted_size(content: Mapping[str, Any]) -> int:
    """The bytes the content takes in what nio encrypts (its own JSON form)."""
    return len(Api.to_json(dict(content)).encode())


# Synapse refuses an event whose canonical JSON is over 65,536 bytes (M_TOO_LARGE, HTTP 413;
# ``MAX_PDU_SIZE``, the spec's limit). The envelope (ids, hashes, signatures) takes about 1-2 kB,
# so a content is sent only when its estimate stays under this budget.
MAX_EVENT_BYTES = 65_536
EVENT_BUDGET = 60_000


def event_bytes(content: Mapping[str, Any], encrypted: bool) -> int:
    """An upper estimate of the bytes ``content`` takes in the event the homeserver stores.

    In an encrypted room that is the Megolm ciphertext: nio's JSON of the plaintext event
    (non-ASCII letters escaped as ``\\uXXXX``, six bytes each), base64 (4/3), plus the
    encrypted content's own fields (sender key, session id, device id, MAC and signature)."""
    if encrypted:
        plaintext = encrypted_size(content) + 160  # {"type": ..., "room_id": ..., "content": ...}
        return (plaintext + 16) * 4 // 3 + 120 + 400
    return len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode())


def fits(content: Mapping[str, Any], encrypted: bool) -> bool:
    return event_bytes(content, encrypted) <= EVENT_BUDGET


def padded(content: dict[str, Any], alternatives: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``content`` with a padding field that makes it exactly as long as the longest of itself
    and ``alternatives`` (each measured with an empty padding field, so the key's own bytes
    count alike). Spaces are one byte each in JSON, so the lengths come out identical."""

    def bare(item: Mapping[str, Any]) -> int:
        return encrypted_size({**item, PADDING_KEY: ""})

    target = max([bare(content), *(bare(item) for item in alternatives)])
    return {**content, PADDING_KEY: " " * (target - bare(content))}


def poll_end_content(poll_event_id: str, text: str) -> dict[str, Any]:
    return {
        "m.relates_to": {"rel_type": "m.reference", "event_id": poll_event_id},
        "body": text,
        _UNSTABLE_TEXT: text,
        POLL_END_TYPE: {},
        "m.text": [{"body": text}],
    }


def poll_response(
    event_type: str, content: Mapping[str, Any]
) -> tuple[str, tuple[str, ...]] | None:
    """``(poll start event id, selected answer ids)`` of a poll response, or None."""
    if event_type not in POLL_RESPONSE_TYPES:
        return None
    relation = content.get("m.relates_to") or {}
    poll_event_id = relation.get("event_id")
    if relation.get("rel_type") != "m.reference" or not isinstance(poll_event_id, str):
        return None
    selections = content.get("m.selections")
    if selections is None:
        selections = (content.get(_UNSTABLE_RESPONSE) or {}).get("answers")
    if not isinstance(selections, list):
        return None
    return poll_event_id, tuple(answer for answer in selections if isinstance(answer, str))


def file_content(
    file: OutgoingFile, content_uri: str, encryption: Mapping[str, Any] | None
) -> dict[str, Any]:
    """``m.file``/``m.image``: a plain ``url``, or in encrypted rooms an encrypted ``file``."""
    content: dict[str, Any] = {
        "msgtype": "m.image" if file.is_image else "m.file",
        "body": file.filename,
        "filename": file.filename,
        "info": {"mimetype": file.media_type, "size": len(file.content)},
    }
    if encryption is None:
        content["url"] = content_uri
    else:
        content["file"] = {"url": content_uri, "mimetype": file.media_type, **encryption}
    return content


def parse_command(text: str) -> tuple[str, tuple[str, ...]] | None:
    """``"!jezik en"`` -> ``("jezik", ("en",))``; None when the text is not a command."""
    stripped = text.strip()
    if not stripped.startswith(COMMAND_PREFIX):
        return None
    words = _WHITESPACE.split(stripped[len(COMMAND_PREFIX) :].strip())
    if not words or not words[0]:
        return None
    return words[0].lower(), tuple(words[1:])


def ascii_fold(word: str) -> str:
    """``"vzdržan"`` -> ``"vzdrzan"``: members type votes with or without č, š, ž."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
