"""The only place where table keys are built. Every key of tenant data starts with `T#<tenant>`.

See docs/data-model.md for the access pattern each key serves.
"""

import hashlib
import zlib
from typing import Any

# Tickets are numbered per tenant; zero-padding keeps sort keys in numeric order.
_NUMBER_WIDTH = 10

GSI_STATUS = "GSI1"  # tickets of a tenant by status, most recently updated first
GSI_REQUESTER = "GSI2"  # tickets of one requester
GSI_ASSIGNEE = "GSI3"  # tickets assigned to one agent (sparse)
GSI_GROUP = "GSI4"  # tickets of one group (sparse)
GSI_TENANT = "GSI5"  # all tickets of a tenant
GSI_SLA_DUE = "GSI6"  # the next SLA moment of tickets with a running clock (sparse, sharded)

# The sweep reads every shard each minute; shards spread a busy minute's writes and reads
# over partitions instead of one hot key.
SLA_SHARDS = 8


def tenant(tenant_id: str) -> str:
    return f"T#{tenant_id}"


def ticket_pk(tenant_id: str, number: int) -> str:
    return f"T#{tenant_id}#TICKET#{number}"


TICKET_SK = "META"


def ticket_key(tenant_id: str, number: int) -> dict[str, str]:
    return {"PK": ticket_pk(tenant_id, number), "SK": TICKET_SK}


def message_sk(message_id: str) -> str:
    return f"MSG#{message_id}"


def event_sk(event_id: str) -> str:
    return f"EVT#{event_id}"


def time_sk(entry_id: str) -> str:
    return f"TIME#{entry_id}"


def receipt_sk(receipt_id: str) -> str:
    return f"MAIL#{receipt_id}"


def attachment_sk(attachment_id: str) -> str:
    return f"ATT#{attachment_id}"


def mail_ref_key(tenant_id: str, message_id: str) -> dict[str, str]:
    """A Message-ID of a ticket's mail, hashed: ids are long and may hold any characters.

    Per tenant, because one mail copied to two tenants' addresses is two tickets.
    """
    digest = hashlib.sha256(message_id.strip().lower().encode()).hexdigest()[:40]
    return {"PK": f"T#{tenant_id}#MID#{digest}", "SK": "MID"}


def mail_rate_key(tenant_id: str, sender: str, hour: str) -> dict[str, str]:
    """How many automatic mails went to one address in one hour (a TTL'd counter)."""
    return {"PK": f"T#{tenant_id}#MAILRATE#{sender.lower()}", "SK": hour}


def sent_key(tenant_id: str, event_id: str, address: str) -> dict[str, str]:
    """One mail about one event to one address has gone out (a TTL'd record)."""
    return {"PK": f"T#{tenant_id}#SENT#{event_id}", "SK": address.lower()}


def counter_key(tenant_id: str, name: str) -> dict[str, str]:
    return {"PK": tenant(tenant_id), "SK": f"COUNTER#{name}"}


def tenant_key(tenant_id: str) -> dict[str, str]:
    return {"PK": tenant(tenant_id), "SK": "TENANT"}


TENANTS_PK = "TENANTS"


def tenant_registry_key(tenant_id: str) -> dict[str, str]:
    """One entry per tenant, so that daily jobs can visit every tenant without a Scan."""
    return {"PK": TENANTS_PK, "SK": tenant_id}


def group_key(tenant_id: str, group: str) -> dict[str, str]:
    return {"PK": tenant(tenant_id), "SK": f"GROUP#{group}"}


def inbound_address_key(address: str) -> dict[str, str]:
    """Global lookup from an inbound mail address to its tenant (mail arrives before a tenant)."""
    return {"PK": f"ADDR#{address.lower()}", "SK": "ADDR"}


def user_key(tenant_id: str, email: str) -> dict[str, str]:
    return {"PK": f"T#{tenant_id}#USER#{email.lower()}", "SK": "PROFILE"}


def bounce_key(tenant_id: str, email: str) -> dict[str, str]:
    """Beside the profile: mail to this address bounced, so Balie stops sending to it."""
    return {"PK": f"T#{tenant_id}#USER#{email.lower()}", "SK": "BOUNCE"}


def api_key_key(tenant_id: str, key_id: str) -> dict[str, str]:
    return {"PK": f"T#{tenant_id}#APIKEYS", "SK": key_id}


def api_keys_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#APIKEYS"


def api_key_hash_key(key_hash: str) -> dict[str, str]:
    """Global lookup from the hash of a presented key to its tenant and role."""
    return {"PK": f"APIKEY#{key_hash}", "SK": "APIKEY"}


def idempotency_key(tenant_id: str, caller: str, key: str) -> dict[str, str]:
    return {"PK": f"T#{tenant_id}#IDEMPOTENCY#{caller}#{key}", "SK": "IDEMPOTENCY"}


def _ticket_sort(updated_at: str, number: int) -> str:
    return f"{updated_at}#{number:0{_NUMBER_WIDTH}d}"


def status_pk(tenant_id: str, status: str) -> str:
    return f"T#{tenant_id}#STATUS#{status}"


def requester_pk(tenant_id: str, email: str) -> str:
    return f"T#{tenant_id}#REQUESTER#{email.lower()}"


def assignee_pk(tenant_id: str, email: str) -> str:
    return f"T#{tenant_id}#ASSIGNEE#{email.lower()}"


def group_pk(tenant_id: str, group: str) -> str:
    return f"T#{tenant_id}#GROUP#{group}"


def all_tickets_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#TICKETS"


def sla_due_pk(shard: int) -> str:
    return f"SLADUE#{shard}"


def sla_due_keys(tenant_id: str, number: int, moment: str) -> dict[str, str]:
    """The due-index entry of a ticket; global because one sweep serves every tenant."""
    shard = zlib.crc32(f"{tenant_id}#{number}".encode()) % SLA_SHARDS
    return {
        f"{GSI_SLA_DUE}PK": sla_due_pk(shard),
        f"{GSI_SLA_DUE}SK": f"{moment}#T#{tenant_id}#{number:0{_NUMBER_WIDTH}d}",
    }


def sla_settings_key(tenant_id: str, part: str) -> dict[str, str]:
    """The tenant's business hours (`hours`) and SLA policies (`policies`)."""
    return {"PK": tenant(tenant_id), "SK": f"SLA#{part}"}


def catalog_pk(tenant_id: str) -> str:
    """A tenant's service catalog: one partition, so one Query lists it."""
    return f"T#{tenant_id}#SERVICES"


def catalog_key(tenant_id: str, service_id: str) -> dict[str, str]:
    return {"PK": catalog_pk(tenant_id), "SK": service_id}


def problem_link_sk(incident: int) -> str:
    """An incident linked to the problem whose partition holds this item."""
    return f"LINK#{incident:0{_NUMBER_WIDTH}d}"


def problem_link_prefix() -> str:
    return "LINK#"


def ticket_index_keys(
    tenant_id: str,
    number: int,
    *,
    status: str,
    requester: str,
    assignee: str | None,
    group: str | None,
    updated_at: str,
) -> dict[str, Any]:
    """Index attributes of a ticket item: one GSI per list access pattern; sparse when unset."""
    sort = _ticket_sort(updated_at, number)
    keys: dict[str, Any] = {
        f"{GSI_STATUS}PK": status_pk(tenant_id, status),
        f"{GSI_STATUS}SK": sort,
        f"{GSI_REQUESTER}PK": requester_pk(tenant_id, requester),
        f"{GSI_REQUESTER}SK": sort,
        f"{GSI_TENANT}PK": all_tickets_pk(tenant_id),
        f"{GSI_TENANT}SK": sort,
    }
    if assignee:
        keys[f"{GSI_ASSIGNEE}PK"] = assignee_pk(tenant_id, assignee)
        keys[f"{GSI_ASSIGNEE}SK"] = sort
    if group:
        keys[f"{GSI_GROUP}PK"] = group_pk(tenant_id, group)
        keys[f"{GSI_GROUP}SK"] = sort
    return keys


# --- routing rules (docs/rules.md) ------------------------------------------------------


def rules_key(tenant_id: str) -> dict[str, str]:
    """A tenant's routing rules: one versioned document with the whole ordered list."""
    return {"PK": tenant(tenant_id), "SK": "RULES"}


def group_members_pk(tenant_id: str, group: str) -> str:
    return f"T#{tenant_id}#MEMBERS#{group}"


def group_member_key(tenant_id: str, group: str, email: str) -> dict[str, str]:
    """One agent in one group, written with the profile: a group's agents are one Query."""
    return {"PK": group_members_pk(tenant_id, group), "SK": email.lower()}


def round_robin_key(tenant_id: str, group: str) -> dict[str, str]:
    """Whose turn it is in a group: a counter bumped once per round-robin assignment."""
    return counter_key(tenant_id, f"roundrobin#{group}")


# --- webhooks (docs/webhooks.md) ----------------------------------------------------------


def webhooks_pk(tenant_id: str) -> str:
    """Every webhook of a tenant in one partition: the list and the stream's fan-out read it."""
    return f"T#{tenant_id}#WEBHOOKS"


def webhook_key(tenant_id: str, webhook_id: str) -> dict[str, str]:
    return {"PK": webhooks_pk(tenant_id), "SK": webhook_id}


def deliveries_pk(tenant_id: str, webhook_id: str) -> str:
    return f"T#{tenant_id}#WEBHOOK#{webhook_id}"


def delivery_key(tenant_id: str, webhook_id: str, event_id: str) -> dict[str, str]:
    """One delivery of one event to one webhook; event ids are ULIDs, so newest sorts last."""
    return {"PK": deliveries_pk(tenant_id, webhook_id), "SK": f"DLV#{event_id}"}


# --- response templates (macros) and announcements -----------------------------------------
# Both live in an item of their own (read, replaced and deleted by id with one call) and are
# listed through an overloaded GSI whose partitions cannot meet the ticket ones: `…#MACROS…`
# and `…#ANNOUNCEMENTS` never equal `…#STATUS#…` or `…#TICKETS`.
GSI_MACROS = "GSI1"  # a tenant's shared macros, and each person's own, by name
GSI_ANNOUNCEMENTS = "GSI1"  # a tenant's announcements by the moment they end


def macro_key(tenant_id: str, macro_id: str) -> dict[str, str]:
    return {"PK": f"T#{tenant_id}#MACRO#{macro_id}", "SK": "MACRO"}


def shared_macros_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#MACROS#SHARED"


def personal_macros_pk(tenant_id: str, owner: str) -> str:
    return f"T#{tenant_id}#MACROS#OWNER#{owner.lower()}"


def macro_sort(name: str, macro_id: str) -> str:
    """Case-blind name order; the id keeps two macros of one name apart."""
    return f"{name.casefold()}#{macro_id}"


def macro_index_keys(tenant_id: str, macro_id: str, name: str, owner: str | None) -> dict[str, str]:
    """A shared macro (no owner) is listed for the whole tenant, a personal one for its owner."""
    pk = personal_macros_pk(tenant_id, owner) if owner else shared_macros_pk(tenant_id)
    return {f"{GSI_MACROS}PK": pk, f"{GSI_MACROS}SK": macro_sort(name, macro_id)}


def announcement_key(tenant_id: str, announcement_id: str) -> dict[str, str]:
    return {"PK": f"T#{tenant_id}#ANNOUNCEMENT#{announcement_id}", "SK": "ANNOUNCEMENT"}


def announcements_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#ANNOUNCEMENTS"


def announcement_sort(ends_at: str, announcement_id: str) -> str:
    """Sorted by end: `SK >= <now>` skips every announcement that is over."""
    return f"{ends_at}#{announcement_id}"


def announcement_index_keys(tenant_id: str, announcement_id: str, ends_at: str) -> dict[str, str]:
    return {
        f"{GSI_ANNOUNCEMENTS}PK": announcements_pk(tenant_id),
        f"{GSI_ANNOUNCEMENTS}SK": announcement_sort(ends_at, announcement_id),
    }


# --- report metrics (docs/metrics.md) -----------------------------------------------------


FACTS_SK = "FACTS"


def facts_key(tenant_id: str, number: int) -> dict[str, str]:
    """What the report needs to remember about a ticket, beside it."""
    return {"PK": ticket_pk(tenant_id, number), "SK": FACTS_SK}


def counted_key(tenant_id: str, source_id: str) -> dict[str, str]:
    """An audit event (or deflection) has been counted: a repeated stream record is not."""
    return {"PK": f"T#{tenant_id}#COUNTED#{source_id}", "SK": "COUNTED"}


def stats_pk(tenant_id: str, dimension: str) -> str:
    return f"T#{tenant_id}#STATS#{dimension}"


def stats_day_key(tenant_id: str, dimension: str, value: str, day: str) -> dict[str, str]:
    """One day's counters of one slice; days sort first, so one Query reads a date range."""
    return {"PK": stats_pk(tenant_id, dimension), "SK": f"{day}#{value}"}


STATS_OPEN_PREFIX = "OPEN#"


def stats_open_key(tenant_id: str, dimension: str, value: str) -> dict[str, str]:
    """A slice's number of open tickets now; sorts after every day ('O' > '9')."""
    return {"PK": stats_pk(tenant_id, dimension), "SK": f"{STATS_OPEN_PREFIX}{value}"}


def stats_values_key(tenant_id: str, dimension: str, value: str, day: str) -> dict[str, str]:
    """One day's distribution entries (`frt_34`: count) of one slice, apart from its counters:
    only the slice a report is about reads them, so its value comes first in the key."""
    return {"PK": stats_values_pk(tenant_id, dimension), "SK": f"{value}#{day}"}


def stats_values_pk(tenant_id: str, dimension: str) -> str:
    return f"T#{tenant_id}#STATVALUES#{dimension}"


# --- knowledge base (docs/knowledge-base.md) -------------------------------------------------

# The ticket indexes are overloaded for articles; partitions never collide (KB… prefixes).
GSI_KB_TOP = GSI_REQUESTER  # published articles of a tenant by "top solutions" score
GSI_KB_TOP_CATEGORY = GSI_ASSIGNEE  # the same per category
GSI_KB_CATEGORY = GSI_GROUP  # published articles of a category, newest first
GSI_KB_STATUS = GSI_TENANT  # articles of a tenant by status, newest first

KB_ARTICLE_SK = "META"
KB_COUNTS_SK = "COUNTS"
_KB_VERSION_WIDTH = 6
# Scores may go below zero (not-helpful votes); the offset keeps sort keys positive.
_KB_SCORE_OFFSET = 1_000_000_000


def kb_article_pk(tenant_id: str, article_id: str) -> str:
    """An article's partition: the article, its counters and its versions."""
    return f"T#{tenant_id}#KBART#{article_id}"


def kb_article_key(tenant_id: str, article_id: str) -> dict[str, str]:
    return {"PK": kb_article_pk(tenant_id, article_id), "SK": KB_ARTICLE_SK}


def kb_counts_key(tenant_id: str, article_id: str) -> dict[str, str]:
    return {"PK": kb_article_pk(tenant_id, article_id), "SK": KB_COUNTS_SK}


def kb_version_key(tenant_id: str, article_id: str, version: int) -> dict[str, str]:
    return {
        "PK": kb_article_pk(tenant_id, article_id),
        "SK": f"VER#{version:0{_KB_VERSION_WIDTH}d}",
    }


KB_VERSION_PREFIX = "VER#"


def kb_term_pk(tenant_id: str, term: str) -> str:
    return f"T#{tenant_id}#KBTERM#{term}"


def kb_posting_key(tenant_id: str, article_id: str, term: str, impact_rank: str) -> dict[str, str]:
    """A posting sits in its term's partition, highest impact first, so a query reads the
    head of a term's list with one Query of the table itself (no index to write or read).
    The article keeps the frequencies its postings were built from, so their keys can be
    computed again to remove them."""
    return {"PK": kb_term_pk(tenant_id, term), "SK": f"{impact_rank}#{article_id}"}


def kb_stats_key(tenant_id: str) -> dict[str, str]:
    """Published articles, their total length and each term's document frequency."""
    return {"PK": tenant(tenant_id), "SK": "KB#STATS"}


def kb_status_pk(tenant_id: str, status: str) -> str:
    return f"T#{tenant_id}#KB#{status}"


def kb_category_pk(tenant_id: str, category: str) -> str:
    return f"T#{tenant_id}#KBCAT#{category}"


def kb_top_pk(tenant_id: str, category: str | None = None) -> str:
    return f"T#{tenant_id}#KBTOP" + (f"#{category}" if category else "")


def kb_article_index_keys(
    tenant_id: str, article_id: str, *, status: str, category: str | None, updated_at: str
) -> dict[str, str]:
    sort = f"{updated_at}#{article_id}"
    keys_ = {f"{GSI_KB_STATUS}PK": kb_status_pk(tenant_id, status), f"{GSI_KB_STATUS}SK": sort}
    if category and status == "published":
        keys_[f"{GSI_KB_CATEGORY}PK"] = kb_category_pk(tenant_id, category)
        keys_[f"{GSI_KB_CATEGORY}SK"] = sort
    return keys_


def kb_top_sort(score: int, article_id: str) -> str:
    return f"{score + _KB_SCORE_OFFSET:011d}#{article_id}"


def kb_top_index_keys(
    tenant_id: str, article_id: str, category: str | None, score: int
) -> dict[str, str]:
    """On a published article's counters: its place among the tenant's top solutions."""
    sort = kb_top_sort(score, article_id)
    keys_ = {f"{GSI_KB_TOP}PK": kb_top_pk(tenant_id), f"{GSI_KB_TOP}SK": sort}
    if category:
        keys_[f"{GSI_KB_TOP_CATEGORY}PK"] = kb_top_pk(tenant_id, category)
        keys_[f"{GSI_KB_TOP_CATEGORY}SK"] = sort
    return keys_


def deflection_key(tenant_id: str, day: str, deflection_id: str) -> dict[str, str]:
    """A requester said a suggested article solved it: one item per deflection, per day."""
    return {"PK": f"T#{tenant_id}#DEFLECTION#{day}", "SK": deflection_id}


# --- recurring incidents and known errors (docs/catalog-and-problems.md) -------------------


def problem_hints_pk(tenant_id: str) -> str:
    """A tenant's current problem suggestions and dismissals: one partition, one Query."""
    return f"T#{tenant_id}#PROBLEMHINTS"


PROBLEM_HINT_PREFIX = "HINT#"
PROBLEM_DISMISSED_PREFIX = "DISMISSED#"


def problem_hint_key(tenant_id: str, cluster_id: str) -> dict[str, str]:
    """One cluster of recurring incidents found by the daily job (replaced by the next run)."""
    return {"PK": problem_hints_pk(tenant_id), "SK": f"{PROBLEM_HINT_PREFIX}{cluster_id}"}


def problem_dismissed_key(tenant_id: str, cluster_id: str) -> dict[str, str]:
    """A suggestion an agent dismissed: its incidents are not suggested again by themselves."""
    return {"PK": problem_hints_pk(tenant_id), "SK": f"{PROBLEM_DISMISSED_PREFIX}{cluster_id}"}


def known_error_term_pk(tenant_id: str, term: str) -> str:
    """Known errors' own postings, apart from the knowledge base's (`KBTERM`): no requester
    search can read them, and they do not move the articles' term statistics."""
    return f"T#{tenant_id}#KETERM#{term}"


def known_error_posting_key(tenant_id: str, term: str, problem: int) -> dict[str, str]:
    """By problem number, not by impact: a term has few known errors, all read at once, and
    a posting's key does not change when its weight does (an edit overwrites it)."""
    return {"PK": known_error_term_pk(tenant_id, term), "SK": f"{problem:0{_NUMBER_WIDTH}d}"}


KNOWN_ERROR_SK = "KNOWNERROR"


def known_error_key(tenant_id: str, problem: int) -> dict[str, str]:
    """Beside the problem: the terms its postings were written under, to remove them."""
    return {"PK": ticket_pk(tenant_id, problem), "SK": KNOWN_ERROR_SK}


def known_error_stats_key(tenant_id: str) -> dict[str, str]:
    """How many known errors are indexed and their total length (BM25's N and average)."""
    return {"PK": tenant(tenant_id), "SK": "KE#STATS"}


# --- operations: inbound silence (docs/operations.md) --------------------------------------


def inbound_days_pk(tenant_id: str) -> str:
    """A tenant's inbound mail per UTC day: one Query reads the weeks the silence check needs."""
    return f"T#{tenant_id}#INBOUND"


def inbound_day_key(tenant_id: str, day: str) -> dict[str, str]:
    return {"PK": inbound_days_pk(tenant_id), "SK": day}


def kb_vote_key(tenant_id: str, article_id: str, voter: str) -> dict[str, str]:
    """One voter's vote on one article, in the article's partition (deleted with it).
    `voter` is already a one-way digest (services/kb.py), never an address or a user id."""
    return {"PK": kb_article_pk(tenant_id, article_id), "SK": f"VOTE#{voter}"}


# --- watchers and people by role (docs/watchers.md, docs/macros-and-announcements.md) -------

WATCHER_PREFIX = "WATCH#"


def watcher_key(tenant_id: str, number: int, email: str) -> dict[str, str]:
    """One address following one ticket: in the ticket's partition, so the notifier reads a
    ticket's watchers with the same key it already has, and retention purges them with it."""
    return {"PK": ticket_pk(tenant_id, number), "SK": f"{WATCHER_PREFIX}{email.lower()}"}


def watching_pk(tenant_id: str, email: str) -> str:
    return f"T#{tenant_id}#WATCHING#{email.lower()}"


def watcher_index_keys(tenant_id: str, number: int, email: str) -> dict[str, str]:
    """GSI2 (overloaded): the tickets one address watches, for GDPR access and erasure."""
    return {"GSI2PK": watching_pk(tenant_id, email), "GSI2SK": f"{number:0{_NUMBER_WIDTH}d}"}


def people_pk(tenant_id: str, role: str) -> str:
    return f"T#{tenant_id}#PEOPLE#{role}"


def person_index_keys(tenant_id: str, role: str, email: str) -> dict[str, str]:
    """GSI1 (overloaded) on a profile: a tenant's people of one role, by address — the
    requesters an announcement is mailed to, the admins told about a disabled webhook."""
    return {"GSI1PK": people_pk(tenant_id, role), "GSI1SK": email.lower()}


# --- tenant settings (docs/tenant-settings.md) ----------------------------------------------


def settings_log_pk(tenant_id: str) -> str:
    return f"T#{tenant_id}#SETTINGSLOG"


def settings_change_key(tenant_id: str, change_id: str) -> dict[str, str]:
    """One change of the tenant's settings by its admin: who, when, each field's before and
    after. ULIDs sort by time, so the newest changes are one Query in reverse."""
    return {"PK": settings_log_pk(tenant_id), "SK": change_id}
