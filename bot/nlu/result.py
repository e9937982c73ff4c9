"""The parse result: order lines, ambiguous phrases and unmatched phrases (DESIGN.md)."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class OptionPick:
    """One choice of an option group, with "extra", "light" or no amount."""

    group: str
    choice: str
    amount: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"group": self.group, "choice": self.choice, "amount": self.amount}


@dataclass(frozen=True, slots=True)
class Line:
    """One distinct thing ordered."""

    merchant: str
    item: str
    quantity: int
    options: tuple[OptionPick, ...] = ()
    excluded: tuple[str, ...] = ()
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "merchant": self.merchant,
            "item": self.item,
            "quantity": self.quantity,
            "options": [option.to_dict() for option in self.options],
            "excluded": list(self.excluded),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item a phrase may mean."""

    merchant: str
    item: str

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"merchant": self.merchant, "item": self.item}


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A phrase that fits several items equally and names none of them."""

    text: str
    quantity: int
    candidates: tuple[Candidate, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "text": self.text,
            "quantity": self.quantity,
            "candidates": [candidate.to_dict() for candidate in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class Unmatched:
    """A phrase that orders something no shop in the pack sells."""

    text: str
    quantity: int

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {"text": self.text, "quantity": self.quantity}


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything one message says about an order."""

    lines: tuple[Line, ...] = ()
    unmatched: tuple[Unmatched, ...] = ()
    ambiguous: tuple[Ambiguous, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """Return the parse-result JSON of DESIGN.md."""
        return {
            "lines": [line.to_dict() for line in self.lines],
            "unmatched": [entry.to_dict() for entry in self.unmatched],
            "ambiguous": [entry.to_dict() for entry in self.ambiguous],
        }
