"""Expected failures of the services, carrying data; handlers choose the words."""


class ServiceError(Exception):
    """Base of the expected failures a handler turns into a polite reply."""


class InvalidMenuPack(ServiceError):
    """A menu pack was refused; `problems` lists each one with its path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the menu pack")
        self.problems = problems


class NotFound(ServiceError):
    """A shop, item or order that does not exist (or is no longer offered)."""

    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!r} not found")
        self.kind = kind
        self.key = key
