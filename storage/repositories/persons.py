"""People: one row per human being, whatever chat accounts they use."""

from __future__ import annotations

from bot.domain.models import Person
from storage.columns import email_key
from storage.engine import Row
from storage.errors import DuplicateEmail, NotFound, UniqueViolation
from storage.repositories.base import Repository

COLUMN_NAMES = (
    "id",
    "name",
    "surname",
    "email",
    "phone",
    "telegram_username",
    "matrix_id",
    "language",
)
COLUMNS = ", ".join(COLUMN_NAMES)


def person_from_row(row: Row) -> Person:
    return Person(
        id=row["id"],
        name=row["name"],
        surname=row["surname"],
        email=row["email"],
        phone=row["phone"],
        telegram_username=row["telegram_username"],
        matrix_id=row["matrix_id"],
        language=row["language"],
    )


def _values(person: Person) -> tuple[str | None, ...]:
    email = person.email.strip()
    return (
        person.name,
        person.surname,
        email,
        email_key(email),
        person.phone,
        person.telegram_username,
        person.matrix_id,
        person.language,
    )


class PersonRepository(Repository):
    __slots__ = ()

    async def get(self, person_id: int) -> Person | None:
        return await self._get(
            f"SELECT {COLUMNS} FROM persons WHERE id = ?", (person_id,), person_from_row
        )

    async def get_by_email(self, email: str) -> Person | None:
        """Case-insensitive: Ana.Novak@Obcina.si finds ana.novak@obcina.si."""
        key = email_key(email)
        if key is None:
            return None
        return await self._get(
            f"SELECT {COLUMNS} FROM persons WHERE email_key = ?", (key,), person_from_row
        )

    async def get_by_matrix_id(self, matrix_id: str) -> Person | None:
        """The person the roster lists with this Matrix ID (linked or not yet)."""
        if not matrix_id:
            return None
        return await self._get(
            f"SELECT {COLUMNS} FROM persons WHERE matrix_id = ?", (matrix_id,), person_from_row
        )

    async def list(self) -> list[Person]:
        return await self._list(
            f"SELECT {COLUMNS} FROM persons ORDER BY surname, name, id", (), person_from_row
        )

    async def add(self, person: Person) -> Person:
        """Stores a new person (``person.id`` is ignored) and returns it with its id."""
        try:
            row = await self._one(
                "INSERT INTO persons (name, surname, email, email_key, phone, "
                "telegram_username, matrix_id, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                f"RETURNING {COLUMNS}",
                _values(person),
            )
        except UniqueViolation as error:
            raise DuplicateEmail(person.email) from error
        assert row is not None
        return person_from_row(row)

    async def update(self, person: Person) -> Person:
        if person.id is None:
            raise ValueError("update needs a stored person (id is None)")
        try:
            row = await self._one(
                "UPDATE persons SET name = ?, surname = ?, email = ?, email_key = ?, phone = ?, "
                "telegram_username = ?, matrix_id = ?, language = ? WHERE id = ? "
                f"RETURNING {COLUMNS}",
                (*_values(person), person.id),
            )
        except UniqueViolation as error:
            raise DuplicateEmail(person.email) from error
        if row is None:
            raise NotFound("persons", person.id)
        return person_from_row(row)

    async def set_language(self, person_id: int, language: str) -> Person:
        row = await self._one(
            f"UPDATE persons SET language = ? WHERE id = ? RETURNING {COLUMNS}",
            (language, person_id),
        )
        if row is None:
            raise NotFound("persons", person_id)
        return person_from_row(row)
