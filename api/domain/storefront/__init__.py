"""The storefront's decoration (装修店铺) and preview settings (设置预览)."""
