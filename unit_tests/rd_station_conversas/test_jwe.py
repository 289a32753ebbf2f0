"""components.decrypt_jwe against jwcrypto, the reference JWE implementation (RFC 7516/7518).

The connector decrypts with ``cryptography`` because Airbyte's manifest-only base image and the
Connector Builder runtime ship the CDK's dependencies only, and jwcrypto is not one of them.
"""

import json

import pytest
from jwcrypto import jwe, jwk

from unit_tests.rd_station_conversas.jwe_helper import encrypt, key_pair, private_jwk
from unit_tests.rd_station_conversas.utils import CONNECTOR

components = CONNECTOR.components()
MESSAGES = [{"content": "Olá, tudo bem? Ação às 9h", "sent_by": "customer"}]


@pytest.mark.parametrize("alg", ["RSA-OAEP-256", "RSA-OAEP"])
@pytest.mark.parametrize(
    "enc", ["A128GCM", "A192GCM", "A256GCM", "A128CBC-HS256", "A192CBC-HS384", "A256CBC-HS512"]
)
def test_given_a_jwcrypto_token_when_decrypted_then_the_plaintext_comes_back(alg: str, enc: str) -> None:
    key = components.load_private_key(private_jwk())

    plaintext = components.decrypt_jwe(encrypt(MESSAGES, alg=alg, enc=enc), key)

    assert json.loads(plaintext) == MESSAGES


def test_given_a_compressed_token_when_decrypted_then_it_is_inflated() -> None:
    token = jwe.JWE(
        json.dumps(MESSAGES).encode(),
        protected=json.dumps({"alg": "RSA-OAEP-256", "enc": "A256GCM", "zip": "DEF"}),
    )
    token.add_recipient(jwk.JWK(**key_pair("conversas-key-1").export_public(as_dict=True)))

    plaintext = components.decrypt_jwe(
        token.serialize(compact=True), components.load_private_key(private_jwk())
    )

    assert json.loads(plaintext) == MESSAGES


@pytest.mark.parametrize("enc", ["A256GCM", "A128CBC-HS256"])
def test_given_a_tampered_ciphertext_when_decrypted_then_it_is_refused(enc: str) -> None:
    header, wrapped, iv, ciphertext, tag = encrypt(MESSAGES, enc=enc).split(".")
    flipped = ("B" if ciphertext[0] == "A" else "A") + ciphertext[1:]

    with pytest.raises(Exception):  # noqa: B017 - any failure; the caller keeps the ciphertext
        components.decrypt_jwe(
            ".".join([header, wrapped, iv, flipped, tag]), components.load_private_key(private_jwk())
        )


def test_given_another_key_when_decrypted_then_it_is_refused() -> None:
    other = components.load_private_key(private_jwk("another-key"))

    with pytest.raises(Exception):  # noqa: B017
        components.decrypt_jwe(encrypt(MESSAGES), other)


def test_given_a_minimal_private_jwk_when_loaded_then_the_primes_are_recovered() -> None:
    full = json.loads(private_jwk())
    minimal = {k: full[k] for k in ("kty", "kid", "n", "e", "d")}

    key = components.load_private_key(json.dumps(minimal))

    assert key is not None and key.kid == "conversas-key-1"
    assert json.loads(components.decrypt_jwe(encrypt(MESSAGES), key)) == MESSAGES


def test_given_inconsistent_numbers_when_loaded_then_no_key() -> None:
    full = json.loads(private_jwk())
    other = json.loads(private_jwk("another-key"))

    assert components.load_private_key(json.dumps({**full, "d": other["d"]})) is None
