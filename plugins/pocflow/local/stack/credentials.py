"""The local stack's database accounts and their generated passwords.

Passwords are generated once per state folder and kept in ``credentials.json`` (mode 0600),
never in the repository. ``pocflow stack env`` prints them for a person's shell.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass

from pocflow.local.stack.config import StackConfig

ADMIN_USER = "pocflow_admin"  # owns the sample database: plays the customer's DBA/application
IMPORT_USER = "pocflow_import"  # the unmanaged source vttablet's account: least privilege for an import
READONLY_USER = "pocflow_ro"  # assessment and validation: reads only


@dataclass(frozen=True)
class Credentials:
    admin_password: str
    import_password: str
    readonly_password: str


def load_or_create(config: StackConfig) -> Credentials:
    path = config.credentials_file
    if path.exists():
        return Credentials(**json.loads(path.read_text()))
    creds = Credentials(*(secrets.token_urlsafe(18) for _ in range(3)))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(creds), f, indent=2)
    return creds
