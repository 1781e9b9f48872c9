"""Pages and links people reach from a message: the notification centre, unsubscribe, the pause link, the
provider's webhook."""
