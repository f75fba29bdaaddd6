"""ticketbot's platform-neutral core: tickets, SLA, search, statistics and the service API (``Desk``).

Nothing in this package imports Slack, Discord or a web framework; adapters translate to and from it.
"""
