"""The words pages use for the ticket's coded values, and the SLA badge.

Messages are marked with N_ for the catalogs and translated where a template shows them.
"""

from typing import Any

from chalicelib.domain.tickets import Level, Priority, Status, TicketType
from chalicelib.web.i18n import N_

STATUS = {
    Status.NEW: N_("New"),
    Status.OPEN: N_("In progress"),
    # The requester's view: pending means the helpdesk waits on them.
    Status.PENDING: N_("Waiting for your reply"),
    Status.ON_HOLD: N_("On hold"),
    Status.RESOLVED: N_("Solved"),
    Status.CLOSED: N_("Closed"),
}

PRIORITY = {
    Priority.P1: N_("Critical"),
    Priority.P2: N_("High"),
    Priority.P3: N_("Normal"),
    Priority.P4: N_("Low"),
}

TYPE = {
    TicketType.INCIDENT: N_("Something is broken"),
    TicketType.QUESTION: N_("A question"),
    TicketType.SERVICE_REQUEST: N_("A request"),
    TicketType.PROBLEM: N_("Problem"),
}

# What the new-ticket form offers, in the order shown; values are the API's.
FORM_TYPES = (TicketType.INCIDENT, TicketType.QUESTION, TicketType.SERVICE_REQUEST)
IMPACT = {
    Level.LOW: N_("Only me"),
    Level.MEDIUM: N_("My team"),
    Level.HIGH: N_("Everyone"),
}
URGENCY = {
    Level.LOW: N_("It can wait"),
    Level.MEDIUM: N_("It slows me down"),
    Level.HIGH: N_("I can't work"),
}

SLA = {
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "overdue": N_("Overdue"),
    "paused": N_("Paused"),
}

# After a redirect, one line of what just happened (views.Flash).
FLASH = {
    "filed": N_("Ticket #%(number)s has been filed."),
    "replied": N_("Your reply has been added to ticket #%(number)s."),
    "reopened": N_("Ticket #%(number)s is open again."),
    "closed": N_("Ticket #%(number)s is closed. Thank you!"),
    "rated": N_("Thank you for rating ticket #%(number)s."),
    # The agent workspace's.
    "noted": N_("Your internal note has been added to ticket #%(number)s."),
    "answered": N_("Your reply to the requester has been added to ticket #%(number)s."),
    "changed": N_("Ticket #%(number)s has been changed."),
    "taken": N_("Ticket #%(number)s is now assigned to you."),
    "escalated": N_("Ticket #%(number)s has been escalated."),
    "time_logged": N_("Your time on ticket #%(number)s has been logged."),
    "contact_logged": N_("The contact has been logged as ticket #%(number)s."),
    # Problem management's (web/problems.py).
    "problem_created": N_("Problem #%(number)s has been created and its incidents linked."),
    "suggestion_dismissed": N_("The suggestion has been dismissed."),
    "rca_saved": N_("The root-cause analysis of problem #%(number)s has been saved."),
    "incidents_linked": N_("The incidents have been linked to problem #%(number)s."),
    "problem_resolved": N_("Problem #%(number)s has been resolved."),
    # Approvals decided in the workspace (web/catalog_pages.py).
    "approved": N_("Request #%(number)s is approved; work can start."),
    "rejected": N_("Request #%(number)s is rejected; the requester has your reason."),
    "watcher_added": N_("The watcher has been added to ticket #%(number)s."),
    "watcher_removed": N_("The watcher has been removed from ticket #%(number)s."),
}

# A running clock with less than this share of its target left is shown as at risk. The
# view carries no warning moment, and a quarter is close to the default policy's warnings
# (15 of 60 minutes for a P2's first response).
_AT_RISK_SHARE = 0.25


def sla_badge(status: Status, view: dict[str, Any] | None) -> str | None:
    """One word for the ticket's service level, from the clocks of `sla.view`; None when
    no clock counts any more (solved, closed, or no policy)."""
    if view is None or status in (Status.RESOLVED, Status.CLOSED):
        return None
    clocks = [c for c in view.values() if isinstance(c, dict) and c.get("state") != "met"]
    if not clocks:
        return None
    if any(c["breached"] for c in clocks):
        return "overdue"
    running = [c for c in clocks if c["state"] == "running"]
    if not running:
        return "paused"
    if any(c["remaining_minutes"] <= c["target_minutes"] * _AT_RISK_SHARE for c in running):
        return "at_risk"
    return "on_track"


# --- the agent workspace ------------------------------------------------------------------

# Staff see the helpdesk's own words for a status, not the requester's.
AGENT_STATUS = {
    Status.NEW: N_("New"),
    Status.OPEN: N_("Open"),
    Status.PENDING: N_("Pending (waiting on the requester)"),
    Status.ON_HOLD: N_("On hold"),
    Status.RESOLVED: N_("Resolved"),
    Status.CLOSED: N_("Closed"),
}

AGENT_TYPE = {
    TicketType.INCIDENT: N_("Incident"),
    TicketType.SERVICE_REQUEST: N_("Service request"),
    TicketType.QUESTION: N_("Question"),
    TicketType.PROBLEM: N_("Problem"),
}

LEVEL = {Level.HIGH: N_("High"), Level.MEDIUM: N_("Medium"), Level.LOW: N_("Low")}

CHANNEL = {
    "portal": N_("Portal"),
    "email": N_("E-mail"),
    "api": N_("API"),
    "phone": N_("Phone"),
    "chat": N_("Chat"),
}

QUEUE = {
    "mine": N_("My tickets"),
    "unassigned": N_("Unassigned"),
    "breached": N_("Overdue"),
    "at_risk": N_("At risk"),
    "open": N_("All open"),
}
GROUP_QUEUE = N_("Group %(group)s")

SORT = {"newest": N_("Last changed first"), "oldest": N_("Longest untouched first")}

CLOCK = {
    "first_response": N_("First response"),
    "next_response": N_("Next response"),
    "resolution": N_("Resolution"),
}
CLOCK_STATE = {
    "running": N_("Running"),
    "paused": N_("Paused"),
    "met": N_("Met"),
    "breached": N_("Overdue"),
}

# The audit trail's entries by event type; an unknown type is shown as it is.
EVENT = {
    "ticket.created": N_("Filed"),
    "ticket.updated": N_("Changed"),
    "message.added": N_("Message added"),
    "ticket.escalated": N_("Escalated"),
    "time.logged": N_("Time logged"),
    "sla.warning": N_("SLA warning"),
    "sla.breached": N_("SLA breached"),
    "satisfaction.received": N_("Rating received"),
    "problem.linked": N_("Incidents linked"),
    "problem.incidents_resolved": N_("Linked incidents resolved"),
    "approval.decided": N_("Approval decided"),
    "watcher.added": N_("Watcher added"),
    "watcher.removed": N_("Watcher removed"),
}

FIELD = {
    "subject": N_("Subject"),
    "type": N_("Type"),
    "status": N_("Status"),
    "impact": N_("Impact"),
    "urgency": N_("Urgency"),
    "priority": N_("Priority"),
    "assignee": N_("Assignee"),
    "group": N_("Group"),
    "tier": N_("Line"),
    "category": N_("Category"),
    "service": N_("Service"),
    "problem": N_("Problem"),
    "tags": N_("Tags"),
    "custom_fields": N_("Custom fields"),
    "rca": N_("Root-cause analysis"),
    "approval": N_("Approval"),
}

SLA_STATE = {"breached": N_("Overdue"), "at_risk": N_("At risk"), "on_track": N_("On track")}

# A service request's approval (domain.approvals.ApprovalState).
APPROVAL_STATE = {
    "pending": N_("Waiting for a decision"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
}
