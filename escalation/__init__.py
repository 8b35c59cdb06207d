"""Escalation: a letter of demand issued by hand, and handing invoices to collections with
the package a collections agency (or a lawyer) needs to take over.

The package is evidence, so it is built from what Settle stored, never re-worded: the invoices
and statements exactly as the client receives them (their language, ``receivables.documents``),
then every message as it went out, every call attempt, every dispute and the timeline. The
cover and the log are in English for whoever takes over; money goes through
``core.money.format_money`` and dates through Babel in the business's locale, times in the
client's time zone (said on the cover), CSV values in ISO 8601 and plain decimals.

Both actions go through the reminder engine's own paths rather than beside it: handing over is
``invoice_transition`` to "in collections" (the planner and the dispatcher stop on that
status) plus cancelling the outbox rows still waiting; a letter of demand is the cadence's
"Letter of demand" step sent now through the dispatcher's send path (template, letter layout,
pay link, print queue), so the cadence counts the step as done and never sends a second one.
"""
