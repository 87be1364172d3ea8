"""Webhooks service: webhook endpoints and deliveries, signed, sent, retried and recorded per attempt."""
