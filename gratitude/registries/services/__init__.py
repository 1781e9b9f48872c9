"""Every change to registries, their members, invitations and items, one module per sub-domain. See
docs/registries.md.

The names other tools and checks call by their documented path (`registries.services.<name>`, the "Names
others rely on" of the shared design) are kept importable from here; code inside the project imports
from the sub-domain module.
"""

from gratitude.registries.services.add_from_store import item_add_from_url
from gratitude.registries.services.items import item_add
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.services.registries import registry_create

__all__ = ["item_add", "item_add_from_url", "registry_create", "registry_member_add"]
