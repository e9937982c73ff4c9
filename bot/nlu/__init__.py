"""Order understanding: read a chat message against a region's menus (PARSING.md)."""

from bot.nlu.index import MenuIndex, ParseError, build_index
from bot.nlu.parser import parse
from bot.nlu.result import Ambiguous, Candidate, Line, OptionPick, ParseResult, Unmatched

__all__ = [
    "Ambiguous",
    "Candidate",
    "Line",
    "MenuIndex",
    "OptionPick",
    "ParseError",
    "ParseResult",
    "Unmatched",
    "build_index",
    "parse",
]
