"""The trade and logistics list (交易及物流列表): orders by fulfilment stage, with shipping."""
