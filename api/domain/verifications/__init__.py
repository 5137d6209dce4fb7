"""Verification codes (核销): issued for an order by the store, redeemed once by staff."""
