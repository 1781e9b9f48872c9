"""Gratitude's settings, driven by the environment (README "Configure"; docs/operations.md lists the
GRATITUDE_* ones with their defaults). DJANGO_SETTINGS_MODULE is `config.settings` in every environment;
GRATITUDE_ENV (dev, test, prod) chooses the defaults and what production refuses.

The parts, read in this order, so a broken environment is reported as before (each imports from base
what it builds on; none changes another's names):
- base: files, environment, secret, hosts, apps, middleware, templates, database, tasks, static, language;
- security: accounts, login lockout, shared cache, trusted proxies, cookies, CSP, HTTPS;
- mail: transport, dev mailbox, allowlist, DKIM, provider webhooks (production's refusals, docs/safety.md 5);
- sending: the sending path's pacing, leases, retries, caps and blast radius;
- features: registries, gifts, Thank You List, store links, API, campaigns;
- logs: logging.
Every part is assembled here whole; apps read their GRATITUDE_* settings through their own conf.py.
"""

# In the order above, not the alphabet's.
from config.settings.base import *  # noqa: F403, I001
from config.settings.security import *  # noqa: F403
from config.settings.mail import *  # noqa: F403
from config.settings.sending import *  # noqa: F403
from config.settings.features import *  # noqa: F403
from config.settings.logs import *  # noqa: F403
