"""Telegram message markup: parse HTML like the Bot API, render entities as safe HTML."""

import html
import itertools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

SPACES = " \t\r\n\v\f\0"
TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
SAFE_SCHEMES = {"http", "https", "tg", "mailto"}
COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
URL = re.compile(r"\bhttps?://[^\s<>\"]+")
_SPECIAL = re.compile("[<&]")  # what ends a run of plain text in parse_html


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; the message follows the Bot API's wording."""


@dataclass(frozen=True)
class Formatted:
    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    tag: str
    begin: int
    start: int
    argument: str = ""
    expandable: bool = False


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit of Telegram entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode("utf-8"))


def _decode_entity(source: str, i: int) -> tuple[str, int] | None:
    """Decode the character reference at source[i] ('&'), or None to keep '&' literally."""
    end = source.find(";", i + 1, i + 12)
    if end == -1:
        return None
    body = source[i + 1 : end]
    if body in NAMED_ENTITIES:
        return NAMED_ENTITIES[body], end + 1
    code: int | None = None
    if re.fullmatch(r"#[0-9]{1,7}", body):
        code = int(body[1:])
    elif re.fullmatch(r"#[xX][0-9a-fA-F]{1,6}", body):
        code = int(body[2:], 16)
    if code is None or code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), end + 1


def parse_html(source: str) -> Formatted:
    """Parse Bot API HTML into plain text and entities, raising EntityParseError like tdlib."""
    out: list[str] = []
    u16 = 0
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    n = len(source)
    i = 0

    def fail(message: str) -> EntityParseError:
        return EntityParseError(message)

    while i < n:
        c = source[i]
        if c == "&" and (decoded := _decode_entity(source, i)) is not None:
            char, i = decoded
            out.append(char)
            u16 += utf16_len(char)
            continue
        if c != "<":  # a run of plain text up to the next tag or character reference
            stop = _SPECIAL.search(source, i + 1)
            run = source[i : stop.start() if stop else n]
            out.append(run)
            u16 += utf16_len(run)
            i += len(run)
            continue
        begin = i
        offset = _byte_offset(source, begin)
        i += 1
        if i < n and source[i] == "/":
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {offset}")
            i += 1
            name_start = i
            while i < n and source[i] not in SPACES and source[i] != ">":
                i += 1
            end_name = source[name_start:i].lower()
            while i < n and source[i] in SPACES:
                i += 1
            if i >= n or source[i] != ">":
                raise fail(f"Unclosed end tag at byte offset {offset}")
            i += 1
            opened = stack.pop()
            if end_name and end_name != opened.tag:
                raise fail(
                    f'Unmatched end tag at byte offset {offset}, expected "</{opened.tag}>", '
                    f'found "</{end_name}>"'
                )
            if u16 > opened.start:
                entities.append(_entity(opened, u16 - opened.start))
            continue
        tag_end = i
        while tag_end < n and source[tag_end] not in SPACES and source[tag_end] != ">":
            tag_end += 1
        tag = source[i:tag_end].lower()
        if tag not in TAG_TYPES:
            raise fail(f'Unsupported start tag "{tag}" at byte offset {offset}')
        if tag_end >= n:
            raise fail(f"Unclosed start tag at byte offset {offset}")
        i = tag_end
        opened = _Open(tag=tag, begin=begin, start=u16)
        while True:
            while i < n and source[i] in SPACES:
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {offset}")
            if source[i] == ">":
                i += 1
                break
            name_start = i
            while i < n and source[i] not in SPACES and source[i] not in "=>":
                i += 1
            name = source[name_start:i].lower()
            while i < n and source[i] in SPACES:
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {offset}")
            if source[i] != "=":
                if tag == "blockquote" and name == "expandable":
                    opened.expandable = True
                    continue
                raise fail(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag}" at byte offset {offset}'
                )
            i += 1
            while i < n and source[i] in SPACES:
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {offset}")
            if source[i] not in "'\"":
                token_start = i
                while i < n and (
                    (source[i].isascii() and source[i].isalnum()) or source[i] in ".-"
                ):
                    i += 1
                value = source[token_start:i].lower()
                if i < n and source[i] not in SPACES and source[i] != ">":
                    raise fail(
                        f"Unexpected end of name token at byte offset "
                        f"{_byte_offset(source, token_start)}"
                    )
            else:
                quote = source[i]
                i += 1
                parts: list[str] = []
                while i < n and source[i] != quote:
                    if source[i] == "&" and (decoded := _decode_entity(source, i)) is not None:
                        char, i = decoded
                        parts.append(char)
                        continue
                    parts.append(source[i])
                    i += 1
                if i < n:
                    i += 1
                value = "".join(parts)
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {offset}")
            if tag == "a" and name == "href":
                opened.argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                opened.argument = value.removeprefix("language-")
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                opened.argument = value.removeprefix("tg-")
            elif tag == "tg-emoji" and name == "emoji-id":
                opened.argument = value
        if tag == "span" and opened.argument != "spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append(opened)
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    return Formatted("".join(out), _merge_code_languages(entities))


def _entity(opened: _Open, length: int) -> dict[str, Any]:
    kind = TAG_TYPES[opened.tag]
    entity: dict[str, Any] = {"type": kind, "offset": opened.start, "length": length}
    if kind == "text_link":
        if not opened.argument:
            entity["type"] = "url"
        else:
            entity["url"] = opened.argument
    elif kind == "code" and opened.argument:
        entity["language"] = opened.argument
    elif kind == "blockquote" and opened.expandable:
        entity["type"] = "expandable_blockquote"
    elif kind == "custom_emoji":
        entity["custom_emoji_id"] = opened.argument
    return entity


def _merge_code_languages(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Move a <code class="language-x"> language onto its enclosing <pre>, as Telegram does."""
    kept: list[dict[str, Any]] = []
    for entity in entities:
        language = entity.pop("language", None) if entity["type"] == "code" else None
        if language:
            pre = next(
                (
                    e
                    for e in entities
                    if e["type"] == "pre"
                    and e["offset"] == entity["offset"]
                    and e["length"] == entity["length"]
                ),
                None,
            )
            if pre is not None:
                pre["language"] = language
                continue
        kept.append(entity)
    return sorted(kept, key=lambda e: (e["offset"], -e["length"]))


def strip(formatted: Formatted) -> Formatted:
    """Trim surrounding whitespace and shift the entities, as the Bot API does."""
    text = formatted.text
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    if not stripped:
        return Formatted("", [])
    start = utf16_len(text[:lead])
    end = start + utf16_len(stripped)
    entities = []
    for entity in formatted.entities:
        lo = max(entity["offset"], start)
        hi = min(entity["offset"] + entity["length"], end)
        if hi > lo:
            entities.append({**entity, "offset": lo - start, "length": hi - lo})
    return Formatted(stripped, entities)


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Find the entities a Telegram client marks in typed text: commands and URLs."""
    found = [("bot_command", m) for m in COMMAND.finditer(text)]
    found += [("url", m) for m in URL.finditer(text)]
    entities = [
        {
            "type": kind,
            "offset": utf16_len(text[: m.start()]),
            "length": utf16_len(m.group()),
        }
        for kind, m in found
    ]
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _open_tag(entity: dict[str, Any], text: str) -> tuple[str, str]:
    kind = entity["type"]
    simple = {
        "bold": "b",
        "italic": "i",
        "underline": "u",
        "strikethrough": "s",
        "code": "code",
        "pre": "pre",
        "blockquote": "blockquote",
    }
    if kind in simple:
        name = simple[kind]
        return f"<{name}>", f"</{name}>"
    if kind == "expandable_blockquote":
        return '<blockquote class="expandable">', "</blockquote>"
    if kind == "spoiler":
        return '<span class="tg-spoiler">', "</span>"
    if kind in {"text_link", "url"}:
        url = entity.get("url") if kind == "text_link" else text
        if url and urlsplit(url).scheme.lower() in SAFE_SCHEMES:
            href = html.escape(url, quote=True)
            return f'<a href="{href}" target="_blank" rel="noopener noreferrer">', "</a>"
        return '<span class="tg-link">', "</span>"
    if kind == "bot_command":
        return '<span class="tg-command">', "</span>"
    return "<span>", "</span>"


def render_html(text: str, entities: list[dict[str, Any]] | None = None) -> str:
    """Render text and entities as HTML safe to insert into a page; text is always escaped."""
    if not entities:
        return html.escape(text, quote=False)
    units = text.encode("utf-16-le")

    def at(offset: int) -> int:
        """The code point index of a UTF-16 offset (clamped; inside a pair: after it)."""
        cut = units[: 2 * min(max(offset, 0), len(units) // 2)]
        return len(cut.decode("utf-16-le", errors="surrogatepass"))

    spans = []
    for entity in entities:
        offset = int(entity.get("offset", 0))
        start, end = at(offset), at(offset + int(entity.get("length", 0)))
        if end > start:
            spans.append((start, end, entity))
    spans.sort(key=lambda s: (s[0], -s[1]))
    bounds = sorted({0, len(text), *(s[0] for s in spans), *(s[1] for s in spans)})
    parts: list[str] = []
    stack: list[tuple[int, int, dict[str, Any]]] = []
    for lo, hi in itertools.pairwise(bounds):
        active = [s for s in spans if s[0] <= lo and s[1] >= hi]
        keep = 0
        while keep < len(stack) and keep < len(active) and stack[keep] is active[keep]:
            keep += 1
        for span in reversed(stack[keep:]):
            parts.append(_open_tag(span[2], text[span[0] : span[1]])[1])
        del stack[keep:]
        for span in active[keep:]:
            parts.append(_open_tag(span[2], text[span[0] : span[1]])[0])
            stack.append(span)
        parts.append(html.escape(text[lo:hi], quote=False))
    for span in reversed(stack):
        parts.append(_open_tag(span[2], text[span[0] : span[1]])[1])
    return "".join(parts)
