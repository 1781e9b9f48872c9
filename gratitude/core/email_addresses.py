"""How an email address is compared: one canonical form, used by accounts and by the sending path alike.

It lives in core because both the people who own addresses (accounts) and the machinery that mails them
(notifications: suppression, throttles, delivery webhooks) must agree on it, and the sending path sits
below accounts in the app layers (docs/architecture.md).
"""


def normalize_email_address(email: str) -> str:
    """Addresses are compared case-insensitively everywhere, so store one canonical form."""
    return email.strip().lower()
