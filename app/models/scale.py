"""Indexes the national-scale reads need (issue 17), declared beside each other so create_all() and
autogenerate see them.

- Open pickups near a volunteer: a bounding box on the stores' coordinates
  (app/services/logistics/pickups.py) reads the stores of the box through
  ix_organisation_lat_lon (and those with no coordinates through
  ix_organisation_unplaced), then their open donations, store by store, through
  ix_donation_store_status_window.
- The operation log: health.py reads applied unclaims since a date
  (ix_operation_kind_occurred); timelines read one donation's operations
  (ix_operation_donation_occurred, in operation.py); replays find an op_id
  through its unique index.
- The coordinator's volunteer list: one status, keyset-paged by (sign-up time,
  id), reads its page through ix_volunteer_profile_status_created (no sort of
  every approved volunteer). Its search (ILIKE '%text%' on name or email) uses
  trigram GIN indexes on PostgreSQL (pg_trgm): 50,000 volunteers with no match
  took 80 to 150 ms as a scan, 1 ms through the indexes. SQLite, the embedded
  run of one province, gets plain indexes of the same name (unused by a
  substring search, kept so the schema matches the migrations everywhere).
"""
from sqlalchemy import DDL, Index, event, text

from app.extensions import db

from app.models.donation import Donation
from app.models.operation import Operation
from app.models.org import Organisation
from app.models.user import User, VolunteerProfile

Index("ix_organisation_lat_lon", Organisation.lat, Organisation.lon)
# The few organisations without coordinates (open pickups list their donations whatever the distance).
Index("ix_organisation_unplaced", Organisation.id, postgresql_where=text("lat IS NULL OR lon IS NULL"),
      sqlite_where=text("lat IS NULL OR lon IS NULL"))
Index("ix_donation_store_status_window", Donation.store_id, Donation.status, Donation.window_end)
Index("ix_operation_kind_occurred", Operation.kind, Operation.occurred_at)
Index("ix_volunteer_profile_status_created", VolunteerProfile.status, VolunteerProfile.created_at,
      VolunteerProfile.user_id)

# create_all() (tests, the embedded run) needs the extension before the trigram indexes; migration 0014 creates it.
event.listen(db.metadata, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))
Index("ix_user_account_name_trgm", User.name, postgresql_using="gin", postgresql_ops={"name": "gin_trgm_ops"})
Index("ix_user_account_email_trgm", User.email, postgresql_using="gin", postgresql_ops={"email": "gin_trgm_ops"})
