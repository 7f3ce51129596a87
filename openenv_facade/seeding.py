"""Seeds a client cannot read: a client's seed mixed with a secret only the server knows.

The engine is public and deterministic, so without a secret a seed tells whoever chose it the
whole deal (roles, tasks, the policies' draws): reset with a seed, and every role is known
before the first move. With ``seed_secret`` set, the game's seed is an HMAC-SHA256 of the
client's seed and of the rest of the request that shapes the deal (seat, role, config) under
the secret. The same request on the same server is still the same game, so runs stay
reproducible there; but the deal cannot be computed offline, and asking for another seat or
role with the same seed deals an unrelated game, so probing seats teaches nothing about the
game the client plays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Final

#: Secrets shorter than this could be found by trying them all against known games.
MIN_SECRET_LENGTH: Final[int] = 16
_SEED_MASK: Final[int] = (1 << 63) - 1


def secret_seed(
    secret: str, seed: int, seat: int | None, role: str | None, config: Mapping[str, int]
) -> int:
    """The engine seed (63 bits) of a client's ``seed`` on a server with ``secret``."""
    request = json.dumps([seed, seat, role, sorted(config.items())], separators=(",", ":"))
    digest = hmac.new(secret.encode("utf-8"), request.encode("utf-8"), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") & _SEED_MASK
