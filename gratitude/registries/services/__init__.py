"""Every change to registries, their members, invitations and items. See docs/registries.md."""
