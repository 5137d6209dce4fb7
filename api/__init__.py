"""ShopDesk: the multi-shop customer-service API."""
