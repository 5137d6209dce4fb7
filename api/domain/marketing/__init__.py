"""Marketing apps (应用营销) the shop runs on the store, with their configuration."""
