"""The account's history key pairs and the JWE the API wraps every history page in.

Conversas encrypts ``/v2/messages/history`` with the public half of a key the customer generated
in Apps e Integrações > API > Gerar Chave; generating a new key replaces the old one, so pages
stored under the old ``kid`` stay encrypted with a key the customer no longer has.
"""

from __future__ import annotations

import json
from typing import Any

from jwcrypto import jwe, jwk

ALG = "RSA-OAEP-256"
ENC = "A256GCM"


class KeyRing:
    """The current key pair and the one it replaced, both RSA 2048, generated once per account."""

    def __init__(self, seed: int) -> None:
        self.current = jwk.JWK.generate(kty="RSA", size=2048, kid=f"rdsc-{seed}-2")
        self.previous = jwk.JWK.generate(kty="RSA", size=2048, kid=f"rdsc-{seed}-1")

    def private_jwk(self) -> str:
        """What the customer pastes into the connector: the current private key as a JWK JSON string."""
        return self.current.export_private()

    def encrypt(self, plaintext: bytes, old: bool = False) -> str:
        key = self.previous if old else self.current
        header: dict[str, Any] = {"alg": ALG, "enc": ENC, "kid": key.key_id, "typ": "JWE"}
        token = jwe.JWE(plaintext, protected=json.dumps(header))
        token.add_recipient(jwk.JWK(**key.export_public(as_dict=True)))
        return token.serialize(compact=True)
