"""WeChat figures computed from the shop's wechat-channel conversations and messages."""
