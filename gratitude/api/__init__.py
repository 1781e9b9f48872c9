"""The JSON API (v1) and store order webhooks: the top layer, which may import every domain app."""
