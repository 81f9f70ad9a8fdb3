"""Does a container's plain environment variable hold a secret? By its name and by its value.

Values go through detect-secrets' plugins (Yelp, Apache-2.0): credential formats (AWS, GitHub,
Slack, Stripe, private keys, JWTs ...), URLs with a password (basic auth), a keyword name with a
value, and high-entropy strings at the plugins' own limits. A URL whose user part is a long
random key (a Sentry DSN) counts too. The reference worker's documented plain variables never
count: their names and values are the worker's contract. Pure.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urlsplit

from policies.contract import WORKER_PLAIN_VARIABLES

# Variable names that usually hold a credential (matched case-insensitively, as whole name parts).
DEFAULT_SECRET_NAME_PATTERN = (
    r"(?:^|_)(?:PASSWORDS?|PASSWD|PASS|PWD|SECRETS?|TOKENS?|API_?KEY|PRIVATE_?KEY|SIGNING_?KEY|ACCESS_?KEY"
    r"|CREDENTIALS?|AUTH|DSN)(?:_|$)"
)
# Names that hold a reference to a secret, not the secret itself (a URL that carries one is caught by value).
SECRET_REFERENCE_SUFFIXES = ("_ARN", "_ID", "_NAME", "_URL", "_PATH", "_PARAMETER", "_FILE", "_REGION")
# detect-secrets plugins left out: a public IP is not a credential.
SKIPPED_PLUGINS = frozenset({"Public IP (ipv4)"})
# The plugin that reads the variable's name: a name ending in a reference suffix names, not holds, a secret.
KEYWORD_PLUGIN = "Secret Keyword"
# A DSN's user part that is a key: this many characters of hex or base64 at least.
DSN_KEY_MIN_CHARS = 16
_KEYISH = re.compile(r"^[A-Za-z0-9_\-+/=]+$")


@functools.cache
def _plugins() -> tuple:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return tuple(cls() for name, cls in sorted(get_mapping_from_secret_type_to_class().items())
                 if name not in SKIPPED_PLUGINS)


def detected_types(name: str, value: str) -> list[str]:
    """The detect-secrets plugin types that fire on `NAME="value"`, sorted; [] for none."""
    line = f'{name}="{value}"'
    return sorted({s.type for plugin in _plugins()
                   for s in plugin.analyze_line(filename="environment.env", line=line, line_number=1)})


def dsn_key(value: str) -> bool:
    """True for a URL carrying a key or password in its user part (`https://<key>@host`, `x://u:p@h`)."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return False
    if not parts.scheme or "@" not in parts.netloc:
        return False
    user, _, password = parts.netloc.rpartition("@")[0].partition(":")
    if password:
        return True
    return len(user) >= DSN_KEY_MIN_CHARS and bool(_KEYISH.match(user))


def secret_reason(name: str, value: str, name_pattern: re.Pattern[str]) -> str | None:
    """Why NAME=value looks like a secret in plain text, or None."""
    if not value or name.upper() in WORKER_PLAIN_VARIABLES:
        return None
    upper = name.upper()
    reference = upper.endswith(SECRET_REFERENCE_SUFFIXES)
    types = [t for t in detected_types(name, value) if not (reference and t == KEYWORD_PLUGIN)]
    if types:
        return "detect-secrets: " + ", ".join(types)
    if dsn_key(value):
        return "a URL with a key or password in it"
    if name_pattern.search(upper) and not reference:
        return "its name says it holds a credential"
    return None
