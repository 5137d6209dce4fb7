"""Polls run on the storefront (投票调查): pushed by the store with their votes; results of a
private poll only under ``polls:read_private`` (admins may not: 不能查看设有隐私的投票调查结果)."""
