"""What intake records about a person, split by how it must be protected.

- ``ParticipantProfile``: the ESF entry attributes that indicators need. Stored in clear in events:
  no name, no number, nothing special-category; ages are kept as age at entry, never a birth date.
- ``SpecialCategoryAnswers``: disability, minority (incl. Roma) and other disadvantage (GDPR Art. 9).
  Sealed with the beneficiary's own key, never in clear.
- ``PersonalDetails``: who the person is and how to reach them. Sealed with the beneficiary's key.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
)

from domain.catalogue import (
    Answer,
    EmploymentStatus,
    Gender,
    HouseholdSituation,
    ResidenceArea,
)
from domain.identifiers import normalise_afm, normalise_amka

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
FreeText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=4000)]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


class ParticipantProfile(Frozen):
    gender: Gender
    age_at_entry: int = Field(ge=0, le=120)
    employment_status: EmploymentStatus
    isced_level: int = Field(ge=0, le=8, description="ISCED 2011 level, 0-8")
    household_situation: HouseholdSituation
    residence_area: ResidenceArea
    foreign_background: bool
    third_country_national: bool
    homeless_or_housing_exclusion: bool


class SpecialCategoryAnswers(Frozen):
    """Each answer may be REFUSED; a refusal is recorded as such, never guessed."""

    disability: Answer
    minority: Answer = Field(description="Minorities, including marginalised communities such as Roma")
    other_disadvantage: Answer


class PersonalDetails(Frozen):
    first_name: Name
    last_name: Name
    birth_date: date
    amka: str | None = None
    afm: str | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ]{5,20}$")] | None = None
    email: EmailStr | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)] | None = None
    notes: FreeText | None = None

    @field_validator("amka")
    @classmethod
    def _amka(cls, value: str | None) -> str | None:
        return None if value is None else normalise_amka(value)

    @field_validator("afm")
    @classmethod
    def _afm(cls, value: str | None) -> str | None:
        return None if value is None else normalise_afm(value)


def age_on(birth_date: date, day: date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))
