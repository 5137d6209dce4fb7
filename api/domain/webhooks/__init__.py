"""Webhooks: a shop's endpoints, signed deliveries of its event log, the delivery log."""
