"""Real key pairs and JWE tokens for the history tests: what the API does with the customer's key."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jwcrypto import jwe, jwk


@cache
def key_pair(kid: str = "conversas-key-1") -> jwk.JWK:
    """An RSA 2048 key pair, generated once per test session per kid."""
    return jwk.JWK.generate(kty="RSA", size=2048, kid=kid)


def private_jwk(kid: str = "conversas-key-1") -> str:
    return key_pair(kid).export_private()


def encrypt(
    plaintext: bytes | str | list[Any],
    kid: str = "conversas-key-1",
    alg: str = "RSA-OAEP-256",
    enc: str = "A256GCM",
) -> str:
    """A compact JWE of ``plaintext`` (a list is serialized as UTF-8 JSON) to ``kid``'s public key."""
    if isinstance(plaintext, list):
        plaintext = json.dumps(plaintext, ensure_ascii=False)
    if isinstance(plaintext, str):
        plaintext = plaintext.encode("utf-8")
    public = jwk.JWK(**key_pair(kid).export_public(as_dict=True))
    token = jwe.JWE(plaintext, protected=json.dumps({"alg": alg, "enc": enc, "kid": kid}))
    token.add_recipient(public)
    return token.serialize(compact=True)
