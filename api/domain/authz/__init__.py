"""The authz feature."""
