"""The read models of a tenant (its own store: ``views.sqlite`` or the tenant's schema).

Created and changed only by the migrations in infra/migrations; this module describes them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Uuid,
    false,
)

metadata = MetaData()

case_index = Table(
    "view_case_index",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
    Column("kind", String(20), nullable=False, index=True),
    Column("subtype", String(40)),  # request category, referral destination, visit purpose, activity kind
    Column("status", String(30), nullable=False),
    Column("structure", String(40), nullable=False),
    Column("beneficiary_id", Uuid, index=True),
    Column("occurred_on", Date, nullable=False, index=True),
    Column("closed_on", Date),
    Column("follow_up_due", Date),
    Column("outcome", String(30)),
    Column("recorded_by", String(64), nullable=False),
    Column("voided", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    # What the worklists need (issue 20): a request's agency (code), the other agency's last status and
    # the day it was given (never its protocol number, which stays in the entry); when a referral was
    # answered; a prosecutor-ordered visit's deadline (unpublished: None in a Region's store).
    Column("agency", String(40)),
    Column("agency_status", String(30)),
    Column("agency_status_on", Date),
    Column("answered_on", Date),
    Column("order_deadline", Date),
    # Issue 23, catalogue: the municipality's own code beside ``subtype`` (which keeps the national one
    # it maps to); null for a national code, and always in a Region's store (it is never published).
    Column("local_subtype", String(40)),
)

# Who is responsible for a person now, once a case was assigned (Beneficiary.CaseAssigned, internal:
# never in a Region's store). No row: the worker who recorded the intake, in the intake's structure.
responsibility = Table(
    "view_responsibility",
    metadata,
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("worker", String(64), nullable=False, index=True),
    Column("structure", String(40), nullable=False),
    Column("since", Date, nullable=False),
    Column("version", Integer, nullable=False),
)

# One row per registered person: the ESF entry profile. Special-category answers are kept here in
# the municipality's own store (the ESF indicators need them); nothing of this leaves the tenant.
people = Table(
    "view_people",
    metadata,
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("structure", String(40), nullable=False),
    Column("intake_on", Date, nullable=False, index=True),
    Column("gender", String(12), nullable=False),
    Column("age_at_entry", Integer, nullable=False),
    Column("employment_status", String(30), nullable=False),
    Column("isced_level", Integer, nullable=False),
    # The ESF participant file's (issue 21); null in rows folded before it was kept.
    Column("household_situation", String(30)),
    Column("residence_area", String(20), nullable=False),
    Column("foreign_background", Boolean, nullable=False),
    Column("third_country_national", Boolean, nullable=False),
    Column("homeless", Boolean, nullable=False),
    Column("disability", String(10)),  # yes / no / refused; null once the person's key is erased
    Column("minority", String(10)),
    Column("other_disadvantage", String(10)),
    Column("voided", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    # Erased (right to erasure): the row stays for the figures; nothing about the person is work any more.
    Column("erased", Boolean, nullable=False, server_default=false()),
)

# Who was served on which day: an intake, a request opened, a referral sent, a home visit, or an
# activity naming them. A person counts once per month and once per period, however many contacts.
contacts = Table(
    "view_contacts",
    metadata,
    Column("entry_id", Uuid, primary_key=True),
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("day", Date, nullable=False, index=True),
    Column("structure", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("voided", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_view_contacts_beneficiary_id", "beneficiary_id"),  # issue 24: a person's days, for the summaries
)

# ESF participation (issue 21; internal events, never in a Region's store). A person's entry into an
# operation after the intake's own (Beneficiary.OperationEntered), with the data of that day: the
# same columns as ``people``'s entry profile. The intake's operation is entered at the intake (``people``).
operation_entries = Table(
    "view_operation_entries",
    metadata,
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("operation", String(10), primary_key=True),  # the programme period, e.g. "2021-2027"
    Column("entered_on", Date, nullable=False, index=True),
    Column("structure", String(40), nullable=False),
    Column("automatic", Boolean, nullable=False),  # recorded by the platform at the first contact
    Column("gender", String(12), nullable=False),
    Column("age_at_entry", Integer, nullable=False),
    Column("employment_status", String(30), nullable=False),
    Column("isced_level", Integer, nullable=False),
    Column("household_situation", String(30), nullable=False),
    Column("residence_area", String(20), nullable=False),
    Column("foreign_background", Boolean, nullable=False),
    Column("third_country_national", Boolean, nullable=False),
    Column("homeless", Boolean, nullable=False),
    Column("disability", String(10)),  # yes / no / refused; null once unreadable (erased without statistics)
    Column("minority", String(10)),
    Column("other_disadvantage", String(10)),
    Column("version", Integer, nullable=False),
)

# Leaving an operation and the six-month follow-up (Beneficiary.OperationLeft, LongTermResultRecorded,
# OperationRecordCorrected), one row per person and operation, for every operation (the intake's too).
operation_exits = Table(
    "view_operation_exits",
    metadata,
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("operation", String(10), primary_key=True),
    Column("structure", String(40), nullable=False),
    Column("left_on", Date, nullable=False, index=True),
    Column("job_searching", Boolean, nullable=False),
    Column("in_education_or_training", Boolean, nullable=False),
    Column("qualification_gained", Boolean, nullable=False),
    Column("employed", Boolean, nullable=False),
    Column("follow_up_due", Date, nullable=False, index=True),  # left_on + 6 months (domain.esf.follow_up_due)
    Column("followed_up_on", Date),
    Column("employed_after_six_months", Boolean),
    Column("improved_after_six_months", Boolean),
    Column("version", Integer, nullable=False),
)

positions = Table(
    "view_positions",
    metadata,
    Column("view", String(40), primary_key=True),
    Column("position", Integer, nullable=False),
)

# Regional stores only: the envelopes already applied (so replays and duplicates count once) and
# when each was recorded and applied (the regional lag).
rollup_events = Table(
    "rollup_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

# Regional stores only: each person's region-wide link (a keyed hash of the ΑΜΚΑ under the Region's
# linkage key, which this store never holds) and the key's id, so that a Region counts distinct people
# across its municipalities. No row: the person has no ΑΜΚΑ, the Region no key, or the person was erased.
region_links = Table(
    "region_links",
    metadata,
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("kid", String(8), nullable=False),
    Column("link", String(64), nullable=False),
)

# Tenant stores: the audit chain over the log's stored bytes (projections/audit.py). ``hash`` is the
# public SHA-256 chain (what checkpoints sign and exports carry); ``mac`` the keyed HMAC-SHA256 chain,
# which no one without the tenant's chain key can extend. Written only by the chain role.
audit_chain = Table(
    "audit_chain_keyed",
    metadata,
    Column("position", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("mac", String(64), nullable=False),
    # An event without a seal from before seals existed, chained when the keyed chain was first built.
    Column("legacy", Boolean, nullable=False),
)

# Tenant stores: marks the chain's writer makes on the store; ``no-legacy`` (its MAC under the chain key)
# on a store provisioned with an empty log, where no row without a seal is from before seals.
audit_store_marks = Table(
    "audit_store_marks",
    metadata,
    Column("mark", String(32), primary_key=True),
    Column("mac", String(64), nullable=False),
)

# Tenant stores: the chain's head, signed now and then; published to kentra.checkpoints.v1 by the gateway.
audit_checkpoints = Table(
    "audit_checkpoints",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("position", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("signed_at", String(40), nullable=False),
    Column("public_key", String(64), nullable=False),
    Column("signature", String(128), nullable=False, unique=True),
    Column("published_at", DateTime(timezone=True)),
)

# ---- issue 23: households (tenant stores only: households never leave the municipality).
# A household: where and when it was formed, and its size now (an erased member still counted: their
# slot stays in the household, tied to no one). Nothing here names a person.
households = Table(
    "view_households",
    metadata,
    Column("household_id", Uuid, primary_key=True),
    Column("structure", String(40), nullable=False, index=True),
    Column("formed_on", Date, nullable=False),
    Column("size", Integer, nullable=False),
    Column("version", Integer, nullable=False),
)

# Who is in which household now, with their relation to the head: one row per person (a person is in
# at most one household). Folded from the person's membership (sealed under their key): the row goes
# with their erasure, and a rebuild after it makes none (their membership no longer opens).
household_members = Table(
    "view_household_members",
    metadata,
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("household_id", Uuid, nullable=False, index=True),
    Column("relation", String(20), nullable=False),
    Column("since", Date, nullable=False),
    Column("version", Integer, nullable=False),
)

# ---- issue 24: the indicators' summaries (projections/summary.py keeps them; docs/indicators.md).
# Additive counts per day and per month (``grain`` "d" or "m"; a month's row is on its first day):
# entries by (structure, kind, subtype, outcome-or-status, gender of the person), intakes by (the
# person's structure, gender), and people whose first day served (in a structure, or "*": anywhere) it was.
indicator_counts = Table(
    "view_indicator_counts",
    metadata,
    Column("grain", String(1), nullable=False),
    Column("day", Date, nullable=False),
    Column("structure", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("key", String(40)),
    Column("key2", String(30)),
    Column("gender", String(12)),
    Column("n", Integer, nullable=False),
    Index("ix_view_indicator_counts_grain_day", "grain", "day"),  # what a refresh deletes
    Index("ix_view_indicator_counts_kind_grain_day", "kind", "grain", "day"),  # what a query reads
)

# The people served per day and per month, by structure ("*": all) and gender: a roaring bitmap of
# their ordinals (``members``) and its cardinality ``n``, so a period's distinct people are a union.
served_sets = Table(
    "view_served_sets",
    metadata,
    Column("grain", String(1), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("structure", String(40), primary_key=True),
    Column("gender", String(12), primary_key=True),
    Column("n", Integer, nullable=False),
    Column("members", LargeBinary, nullable=False),
)

# A small number per person, for the bitmaps: given in order of intake, so a month's people are close.
person_ordinals = Table(
    "view_person_ordinals",
    metadata,
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("ordinal", Integer, nullable=False, unique=True),
)

# The first day each person was served, per structure and ("*") anywhere: "since opening" is additive.
first_served = Table(
    "view_first_served",
    metadata,
    Column("beneficiary_id", Uuid, primary_key=True),
    Column("structure", String(40), primary_key=True),
    Column("day", Date, nullable=False, index=True),  # a refresh counts a day's first days
    Column("gender", String(12), nullable=False),
)

SUMMARY_TABLES = (indicator_counts, served_sets, person_ordinals, first_served)
