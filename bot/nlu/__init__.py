"""Order understanding: read a chat message against a region's menus (PARSING.md).

``build_index(pack)`` once per menu pack (all shops of a region), then
``parse(text, index, merchant=None)`` per message; ``ParseResult.to_dict()`` is the parse JSON
of DESIGN.md (entry shapes: bot/nlu/parser.py). Steps: normalize -> words (+ quantities) ->
mentions (matcher, index) -> modifiers -> counting -> lines. Pure: no I/O, no database.
"""

from bot.nlu.index import IndexBuilder, MenuIndex, ParseError, build_index
from bot.nlu.parser import parse
from bot.nlu.result import Ambiguous, Candidate, Line, OptionPick, ParseResult, Unmatched

__all__ = [
    "Ambiguous",
    "Candidate",
    "IndexBuilder",
    "Line",
    "MenuIndex",
    "OptionPick",
    "ParseError",
    "ParseResult",
    "Unmatched",
    "build_index",
    "parse",
]
