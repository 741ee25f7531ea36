"""Results of the Smarter platform's ``cli/whoami/``, ``cli/version/`` and ``cli/status/``."""

from typing import Any

import attrs

from smarter.types._base import BaseModel, publish

__all__ = ["WhoAmIUser", "WhoAmIAccount", "WhoAmI", "PlatformVersion", "PlatformStatus"]


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


@attrs.frozen(kw_only=True)
class PlatformVersion(BaseModel):
    """The ``data`` of ``version``: the platform's version and its Python packages.

    .. versionadded:: 0.3.0
    """

    api: dict[str, Any] = attrs.field(factory=dict)
    """``{"version": "0.14.19", "python": {package: version}}``."""
    cli: dict[str, Any] | None = None
    """``{"version": ...}``: the Go CLI's latest version, as the server fetched it."""

    @property
    def version(self) -> str | None:
        """The platform's version, e.g. ``"0.14.19"``."""
        value = self.api.get("version")
        return value if isinstance(value, str) else None

    @property
    def cli_version(self) -> str | None:
        """The Go CLI's version the server reports."""
        value = (self.cli or {}).get("version")
        return value if isinstance(value, str) else None


@attrs.frozen(kw_only=True)
class PlatformStatus(BaseModel):
    """The ``data`` of ``status``: the platform's infrastructure and compute.

    .. versionadded:: 0.3.0
    """

    infrastructures: dict[str, Any] = attrs.field(factory=dict)
    """``{"kubernetes", "mysql", "redis"}``, each as the server describes it."""
    compute: dict[str, Any] = attrs.field(factory=dict)
    """``{"machine", "release", "platform", "processor", "system", "version"}``."""


publish(globals())
