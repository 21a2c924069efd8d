"""Domain logic with no `request` in it."""


class ServiceError(Exception):
    """A refusal meant for people: `code` is stable snake_case, `message` is Italian."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
