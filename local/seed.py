"""Demo data for `make run`: two tenants and a login per role, created through the services.

Idempotent: the services' ensure_* functions leave what already exists as it is, so seeding
twice changes nothing.
"""

import contextlib
import os
from dataclasses import dataclass, field

DEFAULT_PASSWORD = "Balie-demo-2026!"  # noqa: S105 - the documented local demo login


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str
    tier: int | None = None
    groups: tuple[str, ...] = ()

    def describe(self) -> str:
        details = [self.role]
        if self.tier is not None:
            details.append(f"tier {self.tier}")
        details.extend(self.groups)
        return ", ".join(details)


@dataclass(frozen=True)
class DemoTenant:
    id: str
    name: str
    locale: str
    timezone: str
    inbound_addresses: tuple[str, ...]
    groups: tuple[str, ...]
    country: str
    users: tuple[DemoUser, ...] = field(default_factory=tuple)


DEMO_TENANTS: tuple[DemoTenant, ...] = (
    DemoTenant(
        id="demo",
        name="Demo BV",
        locale="nl",
        timezone="Europe/Amsterdam",
        inbound_addresses=("support@demo.example.com",),
        groups=("servicedesk", "network", "workplace"),
        country="NL",
        users=(
            DemoUser("requester@demo.example.com", "Sanne de Vries", "requester"),
            DemoUser("requester2@demo.example.com", "Bram Jansen", "requester"),
            DemoUser("agent@demo.example.com", "Eva Bakker", "agent", 1, ("servicedesk",)),
            DemoUser("agent2@demo.example.com", "Daan Visser", "agent", 2, ("network",)),
            DemoUser("supervisor@demo.example.com", "Lotte Smit", "supervisor"),
            DemoUser("admin@demo.example.com", "Ruben Mulder", "admin"),
            # The provider's own staff: onboards new customer tenants (make tenant-add).
            DemoUser("operator@demo.example.com", "Noor de Wit", "operator"),
        ),
    ),
    DemoTenant(
        id="acme",
        name="Acme Ltd",
        locale="en",
        timezone="Europe/London",
        inbound_addresses=("support@acme.example.com",),
        groups=("servicedesk",),
        country="GB",
        users=(
            DemoUser("requester@acme.example.com", "Alice Morgan", "requester"),
            DemoUser("agent@acme.example.com", "Oliver Hughes", "agent", 1, ("servicedesk",)),
            DemoUser("admin@acme.example.com", "Grace Turner", "admin"),
        ),
    ),
)


def demo_password() -> str:
    return os.environ.get("BALIE_DEMO_PASSWORD") or DEFAULT_PASSWORD


def seed_demo(password: str | None = None) -> list[tuple[str, str]]:
    """The demo tenants, their users and the demo story; returns (login, role) lines."""
    logins = seed_people(password or demo_password())
    _seed_catalog()
    _seed_tickets()
    _seed_macros_and_announcement()
    _seed_articles()
    return logins


def seed_people(password: str) -> list[tuple[str, str]]:
    """The demo tenants and a login per role, without tickets (tests and bench start here)."""
    # Imported here: the app's settings must see the provisioned environment first.
    from chalicelib.domain.principal import Role
    from chalicelib.services import tenants, users
    from chalicelib.wiring import sla_settings

    logins: list[tuple[str, str]] = []
    for tenant in DEMO_TENANTS:
        tenants.ensure_tenant(
            tenant.id,
            name=tenant.name,
            locale=tenant.locale,
            timezone=tenant.timezone,
            inbound_addresses=list(tenant.inbound_addresses),
            groups=list(tenant.groups),
            sla=sla_settings(),
        )
        _seed_calendar(tenant)
        _verify_mail_identities(tenant)
        for user in tenant.users:
            users.ensure_user(
                tenant.id,
                email=user.email,
                name=user.name,
                role=Role(user.role),
                password=password,
                tier=user.tier,
                groups=list(user.groups),
                locale=tenant.locale,
            )
            logins.append((user.email, user.describe()))
    return logins


def _verify_mail_identities(tenant: DemoTenant) -> None:
    """SES sends only from verified identities; deployed, the operator verifies the domain
    (docs/deploy.md), here moto takes our word for it."""
    from chalicelib.adapters.aws import client

    for address in tenant.inbound_addresses:
        client("ses").verify_domain_identity(Domain=address.rsplit("@", 1)[-1])


def _seed_calendar(tenant: DemoTenant) -> None:
    """Office hours with a lunch break and the country's public holidays (plus Christmas Eve
    for demo), set through the same service a supervisor's PUT uses."""
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.wiring import sla_settings

    settings = sla_settings()
    current = settings.effective(tenant.id).hours
    if current.document.get("holidays", {}).get("country"):
        return  # seeded before
    day = [["08:30", "12:00"], ["12:30", "17:30"]]
    hours = {
        "timezone": tenant.timezone,
        "week": {d: day for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": [], "sun": []},
        "holidays": {
            "country": tenant.country,
            "subdivision": None,
            "extra": ["2026-12-24"] if tenant.id == "demo" else [],
            "exclude": [],
        },
    }
    supervisor = Principal(tenant.id, Role.ADMIN, "user", "seed", "seed", None, tenant.locale)
    settings.replace(supervisor, "hours", hours, current.version)


@dataclass(frozen=True)
class DemoTicket:
    """One ticket of the demo story and what happened to it after it was filed."""

    key: str
    requester: str
    channel: str
    subject: str
    description: str
    impact: str = "medium"
    urgency: str = "medium"
    type: str = "incident"
    filed_by: str | None = None  # an agent logging a phone call
    steps: tuple[tuple[str, str, str], ...] = ()  # (who, action, value)


DEMO_TICKETS: tuple[DemoTicket, ...] = (
    DemoTicket(
        "vpn",
        "requester@demo.example.com",
        "portal",
        "VPN-verbinding valt elke 10 minuten weg",
        "Sinds vanochtend valt mijn VPN steeds weg, thuis en op kantoor.",
        urgency="high",
        steps=(
            (
                "agent@demo.example.com",
                "reply",
                "Dank je, we kijken ernaar. Welke client gebruik je?",
            ),
            (
                "agent@demo.example.com",
                "note",
                "Lijkt op het bekende probleem met de nieuwe firewall.",
            ),
            ("agent@demo.example.com", "escalate", "network"),
        ),
    ),
    DemoTicket(
        "laptop",
        "requester2@demo.example.com",
        "portal",
        "Nieuwe laptop voor nieuwe collega",
        "Per 1 december start Fatma bij Marketing; graag een laptop met standaardsoftware.",
        impact="low",
        type="service_request",
    ),
    DemoTicket(
        "printer",
        "requester@demo.example.com",
        "email",
        "Printer 3e verdieping loopt vast",
        "Bij elke afdruk loopt het papier vast in lade 2.",
        impact="low",
        steps=(
            (
                "agent@demo.example.com",
                "reply",
                "Lade 2 is vervangen; kun je het nog eens proberen?",
            ),
            ("agent@demo.example.com", "time", "25"),
            ("agent@demo.example.com", "status", "resolved"),
        ),
    ),
    DemoTicket(
        "outlook",
        "requester2@demo.example.com",
        "portal",
        "Outlook vraagt steeds om mijn wachtwoord",
        "Na de update van gisteren blijft Outlook om mijn wachtwoord vragen.",
        steps=(
            ("agent@demo.example.com", "reply", "Heb je de laatste updates al geïnstalleerd?"),
            ("agent@demo.example.com", "status", "pending"),
        ),
    ),
    DemoTicket(
        "mfa",
        "requester@demo.example.com",
        "portal",
        "Hoe stel ik MFA in op mijn nieuwe telefoon?",
        "Ik heb een nieuwe telefoon en kan de authenticator-app niet overzetten.",
        impact="low",
        urgency="low",
        type="question",
        steps=(
            (
                "agent@demo.example.com",
                "reply",
                "Zie de handleiding in de kennisbank; ik heb je oude koppeling verwijderd.",
            ),
            ("agent@demo.example.com", "status", "resolved"),
            ("requester@demo.example.com", "status", "closed"),
        ),
    ),
    DemoTicket(
        "hr-portal",
        "requester2@demo.example.com",
        "phone",
        "Hele afdeling kan niet inloggen op HR-portaal",
        "Telefonisch gemeld: niemand van Finance kan inloggen op het HR-portaal.",
        impact="high",
        urgency="high",
        filed_by="agent@demo.example.com",
        steps=(("agent@demo.example.com", "status", "open"),),
    ),
)


def _label(nl: str, en: str) -> dict[str, str]:
    return {"nl": nl, "en": en}


DEMO_SERVICES: tuple[dict, ...] = (
    {
        "id": "new-laptop",
        "name": _label("Nieuwe laptop", "New laptop"),
        "description": _label(
            "Een laptop met de standaardsoftware, klaar op de startdatum.",
            "A laptop with the standard software, ready on the start date.",
        ),
        "category": "workplace/hardware",
        "fields": [
            {"key": "model", "label": _label("Model", "Model"), "kind": "choice",
             "required": True, "options": ["standard", "developer"]},
            {"key": "for_user", "label": _label("Voor wie", "For whom"), "kind": "user",
             "required": True},
            {"key": "needed_by", "label": _label("Nodig op", "Needed by"), "kind": "date",
             "required": True},
        ],
        "default_group": "workplace",
        "default_priority": "P4",
        "approval": {"approver": "supervisor@demo.example.com"},
    },
    {
        "id": "shared-drive-access",
        "name": _label("Toegang gedeelde schijf", "Access to a shared drive"),
        "description": _label("Lees- of schrijfrechten op een gedeelde schijf.",
                              "Read or write access to a shared drive."),
        "category": "access",
        "fields": [
            {"key": "drive", "label": _label("Schijf", "Drive"), "kind": "text",
             "required": True},
            {"key": "access", "label": _label("Rechten", "Access"), "kind": "choice",
             "required": True, "options": ["read", "write"]},
            {"key": "for_user", "label": _label("Voor wie", "For whom"), "kind": "user",
             "required": True},
        ],
        "default_group": "servicedesk",
        "default_priority": "P3",
    },
    {
        "id": "new-employee",
        "name": _label("Nieuwe medewerker", "New employee"),
        "description": _label("Account, mailbox en werkplek voor een nieuwe collega.",
                              "Account, mailbox and workplace for a new colleague."),
        "category": "onboarding",
        "fields": [
            {"key": "full_name", "label": _label("Naam", "Name"), "kind": "text",
             "required": True},
            {"key": "start_date", "label": _label("Startdatum", "Start date"), "kind": "date",
             "required": True},
            {"key": "manager", "label": _label("Leidinggevende", "Manager"), "kind": "user",
             "required": True},
            {"key": "hours", "label": _label("Uren per week", "Hours a week"),
             "kind": "number", "min": 1, "max": 40},
        ],
        "default_group": "workplace",
        "default_priority": "P3",
        "approval": {"approver": "supervisor@demo.example.com"},
    },
)  # fmt: skip


def _seed_catalog() -> None:
    """The demo tenant's service catalog, defined as its admin would; kept if present."""
    from chalicelib.domain.errors import Conflict
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.wiring import catalog

    admin = Principal("demo", Role.ADMIN, "user", "admin@demo.example.com", "Admin")
    for service in DEMO_SERVICES:
        draft = {k: v for k, v in service.items() if k != "id"}
        with contextlib.suppress(Conflict):
            catalog().create(admin, service["id"], draft)


def _seed_tickets() -> None:
    """File the demo story once: each ticket carries an Idempotency-Key, so a second seed
    finds it filed and replays nothing."""
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.domain.tickets import Channel, Level, Status, TicketType, Visibility
    from chalicelib.services.tickets import NewTicket
    from chalicelib.wiring import ticket_service

    people = {user.email: user for user in DEMO_TENANTS[0].users}

    def principal(email: str) -> Principal:
        user = people[email]
        return Principal("demo", Role(user.role), "user", email, user.name, email, "nl")

    service = ticket_service()
    for demo in DEMO_TICKETS:
        requester = people[demo.requester]
        on_behalf = demo.filed_by is not None
        new = NewTicket(
            subject=demo.subject,
            description=demo.description,
            type=TicketType(demo.type),
            impact=Level(demo.impact),
            urgency=Level(demo.urgency),
            requester_email=requester.email if on_behalf else None,
            requester_name=requester.name if on_behalf else None,
            channel=Channel(demo.channel) if on_behalf else None,
        )
        filer = principal(demo.filed_by or demo.requester)
        ticket, created = service.create(
            filer, new, channel=Channel(demo.channel), idempotency_key=f"demo-seed-{demo.key}"
        )
        if not created:
            continue
        for who, action, value in demo.steps:
            actor = principal(who)
            current = service.get(actor, ticket.number)
            if action in ("reply", "note"):
                visibility = Visibility.PUBLIC if action == "reply" else Visibility.INTERNAL
                service.add_message(actor, ticket.number, value, visibility, Channel.PORTAL)
            elif action == "time":
                service.log_time(actor, ticket.number, int(value), "Ter plaatse")
            elif action == "escalate":
                service.escalate(actor, ticket.number, 2, value, "Firewallregels nakijken")
            elif action == "status":
                service.update(actor, ticket.number, {"status": Status(value)}, current.version)


DEMO_MACROS = (
    (
        "Meer informatie nodig",
        {
            "nl": "Beste {{requester_name}},\n\nOm melding #{{ticket_number}} op te lossen hebben "
            "we wat meer informatie nodig. Wil je op {{portal_link}} aanvullen wat je ziet en "
            "sinds wanneer?\n\nMet vriendelijke groet,\n{{agent_name}}",
            "en": "Dear {{requester_name}},\n\nTo solve ticket #{{ticket_number}} we need a "
            "little more information. Could you add what you see, and since when, at "
            "{{portal_link}}?\n\nKind regards,\n{{agent_name}}",
        },
        {"status": "pending"},
    ),
    (
        "Opgelost na herstart",
        {
            "nl": "Beste {{requester_name}},\n\nNa een herstart werkt het weer. Mocht het "
            "opnieuw gebeuren, reageer dan op deze melding: {{portal_link}}\n\n{{agent_name}}",
            "en": "Dear {{requester_name}},\n\nIt works again after a restart. Should it happen "
            "again, reply to this ticket: {{portal_link}}\n\n{{agent_name}}",
        },
        {"status": "resolved"},
    ),
)
DEMO_ANNOUNCEMENT_DAYS = 14


def _seed_macros_and_announcement() -> None:
    """Two shared macros and one current announcement for the demo tenant, made through the
    services a supervisor's requests use; a second seed finds them and adds nothing."""
    from datetime import UTC, datetime, timedelta

    from chalicelib.domain.announcements import Kind
    from chalicelib.domain.macros import Scope
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.services.announcements import AnnouncementFields
    from chalicelib.services.macros import MacroFields
    from chalicelib.wiring import announcement_service, macro_service

    email = "supervisor@demo.example.com"
    supervisor = Principal("demo", Role.SUPERVISOR, "user", email, "Lotte Smit", email, "nl")
    macros = macro_service()
    existing = {m.name for m in macros.list_for(supervisor, 100).items}
    for name, body, actions in DEMO_MACROS:
        if name not in existing:
            macros.create(supervisor, MacroFields(name, body, Scope.SHARED, actions))
    announcements = announcement_service()
    if announcements.list_for(supervisor, limit=1).items:
        return
    now = datetime.now(UTC)
    announcements.create(
        supervisor,
        AnnouncementFields(
            title={"nl": "Nieuwe VPN-client", "en": "New VPN client"},
            body={
                "nl": "Vanaf deze week gebruiken we een nieuwe VPN-client. Werkt je verbinding "
                'niet? Zoek in de kennisbank op "VPN" of maak een melding aan.',
                "en": "From this week on we use a new VPN client. Connection not working? "
                'Search the knowledge base for "VPN" or file a ticket.',
            },
            kind=Kind.INFO,
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(days=DEMO_ANNOUNCEMENT_DAYS),
        ),
    )


# (language, category, visibility, title, body): the demo knowledge base, so that typing a
# subject in the portal's new-ticket form shows suggestions.
DEMO_ARTICLES: tuple[tuple[str, str, str, str, str], ...] = (
    ("nl", "accounts", "public", "Je wachtwoord opnieuw instellen",
     "Wachtwoord vergeten of is je account geblokkeerd?\n\n1. Ga naar de selfservicepagina.\n"
     "2. Kies **Wachtwoord vergeten** en vul je zakelijke e-mailadres in.\n"
     "3. Open de link uit de mail (15 minuten geldig) en kies een nieuw wachtwoord van "
     "minstens 12 tekens.\n\nNa drie verkeerde pogingen is je account 10 minuten geblokkeerd."),
    ("en", "accounts", "public", "Reset your password",
     "Forgot your password or is your account locked?\n\n1. Open the self-service page.\n"
     "2. Choose **Forgot password** and enter your work e-mail address.\n"
     "3. Open the link in the mail (valid for 15 minutes) and choose a new password of at "
     "least 12 characters.\n\nAfter three wrong attempts your account is locked for 10 minutes."),
    ("nl", "netwerk", "requesters", "VPN-verbinding valt steeds weg",
     "Verbreekt de VPN elke paar minuten de verbinding?\n\n- Controleer of je de nieuwste "
     "VPN-client gebruikt.\n- Gebruik een netwerkkabel in plaats van wifi.\n- Zet de "
     "energiebesparende stand van je thuisrouter uit.\n\nValt de verbinding nog steeds weg? "
     "Maak een melding en voeg het logbestand van de client toe."),
    ("en", "network", "requesters", "VPN connection keeps dropping",
     "Does the VPN disconnect every few minutes?\n\n- Check that you use the latest VPN "
     "client.\n- Use a network cable instead of Wi-Fi.\n- Turn off the power saving mode of "
     "your home router.\n\nStill dropping? File a ticket and attach the client log."),
    ("nl", "werkplek", "public", "Printer loopt vast of drukt niets af",
     "**Papierstoring:** open lade 2 en de achterklep, haal het papier weg en sluit beide.\n\n"
     "Geeft de printer foutcode 79, zet hem dan 30 seconden uit. Blijven afdrukken in de "
     "wachtrij hangen? Annuleer ze en druk opnieuw af."),
    ("nl", "werkplek", "agents", "Tweede lijn: dockingstation firmware bijwerken",
     "Voor de tweede lijn: werk de firmware van het dockingstation bij via het "
     "softwarecentrum en herstart de laptop. Lukt dat niet, vervang het dock."),
)  # fmt: skip


def _seed_articles() -> None:
    """Write the demo articles once: a tenant that has published articles is left as is."""
    from chalicelib.domain.kb import ArticleStatus, ArticleVisibility, Language
    from chalicelib.domain.principal import Principal, Role
    from chalicelib.services.kb import ArticleFields
    from chalicelib.wiring import kb_service

    supervisor = Principal(
        "demo", Role.SUPERVISOR, "user", "supervisor@demo.example.com", "Lotte Smit",
        "supervisor@demo.example.com", "nl",
    )  # fmt: skip
    service = kb_service()
    if service.list_articles(supervisor, "demo", limit=1).items:
        return
    for language, category, visibility, title, body in DEMO_ARTICLES:
        service.create(
            supervisor,
            ArticleFields(
                title=title,
                body=body,
                language=Language(language),
                category=category,
                visibility=ArticleVisibility(visibility),
                status=ArticleStatus.PUBLISHED,
            ),
        )
