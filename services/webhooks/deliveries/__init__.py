"""Deliveries: one per (event, endpoint), recorded as events are consumed, sent and retried in the background,
every attempt on record; retried by hand, tested, and pruned after the retention period."""
