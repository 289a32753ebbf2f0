"""What the declarative language cannot say for RD Station Conversas (formerly Tallos).

- ``EnvelopeExtractor``: the same list comes bare or wrapped, and some lists hold plain strings.
- ``DecryptHistory``: message history arrives as a JWE that only the customer's key opens.
- ``PrivateKeyJwkValidation``: a bad key must fail ``check`` clearly, without echoing the key.
- ``StartDateValidation``: an impossible or future start date must fail ``check``, not the sync.
- ``OptionalStreamErrorHandler``: plan-gated endpoints answer 403/404; skip them, don't fail the sync.
- ``UntilStreamUnavailable``: once history answered 403, stop making one request per contact.
- ``RepeatedPageGuard``: paging has no total, so a server repeating a page must be caught, not followed.
- ``HistoryPagination`` / ``NonEmptyHistoryPage``: history pages may come without ``page``/``pages``.
- ``ReportRecord``: attendances carry their id, times, durations and rating in several shapes.
- ``DaySnapshotExtractor``: an analytics answer is one snapshot, whether an object or a bare array.
- ``DecryptedMessagesExtractor`` / ``MessageKey``: one row per history message, with a derived key.
- ``HasMorePagination``: campaigns say ``has_more`` but not their page number.
- ``ProgressLog``: long reads log each stream's record count so far (the CDK logs only start and end).
"""

import base64
import hashlib
import json
import logging
import re
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import InitVar, dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import orjson
import requests
from airbyte_cdk.models import AirbyteLogMessage, AirbyteMessage, FailureType, Level, Type
from airbyte_cdk.sources.declarative.auth.declarative_authenticator import DeclarativeAuthenticator
from airbyte_cdk.sources.declarative.decoders import Decoder, JsonDecoder
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.interpolation import InterpolatedString
from airbyte_cdk.sources.declarative.requesters.error_handlers import DefaultErrorHandler
from airbyte_cdk.sources.declarative.requesters.paginators.paginator import (
    page_size_override_kwargs,
    stream_slice_kwargs,
)
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import (
    PaginationStrategy,
)
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ErrorResolution, ResponseAction
from airbyte_cdk.sources.types import Config, Record, StreamSlice, StreamState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from cryptography.hazmat.primitives import constant_time, hashes, hmac
from cryptography.hazmat.primitives import padding as block_padding
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

logger = logging.getLogger("airbyte")

# Streams the account answered 403/404 for during this sync (one sync per process; reset when the
# stream's error handler is built).
_UNAVAILABLE_STREAMS: set[str] = set()

# Key management and content encryption the history endpoint has been seen to use; ``enc`` is read
# from each token's header, so any of these works without configuration. Decryption uses
# ``cryptography`` (a dependency of the CDK, so present in Airbyte's manifest-only base image and in
# the Connector Builder's runtime); jwcrypto, which is not, only encrypts in the sandbox and tests.
KEY_WRAP_HASHES = {"RSA-OAEP-256": hashes.SHA256, "RSA-OAEP": hashes.SHA1}
CONTENT_KEY_BYTES = {
    "A128GCM": 16,
    "A192GCM": 24,
    "A256GCM": 32,
    "A128CBC-HS256": 32,
    "A192CBC-HS384": 48,
    "A256CBC-HS512": 64,
}
CBC_HMAC_HASHES = {32: hashes.SHA256, 48: hashes.SHA384, 64: hashes.SHA512}


# --- progress of long reads ---------------------------------------------------------------------

_PROGRESS_LOGGER = logging.getLogger("airbyte")


@dataclass
class ProgressLog(RecordTransformation):
    """Logs each stream's record count so far at most every ``interval_seconds``, at INFO.

    ``source-declarative-manifest read`` (the image's entry point) logs a stream's start and its
    end ("Read 170000 records from leads stream") and nothing between, so a long read looks hung;
    the platform's UI shows running counts, a CLI or container log doesn't. The CDK has no
    periodic progress log and a manifest reaches records only through components, so every
    stream's ``transformations`` end with this one (transformations run after the record filter,
    in the worker threads: one instance per stream, shared by its partitions, hence the lock)::

        leads: 12,500 records so far

    The first line comes one interval after the stream's first record, so a read shorter than
    the interval logs nothing new. Only the stream's name and a count are logged, never a value.
    A stream read as another's parent (``$parameters: {read_as_parent: true}`` on the
    ParentStreamConfig) stays quiet: its records are not the sync's, and the stream's own read
    keeps its own count. ``interval_seconds`` <= 0 turns the lines off. ``clock`` is the tests'
    injection point (a simulated clock instead of wall-clock timing).

    The same class is in each connector's components.py: the manifest-only runtime loads each
    file on its own, so connectors cannot share Python code.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config
    interval_seconds: float | str = 30
    clock: ClassVar[Callable[[], float]] = time.monotonic

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        interval = InterpolatedString.create(str(self.interval_seconds), parameters=parameters)
        self._interval = float(interval.eval(self.config) or 0)
        self._stream = str(parameters.get("name") or "")
        self._quiet = self._interval <= 0 or bool(parameters.get("read_as_parent"))
        self._lock = threading.Lock()
        self._count = 0
        self._due: float | None = None

    def transform(
        self,
        record: dict[str, Any],
        config: Config | None = None,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> None:
        if self._quiet:
            return
        with self._lock:
            self._count += 1
            now = self.clock()
            if self._due is None:
                self._due = now + self._interval
                return
            if now < self._due:
                return
            self._due = now + self._interval
            # Under the lock, so the lines of one stream come in order (one line an interval).
            _PROGRESS_LOGGER.info("%s: %s records so far", self._stream, f"{self._count:,}")


@dataclass
class EnvelopeExtractor(RecordExtractor):
    """Records from a body that is either a bare JSON array or an object wrapping one.

    Conversas is inconsistent about envelopes, and several are known only from client code:
    ``/v2/customers`` answers ``[{...}, ...]``, ``/v2/employees`` answers either ``[{...}]`` or
    ``{"employees": [{...}]}``, ``/v4/reports`` answers ``{"docs": [...], "pages": 3}`` or
    ``{"reports": [...]}``, and ``/v2/wallets`` answers ``{"wallets": ["Carteira Sul", ...]}``.
    The first key of ``envelope_keys`` holding a list (or a single object) wins. With ``wrap_as`` every item is emitted as
    ``{wrap_as: item}``: strings become records, and whole payloads can be kept in one field.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    envelope_keys: list[str] = field(default_factory=list)
    wrap_as: str | None = None
    decoder: Decoder = field(default_factory=lambda: JsonDecoder(parameters={}))

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        if response.status_code >= 400:  # an error the handler chose to skip (403 plan, 500 item): no data
            return
        # The JSON decoder yields a bare array's elements one by one, and an object as itself.
        for body in self.decoder.decode(response):
            for item in self.items(body):
                if self.wrap_as:
                    yield {self.wrap_as: item}
                elif isinstance(item, MutableMapping):
                    yield item

    def items(self, body: Any) -> list[Any]:
        """The non-empty items of one decoded body, whichever envelope it came in."""
        if isinstance(body, Mapping):
            for key in self.envelope_keys:
                if isinstance(body.get(key), list | Mapping):  # a list, or one object (`{"campaign": {...}}`)
                    body = body[key]
                    break
        return [item for item in (body if isinstance(body, list) else [body]) if item not in (None, {}, "")]


@dataclass
class PrivateKeyJwkValidation(ValidationStrategy):
    """``private_key_jwk`` must be an RSA private key in JWK form, e.g. ``{"kty":"RSA","n":…,"d":…,"kid":…}``.

    The key is shown once in Apps e Integrações > API > Gerar Chave; a truncated paste or the
    public half would otherwise surface as thousands of undecryptable pages. The message never
    includes the value or the parser's error, which may quote it.
    """

    parameters: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        pass

    def validate(self, value: Any) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        if load_private_key(value) is None:
            raise ConfigError(
                "The private key (private_key_jwk) is not a valid RSA private key in JWK format: paste the "
                "whole JSON generated in Apps e Integrações > API > Gerar Chave, or leave the field empty."
            )


@dataclass(frozen=True)
class PrivateKey:
    """An RSA private key from a JWK, with the ``kid`` that names it in each JWE header."""

    kid: str | None
    rsa_key: rsa.RSAPrivateKey


def load_private_key(value: Any) -> PrivateKey | None:
    """The RSA private JWK in ``value`` (a JSON string or object), or None when it is not a usable one."""
    try:
        fields = json.loads(value) if isinstance(value, str) else dict(value)
        if (
            not isinstance(fields, dict)
            or fields.get("kty") != "RSA"
            or not all(fields.get(k) for k in ("n", "e", "d"))
        ):
            return None
        n, e, d = (_b64_int(fields[k]) for k in ("n", "e", "d"))
        if all(fields.get(k) for k in ("p", "q", "dp", "dq", "qi")):
            p, q, dp, dq, qi = (_b64_int(fields[k]) for k in ("p", "q", "dp", "dq", "qi"))
        else:  # a minimal JWK: the primes follow from n, e and d
            p, q = rsa.rsa_recover_prime_factors(n, e, d)
            dp, dq, qi = rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q)
        # private_key() checks the numbers are one consistent key
        key = rsa.RSAPrivateNumbers(p, q, d, dp, dq, qi, rsa.RSAPublicNumbers(e, n)).private_key()
    except Exception:  # noqa: BLE001 - any parse error means "not a key"; its text may quote the key
        return None
    kid = fields.get("kid")
    return PrivateKey(kid=str(kid) if kid else None, rsa_key=key)


def decrypt_jwe(token: str, key: PrivateKey) -> bytes:
    """The plaintext of a compact JWE (RFC 7516) encrypted to ``key``; raises ValueError when unreadable.

    ``header.encrypted_key.iv.ciphertext.tag``, each base64url: the content key is unwrapped with
    RSA-OAEP (SHA-256 for ``RSA-OAEP-256``), then the content decrypted with AES-GCM or
    AES-CBC + HMAC (RFC 7518 5.2), the header segment as additional authenticated data.
    """
    parts = token.split(".")
    if len(parts) != 5:
        raise ValueError("not a compact JWE")
    header_segment, wrapped_key, iv, ciphertext, tag = parts
    header = json.loads(_b64(header_segment))
    alg, enc = header.get("alg"), header.get("enc")
    if alg not in KEY_WRAP_HASHES or enc not in CONTENT_KEY_BYTES:
        raise ValueError("unsupported JWE algorithms")
    digest = KEY_WRAP_HASHES[alg]()
    cek = key.rsa_key.decrypt(
        _b64(wrapped_key), padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    )
    if len(cek) != CONTENT_KEY_BYTES[enc]:
        raise ValueError("content key of the wrong size")
    aad, iv_bytes, data, tag_bytes = header_segment.encode("ascii"), _b64(iv), _b64(ciphertext), _b64(tag)
    if enc.endswith("GCM"):
        plaintext = AESGCM(cek).decrypt(iv_bytes, data + tag_bytes, aad)
    else:
        half = len(cek) // 2
        mac = hmac.HMAC(cek[:half], CBC_HMAC_HASHES[len(cek)]())
        mac.update(aad + iv_bytes + data + (len(aad) * 8).to_bytes(8, "big"))
        if not constant_time.bytes_eq(mac.finalize()[:half], tag_bytes):
            raise ValueError("authentication tag mismatch")
        decryptor = Cipher(algorithms.AES(cek[half:]), modes.CBC(iv_bytes)).decryptor()
        unpadder = block_padding.PKCS7(128).unpadder()
        plaintext = unpadder.update(decryptor.update(data) + decryptor.finalize()) + unpadder.finalize()
    if header.get("zip") == "DEF":
        plaintext = zlib.decompress(plaintext, -zlib.MAX_WBITS)
    return plaintext


def _b64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _b64_int(segment: str) -> int:
    return int.from_bytes(_b64(segment), "big")


@dataclass
class DecryptHistory(RecordTransformation):
    """Decrypts one ``/v2/messages/history`` page in place.

    The API answers ``{"messages": "<JWE compact>", "page": 1, ...}``, the JWE encrypted to the
    customer's public key (``alg`` RSA-OAEP-256, ``enc`` in the header, ``kid`` of the key). The
    plaintext is a JSON array of messages, sometimes Latin-1 instead of UTF-8, sometimes
    double-encoded (a JSON string holding the JSON), sometimes with raw control characters.

    Sets ``data`` (decrypted JSON, or the JWE as received), ``messages`` (the array, each message
    with a derived ``message_id``; null while encrypted), ``encrypted``, ``kid`` and
    ``decrypt_error`` (``no_key``, ``kid_mismatch``, ``invalid_token``, ``unparseable_plaintext`` or
    null). A page that cannot be decrypted keeps its ciphertext; one that decrypts to text no repair
    makes JSON keeps that text. Each reason is reported in one warning; contents and key material
    never reach the log.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    stream_name: str = "messages_history"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.stream_name = str(parameters.get("name") or self.stream_name)
        raw_key = self.config.get("private_key_jwk")
        self._key = load_private_key(raw_key) if raw_key else None
        self._failures: Counter[str] = Counter()
        self._lock = threading.Lock()

    def transform(
        self,
        record: dict[str, Any],
        config: Config | None = None,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> None:
        token = record.get("messages")
        record.update(data=None, messages=None, encrypted=False, kid=None, decrypt_error=None)
        if isinstance(token, list):  # already plaintext (seen on accounts without encryption)
            self._set_plaintext(record, token)
            return
        if not isinstance(token, str) or not token:
            self._set_plaintext(record, [])
            return
        record.update(data=token, encrypted=True, kid=_header(token).get("kid"))
        error = self._decrypt(record, token)
        if error:
            record["decrypt_error"] = error
            self._report(error, record["kid"])

    def _decrypt(self, record: dict[str, Any], token: str) -> str | None:
        if self._key is None:
            return "no_key"
        if record["kid"] and self._key.kid and record["kid"] != self._key.kid:
            return "kid_mismatch"
        try:
            payload = decrypt_jwe(token, self._key)
        except Exception:  # noqa: BLE001 - cryptography raises several types; all mean "not readable with this key"
            return "invalid_token"
        try:
            messages = _parse_plaintext(payload)
        except UnparseablePlaintext as unparseable:
            # The key worked: keep the plaintext whole (lossless) and say so, without blaming the key.
            record.update(data=unparseable.text, encrypted=False)
            return "unparseable_plaintext"
        self._set_plaintext(record, messages)
        return None

    def _set_plaintext(self, record: dict[str, Any], messages: list[Any]) -> None:
        customer_id = str(record.get("customer_id") or "")
        record.update(
            data=json.dumps(messages, ensure_ascii=False),
            messages=[_with_message_id(customer_id, m) for m in messages],
            encrypted=False,
        )

    def _report(self, reason: str, kid: str | None) -> None:
        with self._lock:
            self._failures[reason] += 1
            if self._failures[reason] > 1:
                return
        hints = {
            "no_key": "no private key (private_key_jwk) is configured, so history is stored encrypted in `data`",
            "kid_mismatch": f"it was encrypted under key id {kid!r}, not the configured key (was the key regenerated?)",
            "invalid_token": "it could not be decrypted with the configured key",
        }
        if self.stream_name != "messages_history":
            kept = (
                "Their messages are not in this stream; messages_history keeps such pages whole "
                f"(`decrypt_error: {reason}`). Not logged again."
            )
        elif reason == "unparseable_plaintext":
            kept = (
                "Such pages keep the decrypted text in `data` with `messages: null` and "
                "`decrypt_error: unparseable_plaintext`, and are not logged again."
            )
        else:
            kept = (
                "Such pages keep the JWE in `data`, are marked `encrypted: true` with "
                f"`decrypt_error: {reason}`, and are not logged again."
            )
        if reason == "unparseable_plaintext":
            logger.warning(
                "%s: a history page was decrypted with the configured key, but its plaintext is not valid JSON even "
                "after repairing unescaped quotes and encodings. %s",
                self.stream_name,
                kept,
            )
            return
        logger.warning(
            "%s: a history page was kept encrypted because %s. %s", self.stream_name, hints[reason], kept
        )


def _header(token: str) -> dict[str, Any]:
    """The JWE's protected header, read without the key (``kid`` tells which key it needs)."""
    try:
        header = json.loads(_b64(token.split(".")[0]))
        return header if isinstance(header, dict) else {}
    except Exception:  # noqa: BLE001 - a malformed token simply has no readable header
        return {}


class UnparseablePlaintext(ValueError):
    """A page decrypted fine but its plaintext is not JSON even after repair; ``text`` keeps it whole."""

    def __init__(self, text: str) -> None:
        super().__init__("decrypted history page is not parseable JSON")
        self.text = text


def _parse_plaintext(payload: bytes) -> list[Any]:
    """The message array in a decrypted payload, whatever its encoding quirks.

    Seen on live data (rd-conversas-etl ``decryptMessages``): Latin-1 instead of UTF-8, JSON
    double-encoded (a JSON string holding the JSON), raw control characters in system messages,
    and template contents with unescaped straight quotes (``"content":"Use o cupom "BEMVINDO" hoje"``).
    Raises ``UnparseablePlaintext`` (holding the text) when no repair makes it JSON.
    """
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        text = payload.decode("latin-1")  # some pages are Latin-1
    value: Any = text
    for _ in range(3):  # some pages are double-encoded: a JSON string holding the JSON
        if not isinstance(value, str):
            break
        value = _loads_repaired(value, original=text)
    if isinstance(value, Mapping):
        for key in ("messages", "data"):
            if isinstance(value.get(key), list):
                return list(value[key])
        return [value]
    if not isinstance(value, list):
        raise UnparseablePlaintext(text)
    return value


def _loads_repaired(text: str, original: str) -> Any:
    try:
        return json.loads(text, strict=False)  # strict=False: raw control characters in system messages
    except ValueError:
        pass
    try:
        return json.loads(escape_content_quotes(text), strict=False)
    except ValueError:
        raise UnparseablePlaintext(original) from None


def escape_content_quotes(text: str) -> str:
    """Escapes straight quotes inside JSON strings that the sender forgot to escape.

    A quote is structural (opens or closes a string) when the nearest non-blank character before
    it is one of ``{[,:`` or the nearest after it is one of ``:,}]`` (or the end); any other quote
    is content and becomes ``\\"``. Valid JSON comes out unchanged. The same rule as the live
    client's ``escapeContentQuotes``; a content quote followed by a comma stays ambiguous.
    """
    out: list[str] = []
    last = ""  # the last non-blank character written
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            step = 6 if text[i + 1] == "u" else 2
            out.append(text[i : i + step])
            last = text[i + step - 1 : i + step] or last
            i += step
            continue
        if ch == '"':
            j = i + 1
            while j < n and text[j] in " \t\r\n":
                j += 1
            after = text[j] if j < n else ""
            structural = last in ("", "{", "[", ",", ":") or after in ("", ":", ",", "}", "]")
            out.append(ch if structural else '\\"')
        else:
            out.append(ch)
        if ch not in " \t\r\n":
            last = ch
        i += 1
    return "".join(out)


def _with_message_id(customer_id: str, message: Any) -> Any:
    """Messages carry no id: derive a stable one so overlapping syncs can be deduplicated."""
    if not isinstance(message, Mapping):
        return message
    parts = [customer_id, *(str(message.get(k, "")) for k in ("created_at", "sent_by", "content"))]
    return {**message, "message_id": hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]}


@dataclass
class OptionalStreamErrorHandler(DefaultErrorHandler):
    """Skips a stream the account's plan does not include, instead of failing the sync.

    ``/v2/custom-fields`` is enabled for selected accounts only and ``/v2/messages/history`` for the
    Advanced plan only; elsewhere they answer 403 (or 404). Those responses are ignored with one
    warning per stream; every other status goes through the shared handler's rules. Both a skip
    and a configuration error (401) mark the stream unavailable for ``UntilStreamUnavailable``;
    a 401 also ends the whole sync, as in ``StopOnRejectedCredentials``.
    """

    skip_http_codes: list[int] = field(default_factory=lambda: [403, 404])
    stream_name: str = ""
    # > 0: a request answered 5xx this many times is skipped (one warning) instead of failing the
    # stream. For per-item endpoints that fail for one item, e.g. /v1/campaigns/{id} answering 500
    # for one campaign while the others answer; 0 keeps the shared rule (retry, then fail).
    skip_5xx_after: int = 0

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self.stream_name = self.stream_name or str(parameters.get("name", "this stream"))
        self.skip_5xx_after = int(self.skip_5xx_after or 0)
        self._warned = False
        self._warned_5xx = False
        self._5xx_by_url: Counter[str] = Counter()
        self._lock = threading.Lock()
        _UNAVAILABLE_STREAMS.discard(self.stream_name)

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None
    ) -> ErrorResolution:
        if (
            isinstance(response_or_exception, requests.Response)
            and response_or_exception.status_code in self.skip_http_codes
        ):
            status = response_or_exception.status_code
            with self._lock:
                first, self._warned = not self._warned, True
                _UNAVAILABLE_STREAMS.add(self.stream_name)
            if first:
                logger.warning(
                    "Stream %s is not available for this account (HTTP %s: the plan or feature is not enabled); "
                    "skipping it. The other streams are synced normally.",
                    self.stream_name,
                    status,
                )
            return ErrorResolution(
                response_action=ResponseAction.IGNORE,
                error_message=f"Skipped a {self.stream_name} request: HTTP {status}, not enabled for this account.",
            )
        if (
            self.skip_5xx_after
            and isinstance(response_or_exception, requests.Response)
            and response_or_exception.status_code >= 500
        ):
            with self._lock:
                self._5xx_by_url[str(response_or_exception.request.url)] += 1
                give_up = self._5xx_by_url[str(response_or_exception.request.url)] >= self.skip_5xx_after
                first = give_up and not self._warned_5xx
                self._warned_5xx = self._warned_5xx or give_up
            if give_up:
                if first:
                    logger.warning(
                        "Stream %s: an item answered HTTP %s %s times in a row; it is skipped and the other items are "
                        "synced. Items skipped this way are not logged again.",
                        self.stream_name,
                        response_or_exception.status_code,
                        self.skip_5xx_after,
                    )
                return ErrorResolution(
                    response_action=ResponseAction.IGNORE,
                    error_message=f"Skipped a {self.stream_name} request after repeated server errors.",
                )
        resolution = super().interpret_response(response_or_exception)
        if (
            resolution.response_action == ResponseAction.FAIL
            and resolution.failure_type == FailureType.config_error
        ):
            _UNAVAILABLE_STREAMS.add(
                self.stream_name
            )  # e.g. the token expired mid-sync: stop queuing requests
        return _raise_if_credentials_rejected(resolution, response_or_exception, self.config)


@dataclass
class UntilStreamUnavailable(RecordFilter):
    """Passes parent records (contacts) to a child stream until that child turned out unavailable.

    ``/v2/messages/history`` is one request per contact, and on plans without it each one answers
    403: without this filter an account with 10,000 contacts would spend hours (at ~48 requests a
    minute) collecting 403s. After the first one, no further contacts become history partitions;
    the contacts stream itself is not affected (this filter sits on the parent read for history).
    """

    stream_name: str = ""
    stream_names: list[str] = field(default_factory=list)

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        # Both history streams read the same endpoint: either one refused means the plan lacks it.
        names = {self.stream_name, *self.stream_names} - {""}
        for record in records:
            if names & _UNAVAILABLE_STREAMS:
                return
            yield record


# --- config errors: one sentence, no traceback ----------------------------------------------------
class ConfigError(AirbyteTracedException):
    """A setting the user must fix: one sentence that names it, and no traceback.

    The CDK logs every uncaught exception (and every failed partition) with its traceback: for a
    wrong setting that was ~40 lines of the CDK's own frames around the one sentence that matters.
    Python reads ``__traceback__`` as an attribute when it formats an exception (logging, the
    CDK's trace message), so this class reports none; raising and catching are unaffected.
    """

    def __init__(self, sentence: str) -> None:
        super().__init__(message=sentence, internal_message=sentence, failure_type=FailureType.config_error)
        self.__suppress_context__ = True

    @property  # type: ignore[override]
    def __traceback__(self) -> None:
        return None

    @__traceback__.setter
    def __traceback__(self, _value: Any) -> None:
        pass

    def __repr__(self) -> str:
        return self.message or ""


# https anywhere; plain http only to this machine. No userinfo, query or fragment: the token goes there.
API_BASE_URL = re.compile(
    r"https://[^\s/?#@]+(/[^\s?#@]*)?|http://(127\.0\.0\.1|localhost)(:[0-9]+)?(/[^\s?#@]*)?"
)


@dataclass
class ApiBaseUrlValidation(ValidationStrategy):
    """``api_base_url`` receives the token: https only, plain http only to this machine.

    No user name, query or fragment either (``https://user@host``, ``https://host?x``), which
    could send the token somewhere the user did not mean. The spec keeps no ``pattern``: the CDK
    answers a mismatch with the raw regex. The value is not repeated: it may hold a password.
    """

    parameters: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        pass

    def validate(self, value: Any) -> None:
        if value is None or value == "" or (isinstance(value, str) and API_BASE_URL.fullmatch(value)):
            return
        raise ConfigError(
            "API Base URL (advanced) must be an https:// address without user name, query or fragment (plain http only "
            "for 127.0.0.1 or localhost), e.g. https://api.tallos.com.br/v2."
        )


# A day, or an ISO 8601 date-time on that day (the API takes both).
DATE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)


@dataclass
class StartDateValidation(ValidationStrategy):
    """A start date must be a real calendar day (YYYY-MM-DD, or a date-time on it) not in the future.

    ``setting`` is the spec title the sentence names (Start Date, Analytics Start Date);
    ``date_only`` refuses the date-time form for settings read as a day. The spec
    keeps no ``pattern``: the CDK answers a pattern mismatch with the raw regex. ``2024-02-30``
    would pass a pattern and surface later as a failed sync; a day in the future passes
    everything and every incremental stream then silently reads nothing. All fail here with one
    sentence instead.
    Example: ``{"start_date": "2999-01-01"}`` -> "Start Date 2999-01-01 is in the future ...".
    """

    setting: str = "Start Date"
    date_only: bool = False
    parameters: InitVar[Mapping[str, Any] | None] = None

    def __post_init__(self, parameters: Mapping[str, Any] | None) -> None:
        pass

    def validate(self, value: Any) -> None:
        if value is None or value == "":
            return
        try:
            if not DATE.fullmatch(str(value)) or (self.date_only and len(str(value)) != 10):
                raise ValueError
            day = datetime.strptime(str(value)[:10], "%Y-%m-%d").date()
        except ValueError:
            raise ConfigError(
                f"{self.setting} {value} is not a calendar date: set {self.setting} as YYYY-MM-DD, e.g. 2024-01-31."
            ) from None
        if day > datetime.now(UTC).date():
            raise ConfigError(
                f"{self.setting} {value} is in the future, so nothing would be read: set {self.setting} to today or an earlier day."
            )


class _PageNumber(int):
    """A page number that also carries a fingerprint of the record keys of the page read before it."""

    previous_page: str | None

    def __new__(cls, value: int, previous_page: str | None = None) -> "_PageNumber":
        number = super().__new__(cls, value)
        number.previous_page = previous_page
        return number

    def __getnewargs__(self) -> tuple[int, str | None]:  # copy/pickle keep the fingerprint
        return int(self), self.previous_page


@dataclass
class RepeatedPageGuard(PaginationStrategy):
    """Wraps a stream's pagination strategy and fails the stream when the API sends a page again.

    Conversas pages by number with no total: ``/v2/customers?page=N&limit=100`` answers a bare
    array (``[{"_id": "64f1…", …}, …]``) and ``/v4/reports`` ``{"docs": [...], "pages": n}``, read
    until a short page. A server or proxy that ignores ``page`` answers every number with the same
    full first page, and the built-in ``PageIncrement`` would read it forever. History follows the
    envelope instead: ``{"messages": "<JWE>", "page": 1, "pages": 3}`` sent for ``?page=2`` makes
    the next token ``2`` again, also forever.

    So the stream stops with one error sentence when a page holds the same records (by
    ``primary_key``, in order) as the page before it, or when the next token is the one just read.
    Exactly-right data pages as before. The fingerprint of a page travels inside the next page
    token (a ``_PageNumber``): the strategy serves every partition at once and keeps no state.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    strategy: PaginationStrategy
    primary_key: str | None = None
    envelope_keys: list[str] = field(default_factory=list)
    name: str = ""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.name = self.name or str(parameters.get("name", "this stream"))
        self._extractor = EnvelopeExtractor(
            config=self.config, parameters={}, envelope_keys=self.envelope_keys
        )

    @property
    def initial_token(self) -> Any | None:
        return self.strategy.initial_token

    def get_page_size(self) -> int | None:
        return self.strategy.get_page_size()

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None,
        page_size_override: int | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> Any | None:
        token = self.strategy.next_page_token(
            response,
            last_page_size,
            last_record,
            last_page_token_value,
            **page_size_override_kwargs(page_size_override),
            **stream_slice_kwargs(self.strategy.next_page_token, stream_slice),
        )
        if token is None:
            return None
        if last_page_token_value is not None and str(token) == str(last_page_token_value):
            self._fail(last_page_token_value)
        if not self.primary_key or isinstance(token, bool) or not isinstance(token, int):
            return token
        page = self._fingerprint(response)
        if page is not None and page == getattr(last_page_token_value, "previous_page", None):
            self._fail(last_page_token_value)
        return _PageNumber(token, page)

    def _fingerprint(self, response: requests.Response) -> str | None:
        """A digest of the page's record keys in order; None for a page without records.

        Parses the body once more with orjson and reads only the keys (the records themselves
        went through the extractor already): a few µs per record."""
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return None
        keys = [
            str(row[self.primary_key])
            if isinstance(row, Mapping) and self.primary_key in row
            else orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode()
            for row in self._extractor.items(body)
        ]
        return hashlib.sha256("\x1f".join(keys).encode()).hexdigest() if keys else None

    def _fail(self, page: Any) -> None:
        raise AirbyteTracedException(
            message=f"RD Station Conversas answered page {page} of {self.name} with a page it had already sent "
            "(it is ignoring the page number), so the sync stopped instead of reading the same page forever; "
            "try again later and report it to RD Station if it persists.",
            internal_message=f"{self.name}: page {page} repeated the previous page (records or next page token)",
            failure_type=FailureType.system_error,
        )


def jwe_is_empty_page(token: Any) -> bool:
    """True when a history page holds no messages, read without the key.

    ``messages`` is empty, an empty list, or a compact JWE whose ciphertext is at most one AES
    block: an AES-GCM ciphertext is as long as its plaintext and a CBC one is padded to 16 bytes,
    so ``[]`` (2 bytes, or ``"[]"`` double-encoded, or deflated) fits, while one message (a JSON
    object with sender, content and dates) never does.
    """
    if token in (None, "", []):
        return True
    if not isinstance(token, str):
        return False
    parts = token.split(".")
    if len(parts) != 5:
        return False
    try:
        return len(_b64(parts[3])) <= 16
    except Exception:  # noqa: BLE001 - a malformed token is not known to be empty
        return False


@dataclass
class NonEmptyHistoryPage(RecordFilter):
    """Drops history pages that hold no messages, before they are decrypted.

    Envelopes seen: ``{"messages": "<JWE>", "page": 1, "pages": 3, "total": 240}`` and, as live
    clients read it, only ``{"messages": "<JWE>"}``. ``total: 0`` says empty; without it the JWE's
    length does (``jwe_is_empty_page``), so a contact without messages makes no row even when the
    page stays encrypted.
    """

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: StreamSlice | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        for record in records:
            total = record.get("total")
            if total is not None and str(total).isdigit() and int(total) == 0:
                continue
            if jwe_is_empty_page(record.get("messages")):
                continue
            yield record


@dataclass
class HistoryPagination(PaginationStrategy):
    """Pages ``/v2/messages/history`` whether or not the envelope says how many pages there are.

    The reference shows ``{"messages": "<JWE>", "page": 1, "pages": 3, "total": 240}``, but no
    public client reads ``page``/``pages``: the official n8n node returns the body as is and both
    live clients page "até a página vazia". So: with ``pages``, stop at the last one; else with
    ``total``, stop when ``page * limit`` covers it; else stop on a short page (counted after
    decryption, ``last_record["messages"]``) or on an empty one (``jwe_is_empty_page``). A page that
    stays encrypted can't be counted, so its contact is read until the empty page: one request more.
    The first request carries no ``page`` (the API's default is 1).
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    page_size: int = 100
    records_are_messages: bool = False  # the `messages` stream: one record per decrypted message

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self.page_size = int(self.page_size)
        self.records_are_messages = bool(parameters.get("records_are_messages", self.records_are_messages))

    @property
    def initial_token(self) -> Any | None:
        return None

    def get_page_size(self) -> int | None:
        return self.page_size

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None = None,
    ) -> Any | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, Mapping) or jwe_is_empty_page(body.get("messages")):
            return None
        page = _int(body.get("page")) or _int(last_page_token_value) or 1
        pages, total = _int(body.get("pages")), _int(body.get("total"))
        if pages is not None:
            return page + 1 if page < pages else None
        if total is not None:
            return page + 1 if page * self.page_size < total else None
        if self.records_are_messages:  # records are the page's decrypted messages; none if unreadable
            return page + 1 if last_page_size >= self.page_size else None
        if last_page_size == 0:
            return None
        messages = last_record.get("messages") if last_record is not None else None
        if isinstance(messages, list) and len(messages) < self.page_size:
            return None
        return page + 1


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def duration_seconds(value: Any) -> float | None:
    """Seconds from a duration as attendance reports carry it: ``754``, ``"00:12:34"``, ``{"value": 754}``.

    Seen in the public Tallos normaliser (dadm_tallos): ``tme``/``tma`` and
    ``operational_metrics.tmro``/``tmrc`` come as a number of seconds, an ``HH:MM:SS`` string or an
    object with ``value``; anything else is None rather than a wrong number.
    """
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)
    except ValueError:
        pass
    parts = text.split(":")
    if len(parts) in (2, 3) and all(p.strip().replace(".", "", 1).isdigit() for p in parts):
        seconds = 0.0
        for part in parts:
            seconds = seconds * 60 + float(part)
        return seconds
    return None


def as_text(value: Any) -> str | None:
    """One value as text, losslessly: a string as sent, anything else as its JSON text (``42`` -> ``"42"``).

    For report fields that arrive in several JSON types (``id`` as ``42`` or ``"6650…"``, ``tme`` as
    ``754``, ``"00:12:34"`` or ``{"value": 754}``): one declared type, so warehouses and PyAirbyte
    can type the column, and the value as sent can always be read back (``json.loads`` of a
    non-string). None stays None.
    """
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def rating(value: Any) -> int | float | None:
    """A rating as a number: ``4``, ``"4"``, ``4.5`` or ``{"value": 4}``; None when it holds no number."""
    if isinstance(value, Mapping):
        value = value.get("value")
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return value
    text = str(value).strip()
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return None


@dataclass
class ReportRecord(RecordTransformation):
    """Gives every ``/v4/reports`` attendance one id, one cursor instant and durations in seconds.

    Clients of the live API read the id as ``id``, ``_id`` or ``report_id``; the attendance's
    opening as ``opened_at`` (the live ETL lists ``opened_at``/``closed_at``), elsewhere
    ``created_at`` or the report metadata's ``createdAt``; ``tme``/``tma`` as a number, an
    ``HH:MM:SS`` string or ``{"value": n}``. Example: ``{"_id": "6650…", "opened_at":
    "2026-10-02T13:04:00", "tma": "00:41:10"}`` gains ``id: "6650…"``, ``created_at:
    "2026-10-02T13:04:00"`` (the incremental cursor) and ``tma_seconds: 2470.0``. An attendance
    with none of the three instants is kept, and one warning says the cursor can't place such records.

    Each field ends up in one JSON type, so every column can be typed, and nothing is lost: the ids,
    ``protocol``, ``tme`` and ``tma`` as text (a string as sent, anything else as its JSON text:
    ``42`` -> ``"42"``, ``{"value": 754}`` -> ``'{"value":754}'``; the seconds are in
    ``tme_seconds``/``tma_seconds``); ``level`` (the customer's rating) as a number, from ``4``,
    ``"4"`` or ``{"value": 4}``, with the value as sent in ``level_raw`` whenever it was not a
    JSON number (a rating that holds no number keeps ``level`` null and lives in ``level_raw``).
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    ID_FIELDS = ("id", "_id", "report_id")
    INSTANT_FIELDS = ("created_at", "opened_at", "createdAt")
    TEXT_FIELDS = ("_id", "report_id", "protocol", "tme", "tma")

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._warned = False
        self._lock = threading.Lock()

    def transform(
        self,
        record: dict[str, Any],
        config: Config | None = None,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> None:
        record["id"] = as_text(
            next((record[k] for k in self.ID_FIELDS if record.get(k) not in (None, "")), None)
        )
        instant = next((record[k] for k in self.INSTANT_FIELDS if record.get(k)), None)
        record["created_at"] = instant
        for name in ("tme", "tma"):
            record[f"{name}_seconds"] = duration_seconds(record.get(name))
        for name in self.TEXT_FIELDS:
            if name in record:
                record[name] = as_text(record[name])
        if "level" in record:
            level = record["level"]
            record["level"] = rating(level)
            is_number = isinstance(level, int | float) and not isinstance(level, bool)
            record["level_raw"] = None if level is None or is_number else as_text(level)
        if instant is None:
            with self._lock:
                first, self._warned = not self._warned, True
            if first:
                logger.warning(
                    "reports: an attendance carried none of created_at, opened_at or createdAt, so the incremental "
                    "cursor can't place it; it is synced, and the state moves by the days read. Not logged again."
                )


@dataclass
class DaySnapshotExtractor(RecordExtractor):
    """One record per analytics answer, ``{"data": <the answer>}``, whatever JSON the answer is.

    The analytics endpoints' answer shapes are not public (the official node returns the body as
    is). An object is kept as sent; a bare array, which the stock JSON decoder would split into
    one record per element (several rows with the same ``date`` key, all but one lost on
    dedupe), is kept whole as ``{"items": [...]}`` (a lone number or string as ``{"value": …}``), so
    ``data`` is always one object:
    ``[{"origin": "whatsapp", "count": 3}]`` -> ``{"data": {"items": [{"origin": "whatsapp", "count": 3}]}}``.
    An empty answer (no body, ``{}``, ``[]``, ``null``) is no snapshot.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        if response.status_code >= 400 or not response.content:
            return
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:  # the error handler retries such bodies; past its retries: none
            return
        if body in (None, {}, [], ""):
            return
        if isinstance(body, list):
            body = {"items": body}
        elif not isinstance(body, Mapping):
            body = {"value": body}
        yield {"data": body}


@dataclass
class HistoryPageExtractor(RecordExtractor):
    """One record per ``/v2/messages/history`` response: the envelope, with ``page`` always set.

    ``{"messages": "<JWE>", "page": 2, "pages": 3}`` says which page it is; the envelope live
    clients read, ``{"messages": "<JWE>"}``, does not, so the page number asked for (the request's
    ``page``, 1 when absent) fills it: ``page`` is part of the stream's primary key.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    decoder: Decoder = field(default_factory=lambda: JsonDecoder(parameters={}))

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        if response.status_code >= 400:  # a skipped 403/404 (plan without history): no page
            return
        for body in self.decoder.decode(response):
            if not isinstance(body, MutableMapping) or not body:
                continue
            if _int(body.get("page")) is None:
                asked = parse_qs(urlparse(response.request.url or "").query).get("page", ["1"])[0]
                body["page"] = _int(asked) or 1
            yield body


@dataclass
class DecryptedMessagesExtractor(RecordExtractor):
    """One record per message of a ``/v2/messages/history`` page, for the message-grain ``messages`` stream.

    ``{"messages": "<JWE>", …}`` is decrypted as ``DecryptHistory`` does (same repairs, same
    warnings, once per reason) and each message of the array becomes a record, with the ``kid``
    it was encrypted under. A page that can't be decrypted or parsed yields no record here: its
    messages can't be told apart (``messages_history`` keeps such pages whole).
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]
    decoder: Decoder = field(default_factory=lambda: JsonDecoder(parameters={}))

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._decrypt = DecryptHistory(config=self.config, parameters=parameters)

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[Any, Any]]:
        if response.status_code >= 400:  # a skipped 403/404 (plan without history): no messages
            return
        for body in self.decoder.decode(response):
            if not isinstance(body, Mapping) or jwe_is_empty_page(body.get("messages")):
                continue
            page: dict[str, Any] = {"messages": body.get("messages")}
            self._decrypt.transform(page)
            for message in page.get("messages") or []:
                if isinstance(message, Mapping):
                    yield {**{k: v for k, v in message.items() if k != "message_id"}, "kid": page["kid"]}


@dataclass
class MessageKey(RecordTransformation):
    """Sets ``message_id`` on a message record: the history API gives messages no id.

    A hash of the contact, ``created_at``, ``sent_by`` and ``content`` (the same as in
    ``messages_history.messages[].message_id``): stable across syncs, so the day a sync re-reads
    dedupes on it. Two messages identical in all four collapse into one row.
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def transform(
        self,
        record: dict[str, Any],
        config: Config | None = None,
        stream_state: StreamState | None = None,
        stream_slice: StreamSlice | None = None,
    ) -> None:
        record["message_id"] = _with_message_id(str(record.get("customer_id") or ""), record)["message_id"]


@dataclass
class HasMorePagination(PaginationStrategy):
    """Pages by number while the body says ``has_more``: ``{"campaigns": [...], "has_more": true, "total": 120}``.

    ``/v1/campaigns`` (as the live ETL reads it) says whether another page follows but not which
    page this is, so the next number comes from the last one asked (the first request has none: 1).
    """

    config: Config
    parameters: InitVar[Mapping[str, Any]]

    @property
    def initial_token(self) -> Any | None:
        return None

    def get_page_size(self) -> int | None:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Record | None,
        last_page_token_value: Any | None = None,
    ) -> Any | None:
        try:
            body = response.json()
        except ValueError:
            return None
        if not isinstance(body, Mapping) or not body.get("has_more") or last_page_size == 0:
            return None
        return (_int(last_page_token_value) or 1) + 1


# --- a rejected credential ends the sync ---------------------------------------------------------
# One source instance's config (every component of a source shares that one dict) -> the
# fingerprints of the credentials the API refused, each with the sentence that says so. The
# config is held so its id can't be reused by another source while the entry lives; only a
# refused credential makes an entry, and another source (a fixed config) starts clean.
_REJECTED: dict[int, tuple[Config, dict[str, str]]] = {}
_REJECTED_LOCK = threading.Lock()


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _reject(config: Config, secret: str, sentence: str) -> None:
    with _REJECTED_LOCK:
        _REJECTED.setdefault(id(config), (config, {}))[1][_fingerprint(secret)] = sentence


def _first_report(config: Config) -> bool:
    """True once per source: the first refusal of the sync, the one reported in full."""
    with _REJECTED_LOCK:
        entry = _REJECTED.get(id(config))
        if entry is None or entry[0] is not config:
            return True
        first = "reported" not in entry[1]
        entry[1]["reported"] = ""
        return first


def _rejection(config: Config, secret: str) -> str | None:
    with _REJECTED_LOCK:
        entry = _REJECTED.get(id(config))
    if entry is None or entry[0] is not config or not secret:
        return None
    return entry[1].get(_fingerprint(secret))


class CredentialsRejected(ConfigError):
    """RD Station Conversas refused the credential (HTTP 401): the whole sync stops.

    The CDK's concurrent read fails only the stream that raised, goes on with every other stream
    (each sending the same refused token) and ends with a summary of every failure. A bad token
    gave 18 requests, 19 traces and a 9,000-character summary.
    Now the first 401 marks the credential as refused for this source, so no
    request carries it again (``RefuseRejectedCredentials``): every other partition fails at once,
    without a request, and the sync ends in seconds. The first refusal is the sync's one trace,
    with the sentence; every later one is short (the CDK logs each failed partition and lists it
    in its closing summary trace) and is reported as one INFO line instead of a trace. Ending the read at the first refusal instead would skip the
    stream-end state of partitioned streams (their cursors emit state at most every 600 s), so a
    sync whose token was revoked midway would start over.
    """

    REPEAT = "RD Station Conversas refused the access token (see the first error)"

    def __init__(self, sentence: str, config: Config) -> None:
        self._first = _first_report(config)
        super().__init__(sentence if self._first else self.REPEAT)

    def as_airbyte_message(self, stream_descriptor: Any = None) -> Any:
        if stream_descriptor is not None and not self._first:
            return AirbyteMessage(
                type=Type.LOG,
                log=AirbyteLogMessage(
                    level=Level.INFO, message=f"Stream {stream_descriptor.name} stopped: {self.message}"
                ),
            )
        return super().as_airbyte_message()


def _raise_if_credentials_rejected(
    resolution: ErrorResolution, response_or_exception: requests.Response | Exception | None, config: Config
) -> ErrorResolution:
    """A 401 the manifest's rules call a config error: remember the token and stop the sync."""
    if (
        isinstance(response_or_exception, requests.Response)
        and response_or_exception.status_code == 401
        and resolution.response_action == ResponseAction.FAIL
        and resolution.failure_type == FailureType.config_error
    ):
        sentence = resolution.error_message or "RD Station Conversas rejected the token (HTTP 401)."
        request = response_or_exception.request
        _reject(config, (request.headers.get("Authorization") or "") if request is not None else "", sentence)
        raise CredentialsRejected(sentence, config)
    return resolution


@dataclass
class RefuseRejectedCredentials(DeclarativeAuthenticator):
    """Wraps the manifest's authenticator: a credential RD Station Conversas refused is never sent again.

    Once a 401 (``StopOnRejectedCredentials``) marked the token as refused, every request of the
    sync that would carry it (other streams, other pages, retries) fails here before it is sent.
    Adding the header is the wrapped authenticator's job.
    Example: ``Authorization: Bearer bad`` answered 401 on /v2/customers -> /v2/employees is never asked.
    """

    authenticator: DeclarativeAuthenticator
    config: Config
    parameters: InitVar[Mapping[str, Any]]

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        pass

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        self.authenticator(request)
        refused = _rejection(self.config, request.headers.get("Authorization") or "")
        if refused:
            raise CredentialsRejected(refused, self.config)
        return request

    def get_auth_header(self) -> Mapping[str, Any]:
        return self.authenticator.get_auth_header()

    @property
    def auth_header(self) -> str:
        return self.authenticator.auth_header

    @property
    def token(self) -> str:
        return self.authenticator.token


@dataclass
class StopOnRejectedCredentials(DefaultErrorHandler):
    """The manifest's error handler, except that a 401 ends the whole sync (``CredentialsRejected``).

    A 401 is never about one stream: the token is wrong for all of them. The manifest's rules
    still decide (their 401 rule is a config error with the sentence users see); this class only
    turns that config error into the one that stops the sync instead of failing one stream.
    """

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None
    ) -> ErrorResolution:
        resolution = super().interpret_response(response_or_exception)
        return _raise_if_credentials_rejected(resolution, response_or_exception, self.config)
