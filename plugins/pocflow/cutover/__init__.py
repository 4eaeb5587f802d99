"""Cutover: from a successful PoC to production traffic on Vitess, step by step and reversible.

Pre-checks with evidence, reads first with a soak, writes only after a person approves (with
Vitess's dry run in the request), reverse replication keeping the source current, rollback with
ReverseTraffic, and ``complete`` last. Every step is idempotent and lands in the cutover log,
which the engagement's report shows.
"""
