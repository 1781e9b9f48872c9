"""DKIM signing (RFC 6376, relaxed/relaxed) with OpenSSL through `cryptography`; the DNS record to publish.

Why not dkimpy for signing: its RSA is pure Python, about 8 ms a message; OpenSSL's RSA-2048 is about
0.3 ms (bench/dkim_bench.py measures both). dkimpy stays the independent verifier in the tests.

The signature covers From, To, Subject, Date, Message-ID, List-Unsubscribe and List-Unsubscribe-Post (when
present; RFC 8058 requires both), the MIME structure and our trace headers. The headers a forger would most
like to add (From, Subject, the List-Unsubscribe pair, Reply-To) are over-signed: listed once more than they
occur, so a second copy added in transit breaks the signature. `d=` must be the From address's domain or a
parent of it (DMARC alignment); a message from any other domain is refused rather than signed misaligned.
See docs/deliverability.md.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass
from email.utils import getaddresses
from functools import cache, lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.core.exceptions import ImproperlyConfigured

from gratitude.notifications import conf

# Signed when present, in this order. Lower case, as they appear in h=.
SIGNED_HEADERS = (
    "from",
    "to",
    "cc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "auto-submitted",
    "x-gratitude-kind",
    "x-gratitude-reference",
)
# Listed once more than they occur (RFC 6376 8.15): an extra copy added later fails verification.
OVERSIGNED_HEADERS = frozenset({"from", "reply-to", "subject", "list-unsubscribe", "list-unsubscribe-post"})
# RFC 8058 and docs/safety.md promise 12: these must be covered whenever the message carries them.
REQUIRED_COVERAGE = ("from", "to", "subject", "date", "message-id")
FOLD_AT = 72

_WSP_RUN = re.compile(rb"[ \t]+")
# In bodies only runs that change are replaced: a single space stays as it is (most of a message).
_BODY_WSP_RUN = re.compile(rb"[ \t]{2,}|\t")
_LINE_END_WSP = re.compile(rb" \r\n")


class DkimError(Exception):
    """A message we must not sign (misaligned From, no From) or a key we cannot use."""


def split_message(raw: bytes) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """Headers as (name, raw value with its folding) and the body, from a CRLF message."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        head, body = raw, b""
    headers: list[tuple[bytes, bytes]] = []
    for line in head.split(b"\r\n"):
        if line[:1] in (b" ", b"\t") and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + b"\r\n" + line)
        elif line:
            name, _, value = line.partition(b":")
            headers.append((name, value))
    return headers, body


def relaxed_header(name: bytes, value: bytes) -> bytes:
    unfolded = value.replace(b"\r\n", b"")
    return name.strip().lower() + b":" + _WSP_RUN.sub(b" ", unfolded).strip()


def relaxed_body(body: bytes) -> bytes:
    if b"\t" in body or b"  " in body:
        body = _BODY_WSP_RUN.sub(b" ", body)
    if b" \r\n" in body:
        body = _LINE_END_WSP.sub(b"\r\n", body)
    body = body.rstrip(b" ").rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


def _select(
    headers: list[tuple[bytes, bytes]], lowered: list[str], names: list[str]
) -> list[tuple[bytes, bytes]]:
    """The instances each h= name stands for: the last unused one, bottom up (RFC 6376 5.4.2).
    `lowered` holds the headers' names in lower case, in order."""
    chosen: list[tuple[bytes, bytes]] = []
    next_from: dict[str, int] = {}
    for name in names:
        index = next_from.get(name, len(headers))
        while index > 0:
            index -= 1
            if lowered[index] == name:
                chosen.append(headers[index])
                break
        next_from[name] = index
    return chosen


def _fold_tags(tags: list[str]) -> str:
    """`tag=value; ` pairs folded at FOLD_AT columns, breaking only between tags."""
    lines: list[str] = []
    line = ""
    for tag in tags:
        piece = tag if not line else f" {tag}"
        if line and len(line) + len(piece) > FOLD_AT:
            lines.append(line)
            line = tag
        else:
            line += piece
    lines.append(line)
    return "\r\n\t".join(lines)


def _fold_base64(data: str) -> str:
    return "\r\n\t ".join(data[i : i + FOLD_AT - 4] for i in range(0, len(data), FOLD_AT - 4))


def from_domain(headers: list[tuple[bytes, bytes]]) -> str:
    return _domain_of(tuple(v for n, v in headers if n.strip().lower() == b"from"))


@lru_cache(maxsize=64)
def _domain_of(from_values: tuple[bytes, ...]) -> str:
    # Cached: a sender sends from one or two From values, and parsing addresses is the slow part.
    values = [value.decode("utf-8", "replace") for value in from_values]
    addresses = [address for _, address in getaddresses(values) if "@" in address]
    if len(addresses) != 1:
        raise DkimError(f"a signed message needs exactly one From address, not {len(addresses)}")
    return addresses[0].rsplit("@", 1)[1].lower().rstrip(".")


def aligned(domain: str, sdid: str) -> bool:
    """Relaxed DMARC alignment: the From domain is d= or a subdomain of it."""
    return domain == sdid or domain.endswith(f".{sdid}")


PrivateKey = rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class DkimSigner:
    key: PrivateKey
    selector: str
    domain: str

    @property
    def algorithm(self) -> str:
        return "ed25519-sha256" if isinstance(self.key, ed25519.Ed25519PrivateKey) else "rsa-sha256"

    def signature_header(self, raw: bytes, *, timestamp: int | None = None) -> bytes:
        """The `DKIM-Signature: ...\\r\\n` line to put in front of `raw` (a CRLF message)."""
        headers, body = split_message(raw)
        sender = from_domain(headers)
        if not aligned(sender, self.domain):
            raise DkimError(f"From domain {sender!r} is not aligned with d={self.domain}")
        lowered = [n.strip().lower().decode("ascii", "replace") for n, _ in headers]
        names: list[str] = []
        for name in SIGNED_HEADERS:
            count = lowered.count(name)
            names += [name] * (count + (1 if name in OVERSIGNED_HEADERS else 0))
        body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest()).decode()
        tags = [
            "v=1;",
            f"a={self.algorithm};",
            "c=relaxed/relaxed;",
            f"d={self.domain};",
            f"s={self.selector};",
            f"t={int(time.time()) if timestamp is None else timestamp};",
            f"h={':'.join(names)};",
            f"bh={body_hash};",
        ]
        # b= on a line of its own, so adding its value cannot change the folding hashed before it.
        unsigned = "DKIM-Signature: " + _fold_tags(tags) + "\r\n\tb="
        own_name, _, own_value = unsigned.encode("ascii").partition(b":")
        signed_data = b"".join(relaxed_header(n, v) + b"\r\n" for n, v in _select(headers, lowered, names))
        signed_data += relaxed_header(own_name, own_value)
        signature = self._sign(signed_data)
        folded = _fold_base64(base64.b64encode(signature).decode())
        return (unsigned + folded + "\r\n").encode("ascii")

    def sign(self, raw: bytes) -> bytes:
        return self.signature_header(raw) + raw

    def _sign(self, data: bytes) -> bytes:
        if isinstance(self.key, ed25519.Ed25519PrivateKey):
            # RFC 8463: Ed25519 over the SHA-256 hash of the canonicalized header data.
            return self.key.sign(hashlib.sha256(data).digest())
        return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def dns_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    def dns_value(self) -> str:
        """The TXT record's value: `v=DKIM1; k=rsa; p=<public key>`."""
        public = self.key.public_key()
        if isinstance(public, ed25519.Ed25519PublicKey):
            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return f"v=DKIM1; k=ed25519; p={base64.b64encode(raw).decode()}"
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


def txt_strings(value: str, size: int = 255) -> list[str]:
    """A TXT record's character-strings are at most 255 bytes; resolvers join them back together."""
    return [value[i : i + size] for i in range(0, len(value), size)]


def load_private_key(path: Path) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"DKIM key {path} cannot be read: {exc}") from exc
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ImproperlyConfigured(f"DKIM key {path} is RSA-{key.key_size}; use at least 2048 bits")
        return key
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    raise ImproperlyConfigured(f"DKIM key {path} must be RSA (2048+) or Ed25519")


def generate_rsa_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@cache
def _signers_for(key_files: tuple[tuple[str, str], ...], domain: str) -> tuple[DkimSigner, ...]:
    return tuple(
        DkimSigner(key=load_private_key(Path(path)), selector=selector, domain=domain)
        for path, selector in key_files
    )


def configured_signers() -> tuple[DkimSigner, ...]:
    """The signers the settings ask for (RSA, and optionally a second Ed25519 key), loaded once."""
    key_files = []
    if conf.dkim_key_file():
        key_files.append((conf.dkim_key_file(), conf.dkim_selector()))
    if conf.dkim_ed25519_key_file():
        key_files.append((conf.dkim_ed25519_key_file(), conf.dkim_ed25519_selector()))
    return _signers_for(tuple(key_files), conf.dkim_domain())


def sign_message(raw: bytes) -> bytes:
    """`raw` with a signature per configured key in front (each verifies on its own, so a receiver
    that knows only RSA still passes). Unchanged when no key is configured."""
    signatures = b"".join(signer.signature_header(raw) for signer in configured_signers())
    return signatures + raw
