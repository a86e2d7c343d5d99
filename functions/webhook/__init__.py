"""The webhook Lambda: Telegram → allowed chats only → Firehose."""
