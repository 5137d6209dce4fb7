"""Buyers' reviews, public replies, negative-review follow-ups, forbidden phrases (seed 002)."""
