"""Domain logic with no `request` in it, one subpackage per area of the domain.

From the bottom up (an area imports only the ones its `MAY_IMPORT` names, and
tests/test_layout.py checks it):
    people/     accounts, sign-up, invitations, rate limits, organisations, tokens, QR
    partners/   agreements (convenzioni), charities' capacity, closures and needs
    food/       what may be donated, the recipient proposal, labels, the custody timeline
    ops/        the operation engine: the only writer of donation and crate state
    logistics/  open pickups, own pickups, incoming deliveries, the coordinator's board
    impact/     figures, operational health, charts, the DDT and other documents, PDFs
    pages/      public campaigns and events, Markdown, images, iCalendar, RSVP
    notify/     the notification outbox, texts, inbox, Web Push
`registry.py` imports the modules whose import registers kinds, subscribers and
worker jobs. No module here imports `flask.request`, a blueprint or a template.
"""


class ServiceError(Exception):
    """A refusal meant for people: `code` is stable snake_case, `message` is Italian."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message
