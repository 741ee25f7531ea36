"""Results of the Smarter platform's ``cli/whoami/`` route."""

import attrs

from smarter.types._base import BaseModel, publish

__all__ = ["WhoAmIUser", "WhoAmIAccount", "WhoAmI"]


@attrs.frozen(kw_only=True)
class WhoAmIUser(BaseModel):
    """The user the API key belongs to.

    Newer servers spell the fields in camelCase (``firstName``, ``isStaff``), older ones in
    snake_case; both are read into these fields.

    .. versionadded:: 0.2.0
    """

    username: str | None = None
    """The user's login name."""
    email: str | None = None
    """The user's email address."""
    first_name: str | None = None
    """The user's first name."""
    last_name: str | None = None
    """The user's last name."""
    is_staff: bool | None = None
    """Whether the user may administer the platform."""
    is_superuser: bool | None = None
    """Whether the user has every permission."""


@attrs.frozen(kw_only=True)
class WhoAmIAccount(BaseModel):
    """The account the API key belongs to.

    .. versionadded:: 0.2.0
    """

    account_number: str | None = None
    """The account number, e.g. ``"3141-5926-5359"``."""
    company_name: str | None = None
    """The name of the company that owns the account."""


@attrs.frozen(kw_only=True)
class WhoAmI(BaseModel):
    """Who the API key belongs to: the ``data`` of the ``cli/whoami/`` envelope.

    .. versionadded:: 0.2.0
    """

    user: WhoAmIUser
    """The user."""
    account: WhoAmIAccount | None = None
    """The user's account."""
    environment: str | None = None
    """The platform environment that answered, e.g. ``"prod"``."""


publish(globals())
