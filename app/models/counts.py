"""Counts of the network kept exact in the transactions that change them (app/services/people/counts.py)."""
from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class NetworkCount(db.Model):
    """How many rows of one kind there are: 'org:<kind>' (active organisations), 'volunteer:<status>'.

    A key with no row counts 0. The coordinator's pages read these few rows instead
    of counting 50,000 volunteers and 38,000 organisations on every view.
    """
    __tablename__ = "network_count"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
