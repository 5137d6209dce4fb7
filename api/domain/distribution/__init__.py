"""Distribution purchase orders (分销采购单), pushed by the store, read by admins."""
