"""The shop's Weibo: its bound account and the mentions the store pushes in (查看微博)."""
