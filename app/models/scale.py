"""Indexes the national-scale reads need (issue 17), declared beside each other so create_all() and
autogenerate see them.

- Open pickups near a volunteer: a bounding box on the stores' coordinates
  (app/services/logistics/pickups.py) reads the stores of the box through
  ix_organisation_lat_lon, then their open donations through
  ix_donation_store_status_window.
- The operation log: health.py reads applied unclaims since a date
  (ix_operation_kind_occurred); timelines read one donation's operations
  (ix_operation_donation_occurred, in operation.py); replays find an op_id
  through its unique index.
- The coordinator's volunteer list: one status, keyset-paged by (sign-up time,
  id), reads its page through ix_volunteer_profile_status_created (no sort of
  every approved volunteer).
"""
from sqlalchemy import Index

from app.models.donation import Donation
from app.models.operation import Operation
from app.models.org import Organisation
from app.models.user import VolunteerProfile

Index("ix_organisation_lat_lon", Organisation.lat, Organisation.lon)
Index("ix_donation_store_status_window", Donation.store_id, Donation.status, Donation.window_end)
Index("ix_operation_kind_occurred", Operation.kind, Operation.occurred_at)
Index("ix_volunteer_profile_status_created", VolunteerProfile.status, VolunteerProfile.created_at,
      VolunteerProfile.user_id)
