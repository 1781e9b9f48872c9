"""Fetching a store's page without letting a pasted link reach our own network, and reading the product on it.

"Add from any store" (docs/registries.md): a registrant pastes a link and the server fetches it. Anything a
stranger can make the server fetch is a way into the network behind it (SSRF), so:

- only http and https, on ports 80 and 443, with no user name or password in the link;
- the host is resolved here, every address it resolves to is checked (no loopback, private, link-local,
  multicast, reserved or unspecified address, IPv4 or IPv6, including IPv4 inside IPv6), and the connection
  goes to the checked address itself, so a second DNS answer cannot swap it (the Host header and TLS SNI
  still carry the name);
- redirects are followed here, at most three, each one checked like the first link;
- one deadline for the whole fetch (a server that drips a byte at a time is cut off when it passes), a size
  cap counted as the body arrives, and only the content types asked for.

`GRATITUDE_FETCH_ALLOW_LOOPBACK` lets tests and demos reach 127.0.0.0/8 and ::1 (on any port), never
another address, and never in production (config/settings/ ignores it there, and registries/conf.py too).
"""

from __future__ import annotations

import html
import ipaddress
import json
import re
import socket
import ssl
import time
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from gratitude.core.errors import GratitudeError
from gratitude.registries import conf

FETCH_SECONDS = 5.0
PAGE_MAX_BYTES = 2 * 1024 * 1024
MAX_REDIRECTS = 3
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TITLE_MAX_CHARS = 200
USER_AGENT = "GratitudeRegistry/1.0 (+https://gratitude.example; reads one product page a registrant pasted)"

# host, port -> the addresses to connect to (tests pass one that answers private addresses).
Resolver = Callable[[str, int], list[str]]


class FetchError(GratitudeError):
    """The page could not be fetched or read; the message says why, for the registrant."""


def system_resolver(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"We could not find the site “{host}”. Check the link.") from exc
    return [str(info[4][0]) for info in infos]


def loopback_allowed() -> bool:
    return conf.fetch_allow_loopback()


_LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.ip_address("::1")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why we will not connect to `address`, or None if it is an ordinary public address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an address"
    if allow_loopback and (ip in _LOOPBACK_V4 if ip.version == 4 else ip == _LOOPBACK_V6):
        return None
    if isinstance(ip, ipaddress.IPv6Address):
        # An IPv4 address carried inside IPv6 reaches the IPv4 network: judge the IPv4 address.
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_refusal(str(embedded), allow_loopback=False) and "an internal address"
    for flag in (
        "is_loopback",
        "is_private",
        "is_link_local",
        "is_multicast",
        "is_reserved",
        "is_unspecified",
    ):
        if getattr(ip, flag):
            return "an internal address"
    if not ip.is_global:
        return "an internal address"
    return None


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the fetch's one deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: float) -> None:
        self._stream = stream
        self._deadline = deadline

    def _timeout(self, timeout: float | None) -> float:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("The store's page took too long to load.")
        return remaining if timeout is None else min(timeout, remaining)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._timeout(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._timeout(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # server_hostname is the link's host name: the certificate is checked against the name, not the IP.
        tls = self._stream.start_tls(ssl_context, server_hostname, self._timeout(timeout))
        return _DeadlineStream(tls, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _CheckedBackend(httpcore.NetworkBackend):
    """Resolves and checks the host itself, then connects to the checked address (never a second lookup)."""

    def __init__(self, *, resolver: Resolver, allow_loopback: bool, deadline: float) -> None:
        self._resolver = resolver
        self._allow_loopback = allow_loopback
        self._deadline = deadline
        self._system = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = self._resolve(host, port)
        if not addresses:
            raise FetchError(f"We could not find the site “{host}”. Check the link.")
        for address in addresses:
            if address_refusal(address, allow_loopback=self._allow_loopback):
                # Every address must be public: a mixed answer is how DNS rebinding slips one in.
                raise FetchError("That link points into a private network; we only fetch public store pages.")
        address = addresses[0]
        is_loopback = address_refusal(address, allow_loopback=False) is not None
        if port not in (80, 443) and not (self._allow_loopback and is_loopback):
            raise FetchError("We only fetch store pages on the usual web ports (80 and 443).")
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError("The store's page took too long to load.")
        stream = self._system.connect_tcp(
            address, port, timeout=min(timeout or remaining, remaining), socket_options=socket_options
        )
        return _DeadlineStream(stream, self._deadline)

    def _resolve(self, host: str, port: int) -> list[str]:
        """The resolver's answer, within the fetch's deadline (getaddrinfo itself has no timeout)."""
        remaining = self._deadline - time.monotonic()
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="store-fetch-dns")
        try:
            return pool.submit(self._resolver, host, port).result(timeout=max(remaining, 0.001))
        except FutureTimeout as exc:
            raise FetchError("The store's site took too long to answer.") from exc
        finally:
            # A lookup still running finishes in its thread; nothing waits for it.
            pool.shutdown(wait=False)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise FetchError("We only fetch store pages over the network.")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _CoreStream(httpx.SyncByteStream):
    def __init__(self, stream: Iterable[bytes]) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


class _CheckedTransport(httpx.BaseTransport):
    """httpx on top of httpcore's pool with the checking network backend (httpx's own transport has no way
    to pass one in)."""

    def __init__(self, backend: httpcore.NetworkBackend, ssl_context: ssl.SSLContext) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context, network_backend=backend, max_connections=2, retries=0
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core_request)
        assert isinstance(response.stream, Iterable)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_CoreStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


# Our transport hands httpcore's errors through as they are (httpx maps them only in its own transport).
_HTTPCORE_ERRORS = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ConnectionNotAvailable,
)


@dataclass(frozen=True)
class Fetched:
    url: str
    content_type: str
    charset: str
    body: bytes


def _check_link(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError("Enter a store link starting with http:// or https://")
    if parts.username or parts.password:
        raise FetchError("A store link with a user name or password in it is not one we fetch.")


def fetch(
    url: str,
    *,
    accept: frozenset[str],
    max_bytes: int,
    resolver: Resolver | None = None,
    what: str = "page",
    ssl_context: ssl.SSLContext | None = None,
) -> Fetched:
    """GET `url` within FETCH_SECONDS overall, following at most MAX_REDIRECTS redirects, each checked.

    `resolver` and `ssl_context` (the system's certificate authorities by default) are for tests."""
    deadline = time.monotonic() + FETCH_SECONDS
    backend = _CheckedBackend(
        resolver=resolver or system_resolver, allow_loopback=loopback_allowed(), deadline=deadline
    )
    headers = {
        "User-Agent": USER_AGENT,
        "Accept": ", ".join(sorted(accept)),
        "Accept-Encoding": "gzip, identity",
    }
    with httpx.Client(
        transport=_CheckedTransport(backend, ssl_context or ssl.create_default_context()),
        follow_redirects=False,
        trust_env=False,  # a proxy from the environment would make the connection, unchecked
        timeout=httpx.Timeout(FETCH_SECONDS),
        headers=headers,
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            _check_link(url)
            try:
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        url = urljoin(url, response.headers.get("location", ""))
                        continue
                    return _read(response, url=url, accept=accept, max_bytes=max_bytes, what=what)
            except (httpx.TimeoutException, httpcore.TimeoutException) as exc:
                raise FetchError(f"The store's {what} took too long to load.") from exc
            except (httpx.HTTPError, *_HTTPCORE_ERRORS) as exc:
                raise FetchError(f"We could not reach the store's {what}.") from exc
    raise FetchError("The link redirected too many times.")


def _read(
    response: httpx.Response, *, url: str, accept: frozenset[str], max_bytes: int, what: str
) -> Fetched:
    if response.status_code != 200:
        raise FetchError(f"The store answered “{response.status_code}” for that {what}.")
    content_type, _, params = response.headers.get("content-type", "").partition(";")
    content_type = content_type.strip().lower()
    if content_type not in accept:
        shown = clean_text(content_type, limit=60) or "unknown"
        raise FetchError(f"That link is not a {what} we can read (it is “{shown}”).")
    too_large = FetchError(f"The store's {what} is too large (over {max_bytes // (1024 * 1024)} MB).")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "", "gzip", "x-gzip"):
        raise FetchError(f"The store sent the {what} in a form we do not read.")
    # Decompressed here, a bounded piece at a time: a small gzip body can expand a thousandfold.
    decoder = zlib.decompressobj(wbits=47) if "gzip" in encoding else None
    body = bytearray()
    for chunk in response.iter_raw():
        data = chunk
        while decoder is not None and data:
            piece = decoder.decompress(data, max_bytes - len(body) + 1)
            body += piece
            data = decoder.unconsumed_tail
            if len(body) > max_bytes:
                raise too_large
        if decoder is None:
            body += data
        if len(body) > max_bytes:
            raise too_large
    charset = re.search(r"charset=([\w-]+)", params)
    return Fetched(
        url=url, content_type=content_type, charset=charset.group(1) if charset else "", body=bytes(body)
    )


# --- Reading the product ---------------------------------------------------------------------


@dataclass(frozen=True)
class ProductDetails:
    url: str
    title: str
    price: Decimal | None
    currency: str
    image_url: str


_CONTROL = {"Cc", "Cf", "Co", "Cs", "Zl", "Zp"}


def clean_text(value: object, *, limit: int = TITLE_MAX_CHARS) -> str:
    """A store's text as plain, single-line text: entities decoded, control and direction-changing
    characters removed, spaces collapsed, at most `limit` characters. It is still escaped where shown."""
    text = html.unescape(str(value))
    text = "".join(" " if unicodedata.category(char) in _CONTROL else char for char in text)
    return " ".join(text.split())[:limit].strip()


def parse_price(value: object) -> Decimal | None:
    """ "1,299.00", "19.9", 24 -> Decimal with two places; anything odd -> None (the registrant types it)."""
    # A currency sign or code may stand before or after the number, nothing inside it.
    text = re.sub(r"^\D+|\D+$", "", str(value)).replace(" ", "").replace("\u00a0", "").replace("'", "")
    if not re.fullmatch(r"[\d.,]+", text):
        return None
    if "," in text and "." in text:
        text = (
            text.replace(",", "")
            if text.rfind(".") > text.rfind(",")
            else text.replace(".", "").replace(",", ".")
        )
    elif text.count(",") == 1 and len(text.rsplit(",", 1)[1]) in (1, 2):
        text = text.replace(",", ".")
    else:
        text = text.replace(",", "")
    if not re.fullmatch(r"\d{1,8}(\.\d{1,2})?", text):
        return None
    try:
        return Decimal(text).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


def _currency(value: object) -> str:
    code = str(value or "").strip().upper()
    return code if re.fullmatch(r"[A-Z]{3}", code) else ""


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", [])
    names = value if isinstance(value, list) else [value]
    return {str(name).rsplit("/", 1)[-1] for name in names}


_MAX_NODES = 10_000


def _nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD or microdata tree, @graph and nested lists included, in document order.
    Walked with a stack, not recursion, and at most _MAX_NODES: a hostile page nests as deep as it likes."""
    stack = [data]
    seen = 0
    while stack and seen < _MAX_NODES:
        seen += 1
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            yield node
            children = [
                node[key] for key in ("@graph", "mainEntity", "itemListElement", "item") if key in node
            ]
            stack.extend(reversed(children))


def _first(value: Any) -> Any:
    while isinstance(value, list):
        if not value:
            return None
        value = value[0]
    return value


def _image(value: Any) -> str:
    value = _first(value)
    if isinstance(value, dict):
        value = _first(value.get("url") or value.get("contentUrl") or "")
    return str(value or "")


def _offer(product: dict[str, Any]) -> tuple[Decimal | None, str]:
    offers = product.get("offers")
    if not offers and product.get("hasVariant"):
        # Shopify's ProductGroup: the price is on each variant.
        offers = (_first(product["hasVariant"]) or {}).get("offers")
    for offer in offers if isinstance(offers, list) else [offers]:
        if not isinstance(offer, dict):
            continue
        spec = _first(offer.get("priceSpecification")) or {}
        price = offer.get(
            "price", offer.get("lowPrice", spec.get("price") if isinstance(spec, dict) else None)
        )
        currency = offer.get("priceCurrency") or (spec.get("priceCurrency") if isinstance(spec, dict) else "")
        if price is not None:
            return parse_price(price), _currency(currency)
    return None, ""


def read_product(body: str, *, url: str) -> ProductDetails:
    """The product a page describes, from JSON-LD, then microdata, then Open Graph (field by field)."""
    # Imported here, not at the top: extruct (with lxml, rdflib, html5lib) took a third of every process's
    # start-up, and most processes (the mail worker, a management command) never read a store page.
    import extruct

    try:
        data = extruct.extract(
            body, base_url=url, syntaxes=["json-ld", "microdata", "opengraph"], uniform=True, errors="ignore"
        )
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise FetchError("We could not read that page.") from exc
    title, price, currency, image = "", None, "", ""
    found = False
    for syntax in ("json-ld", "microdata"):
        for node in _nodes(data.get(syntax, [])):
            if not _types(node) & {"Product", "ProductGroup"}:
                continue
            found = True
            title = title or clean_text(node.get("name") or "")
            image = image or _image(node.get("image"))
            if price is None:
                price, currency = _offer(node)
    for graph in data.get("opengraph", []):
        properties = {key: _first(value) for key, value in graph.items() if not key.startswith("@")}
        amount = properties.get("product:price:amount") or properties.get("og:price:amount")
        if amount or str(graph.get("@type", "")).lower() in ("product", "og:product", "product.item"):
            found = True
        title = title or clean_text(properties.get("og:title") or "")
        image = image or str(properties.get("og:image") or properties.get("og:image:url") or "")
        if price is None and amount:
            price = parse_price(amount)
            currency = _currency(
                properties.get("product:price:currency") or properties.get("og:price:currency")
            )
    if not found or not title:
        raise FetchError(
            "That page does not describe a product we can read. You can add the item by hand below."
        )
    image = urljoin(url, image) if image else ""
    if urlsplit(image).scheme not in ("http", "https") or len(image) > 500:
        image = ""  # a cut-off link would fetch something else; the registrant can upload a picture
    return ProductDetails(url=url, title=title, price=price, currency=currency, image_url=image)


def fetch_product(url: str, *, resolver: Resolver | None = None) -> ProductDetails:
    """Fetch a store's product page and read the product on it; FetchError with a clear message otherwise."""
    url = url.strip()
    fetched = fetch(url, accept=HTML_TYPES, max_bytes=PAGE_MAX_BYTES, resolver=resolver)
    details = read_product(_decode(fetched.body, fetched.charset), url=fetched.url)
    # The registrant pasted this link; keep it as the item's link (a redirect's target may be a tracker's).
    return ProductDetails(
        url=url,
        title=details.title,
        price=details.price,
        currency=details.currency,
        image_url=details.image_url,
    )


def _decode(body: bytes, charset: str) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # a charset name Python does not know
        return body.decode("utf-8", errors="replace")
