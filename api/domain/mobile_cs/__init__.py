"""Mobile customer-service settings (设置手机客服): how the app receives conversations."""
