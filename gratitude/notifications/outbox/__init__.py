"""The outbox: the kinds of message, and writing one row per intended message in the business transaction
(docs/notifications.md)."""
