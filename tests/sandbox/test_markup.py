"""Telegram HTML parsing and safe rendering, table-driven."""

import pytest

from bot.sandbox import markup


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("plain", "plain", []),
        ("<b>굵게</b> 보통", "굵게 보통", [{"type": "bold", "offset": 0, "length": 2}]),
        (
            "<strong>a</strong><em>b</em>",
            "ab",
            [
                {"type": "bold", "offset": 0, "length": 1},
                {"type": "italic", "offset": 1, "length": 1},
            ],
        ),
        (
            '<a href="https://x.kr/?a=1&amp;b=2">링크</a>',
            "링크",
            [
                {"type": "text_link", "offset": 0, "length": 2, "url": "https://x.kr/?a=1&b=2"},
            ],
        ),
        ("&lt;tag&gt; &amp; &quot;q&quot; &#54620; &#xD55C;", '<tag> & "q" 한 한', []),
        ("AT&T &nbsp;", "AT&T &nbsp;", []),
        (
            '<span class="tg-spoiler">s</span>',
            "s",
            [{"type": "spoiler", "offset": 0, "length": 1}],
        ),
        (
            '<pre><code class="language-python">x=1</code></pre>',
            "x=1",
            [
                {"type": "pre", "offset": 0, "length": 3, "language": "python"},
            ],
        ),
        (
            "<blockquote expandable>q</blockquote>",
            "q",
            [
                {"type": "expandable_blockquote", "offset": 0, "length": 1},
            ],
        ),
        ("😀<b>x</b>", "😀x", [{"type": "bold", "offset": 2, "length": 1}]),
        ("<b></b>empty", "empty", []),
        ("<B>upper</B>", "upper", [{"type": "bold", "offset": 0, "length": 5}]),
        ("a & b &x<b>y</b>", "a & b &xy", [{"type": "bold", "offset": 8, "length": 1}]),
        (
            "😀 run 🍗<i>z</i> end",
            "😀 run 🍗z end",
            [{"type": "italic", "offset": 9, "length": 1}],
        ),
    ],
    ids=[
        "plain",
        "bold-ko",
        "strong-em",
        "link",
        "entities",
        "bare-amp",
        "spoiler",
        "pre-lang",
        "expandable",
        "utf16",
        "empty-tag",
        "uppercase",
        "literal-amps-in-a-run",
        "runs-with-emoji",
    ],
)
def test_parse_html(source: str, text: str, entities: list[dict[str, object]]) -> None:
    parsed = markup.parse_html(source)
    assert parsed.text == text
    assert parsed.entities == entities


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<script>x</script>", 'Unsupported start tag "script" at byte offset 0'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("한<b", "Unclosed start tag at byte offset 3"),
        (
            "<a href=x y>",
            'Expected equal sign in declaration of an attribute of the tag "a" at byte offset 0',
        ),
    ],
    ids=["lt", "unclosed", "unknown", "unmatched", "stray-end", "span", "cut", "attr"],
)
def test_parse_html_errors(source: str, error: str) -> None:
    with pytest.raises(markup.EntityParseError) as caught:
        markup.parse_html(source)
    assert str(caught.value) == error


@pytest.mark.parametrize(
    ("text", "entities", "html"),
    [
        ("<script>", [], "&lt;script&gt;"),
        (
            "ab",
            [
                {"type": "bold", "offset": 0, "length": 2},
                {"type": "italic", "offset": 1, "length": 1},
            ],
            "<b>a<i>b</i></b>",
        ),
        (
            "go",
            [{"type": "text_link", "offset": 0, "length": 2, "url": "javascript:alert(1)"}],
            '<span class="tg-link">go</span>',
        ),
        (
            "go",
            [{"type": "text_link", "offset": 0, "length": 2, "url": 'https://a/"><x'}],
            '<a href="https://a/&quot;&gt;&lt;x" target="_blank" rel="noopener noreferrer">go</a>',
        ),
        ("a😀b", [{"type": "code", "offset": 1, "length": 2}], "a<code>😀</code>b"),
        # an offset inside a surrogate pair counts from after the character, as before
        ("😀ab", [{"type": "bold", "offset": 1, "length": 2}], "😀<b>a</b>b"),
        ("ab", [{"type": "bold", "offset": 1, "length": 9}], "a<b>b</b>"),  # past the end
        ("", [{"type": "bold", "offset": 0, "length": 1}], ""),
    ],
    ids=["escape", "nested", "js-link", "quoted-href", "utf16", "in-pair", "past-end", "empty"],
)
def test_render_html(text: str, entities: list[dict[str, object]], html: str) -> None:
    assert markup.render_html(text, entities) == html


def test_strip_shifts_entities() -> None:
    stripped = markup.strip(markup.parse_html("  <b>hi</b>  "))
    assert stripped == markup.Formatted("hi", [{"type": "bold", "offset": 0, "length": 2}])


def test_detect_commands() -> None:
    assert markup.detect_entities("/start now") == [
        {"type": "bot_command", "offset": 0, "length": 6}
    ]
