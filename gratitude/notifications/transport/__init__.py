"""Transport: the bytes of a message, its DKIM signature, the mail backends, and the events the provider
reports back."""
