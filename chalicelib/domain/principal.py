"""Who is asking: a signed-in user or an API key, always of exactly one tenant."""

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"
    # The provider's staff (an MSP): admin of their own tenant, and onboards new tenants.
    # Creating a tenant gives them no access to its data.
    OPERATOR = "operator"

    @property
    def rank(self) -> int:
        return _RANK[self]

    def at_least(self, other: "Role") -> bool:
        return self.rank >= other.rank


_RANK = {Role.REQUESTER: 0, Role.AGENT: 1, Role.SUPERVISOR: 2, Role.ADMIN: 3, Role.OPERATOR: 4}


def highest_role(names: list[str]) -> Role | None:
    """A user in several Cognito groups acts with the strongest of them."""
    roles = [Role(n) for n in names if n in Role._value2member_map_]
    return max(roles, key=lambda r: r.rank) if roles else None


@dataclass(frozen=True)
class Principal:
    tenant: str
    role: Role
    kind: Literal["user", "api_key", "system"]
    id: str  # the e-mail address of a user, the key id of an API key
    name: str
    email: str | None = None
    locale: str = "en"

    @property
    def is_staff(self) -> bool:
        return self.role.at_least(Role.AGENT)

    @classmethod
    def system(cls, tenant: str, job: str) -> "Principal":
        """Balie itself, acting for a schedule (auto-close, the SLA sweep)."""
        return cls(tenant=tenant, role=Role.ADMIN, kind="system", id=job, name="Balie")

    def actor(self) -> dict[str, str]:
        """How this principal is recorded in the audit trail."""
        return {"kind": self.kind, "id": self.id, "name": self.name, "role": self.role.value}
