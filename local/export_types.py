"""An exported message's `message_type` and `is_service`, in the Bot API shaper's names.

Content messages are named by what they carry (a document's `media_type`, else the
first content key present), service messages by their `action`: the tables below
map the export's names onto the Bot API field that announces the same thing
(functions/rows.py CONTENT_TYPE_PRECEDENCE and SERVICE_TYPES). docs/import.md lists
the same mapping for readers.
"""

from __future__ import annotations

from typing import Any, Final

#: A document's `media_type` → the Bot API message_type (other documents: `document`).
MEDIA_TYPES: Final = {
    "sticker": "sticker",
    "video_message": "video_note",
    "voice_message": "voice",
    "animation": "animation",
    "video_file": "video",
    "audio_file": "audio",
}
#: Content keys other than `file`/`photo`, first match wins.
CONTENT_KEYS: Final = (
    ("photo", "photo"),
    ("poll", "poll"),
    ("todo_list", "checklist"),
    ("contact_information", "contact"),
    ("place_name", "location"),
    ("location_information", "location"),
    ("game_title", "game"),
    ("invoice_information", "invoice"),
    ("giveaway_information", "giveaway"),
    ("giveaway_results", "giveaway_winners"),
    ("paid_stars_amount", "paid_media"),
)
#: Service `action` → the Bot API field that announces the same event (functions/rows.py
#: SERVICE_TYPES). Actions without one are service messages of type `other`.
SERVICE_ACTIONS: Final = {
    "create_group": "group_chat_created",
    "create_channel": "channel_chat_created",
    "migrate_to_supergroup": "migrate_to_chat_id",
    "migrate_from_group": "migrate_from_chat_id",
    "invite_members": "new_chat_members",
    "join_group_by_link": "new_chat_members",
    "join_group_by_request": "new_chat_members",
    "remove_members": "left_chat_member",
    "edit_group_title": "new_chat_title",
    "edit_group_photo": "new_chat_photo",
    "delete_group_photo": "delete_chat_photo",
    "pin_message": "pinned_message",
    "set_messages_ttl": "message_auto_delete_timer_changed",
    "group_call_scheduled": "video_chat_scheduled",
    "invite_to_group_call": "video_chat_participants_invited",
    "topic_created": "forum_topic_created",
    "topic_edit": "forum_topic_edited",
    "proximity_reached": "proximity_alert_triggered",
    "send_payment": "successful_payment",
    "refunded_payment": "refunded_payment",
    "boost_apply": "boost_added",
    "set_chat_wallpaper": "chat_background_set",
    "set_same_chat_wallpaper": "chat_background_set",
    "giveaway_launch": "giveaway_created",
    "giveaway_results": "giveaway_completed",
    "allow_sending_messages": "write_access_allowed",
    "send_passport_values": "passport_data",
    "send_webview_data": "web_app_data",
    "send_star_gift": "gift",
    "todo_completions": "checklist_tasks_done",
    "todo_append_tasks": "checklist_tasks_added",
    "paid_messages_price_change": "paid_message_price_changed",
}

#: Any of these keys makes a message more than text (most messages have none).
_CONTENT_KEY_SET: Final = frozenset(key for key, _ in CONTENT_KEYS) | {"media_type", "file"}


def classify(message: dict[str, Any], text: str | None) -> tuple[str, bool]:
    """(message_type, is_service) in the Bot API shaper's names."""
    if message.get("type") == "service":
        return service_type(message), True
    return content_type(message, text), False


def service_type(message: dict[str, Any]) -> str:
    """The message_type of a service message: its action's Bot API name, else `other`."""
    action = message.get("action")
    if action == "group_call":
        return "video_chat_ended" if message.get("duration") else "video_chat_started"
    return SERVICE_ACTIONS.get(action if isinstance(action, str) else "", "other")


def content_type(message: dict[str, Any], text: str | None) -> str:
    """The message_type of a message that is not a service message."""
    if message.keys().isdisjoint(_CONTENT_KEY_SET):
        return "text" if text else "other"  # most messages: text only
    media = message.get("media_type")
    if isinstance(media, str) and media in MEDIA_TYPES:
        return MEDIA_TYPES[media]
    for key, kind in CONTENT_KEYS:
        if message.get(key) is not None:
            return kind
    if "file" in message:
        return "document"
    return "text" if text else "other"
