"""``WhoAmI``: camelCase from newer Smarter servers, snake_case from older ones."""

from __future__ import annotations

import pytest

from smarter import APIResponseValidationError
from smarter._converter import structure
from smarter.types import WhoAmI, WhoAmIAccount, WhoAmIUser

SNAKE = {
    "user": {
        "username": "mcdaniel",
        "email": "lawrence@example.com",
        "first_name": "Lawrence",
        "last_name": "McDaniel",
        "is_staff": True,
        "is_superuser": False,
    },
    "account": {"account_number": "3141-5926-5359", "company_name": "Smarter Sh"},
    "environment": "prod",
}
CAMEL = {
    "user": {
        "username": "mcdaniel",
        "email": "lawrence@example.com",
        "firstName": "Lawrence",
        "lastName": "McDaniel",
        "isStaff": True,
        "isSuperuser": False,
    },
    "account": {"accountNumber": "3141-5926-5359", "companyName": "Smarter Sh"},
    "environment": "prod",
}
EXPECTED = WhoAmI(
    user=WhoAmIUser(
        username="mcdaniel",
        email="lawrence@example.com",
        first_name="Lawrence",
        last_name="McDaniel",
        is_staff=True,
        is_superuser=False,
    ),
    account=WhoAmIAccount(account_number="3141-5926-5359", company_name="Smarter Sh"),
    environment="prod",
)


@pytest.mark.parametrize("body", [SNAKE, CAMEL], ids=["snake_case", "camelCase"])
class TestBothSpellings:
    def test_structure(self, body: dict[str, object]) -> None:
        """Either spelling structures to the same snake_case fields."""
        expected = EXPECTED

        assert expected == structure(body, WhoAmI)

    def test_to_dict_keeps_the_spelling(self, body: dict[str, object]) -> None:
        """``to_dict()`` gives the body back in the spelling it came in."""
        assert body == structure(body, WhoAmI).to_dict()

    def test_fields_set(self, body: dict[str, object]) -> None:
        """The fields set are the Python names, whatever the spelling."""
        user = structure(body, WhoAmI).user
        expected = {"username", "email", "first_name", "last_name", "is_staff", "is_superuser"}

        assert expected == user.model_fields_set


class TestWhoAmI:
    def test_unknown_fields(self) -> None:
        """Fields this client does not know are kept on the user and the account."""
        body = {
            "user": {"username": "u", "isActive": True, "dateJoined": "2024-03-01"},
            "account": {"accountNumber": "1", "currency": "USD"},
            "environment": "alpha",
        }
        expected = (True, "2024-03-01", "USD", body)

        whoami = structure(body, WhoAmI)

        assert expected == (
            whoami.user.isActive,
            whoami.user.dateJoined,
            whoami.account.currency,
            whoami.to_dict(),
        )

    def test_minimal(self) -> None:
        """Only ``user`` is required; its fields are all optional."""
        whoami = structure({"user": {}}, WhoAmI)
        expected = (WhoAmIUser(), None, None, {"user"})

        assert expected == (
            whoami.user,
            whoami.account,
            whoami.environment,
            whoami.model_fields_set,
        )

    def test_snake_case_wins(self) -> None:
        """When a field comes in both spellings, the snake_case one is read."""
        user = structure({"first_name": "Snake", "firstName": "Camel"}, WhoAmIUser)
        expected = "Snake"

        assert expected == user.first_name

    def test_strict_bool(self) -> None:
        """``isStaff`` must be a bool; the error names the key that was sent."""
        expected = "WhoAmI: $.user.isStaff: expected bool, got str 'yes'"

        with pytest.raises(APIResponseValidationError) as info:
            structure({"user": {"isStaff": "yes"}}, WhoAmI)

        assert expected == info.value.message
