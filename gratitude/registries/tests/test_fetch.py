"""Add from any store: product pages served by a real HTTP server on 127.0.0.1 are read (JSON-LD with offer
lists and @graph, microdata, Open Graph), and every hostile answer is refused with a clear error: private
addresses (from a fake resolver, never connected to), redirects into them, huge or slow bodies, wrong types"""

from __future__ import annotations

import json
import socket
import ssl
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from gratitude.registries import fetch
from gratitude.registries.fetch import FetchError, address_refusal, clean_text, fetch_product, parse_price
from gratitude.testing.store import Route, Store, drip, endless, picture_bytes


@pytest.fixture
def store(settings: Any) -> Iterator[Store]:
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = True
    server = Store().start()
    try:
        yield server
    finally:
        server.stop()


def page(head: str = "", body: str = "") -> bytes:
    return f"<!doctype html><html><head>{head}</head><body>{body}</body></html>".encode()


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def test_shopify_style_json_ld_with_an_offers_list_and_graph(store: Store):
    store.routes["/products/bowl"] = Route(
        body=page(
            json_ld(
                {
                    "@context": "https://schema.org",
                    "@graph": [
                        {"@type": "Organization", "name": "Bowl & Co"},
                        {
                            "@type": "Product",
                            "name": "Walnut salad bowl &amp; servers",
                            "image": ["/cdn/bowl.jpg", "/cdn/bowl-2.jpg"],
                            "offers": [
                                {"@type": "Offer", "price": "89.00", "priceCurrency": "USD"},
                                {"@type": "Offer", "price": "99.00", "priceCurrency": "USD"},
                            ],
                        },
                    ],
                }
            )
        )
    )
    product = fetch_product(store.url("/products/bowl"))
    assert product.title == "Walnut salad bowl & servers"
    assert (product.price, product.currency) == (Decimal("89.00"), "USD")
    assert product.image_url == store.url("/cdn/bowl.jpg")
    assert product.url == store.url("/products/bowl")


def test_product_group_takes_the_price_from_its_first_variant(store: Store):
    variants = [{"@type": "Product", "offers": {"price": 24.5, "priceCurrency": "CAD"}}]
    store.routes["/p"] = Route(
        body=page(json_ld({"@type": "ProductGroup", "name": "Sleep sack", "hasVariant": variants}))
    )
    product = fetch_product(store.url("/p"))
    assert (product.title, product.price, product.currency) == ("Sleep sack", Decimal("24.50"), "CAD")


def test_open_graph_product_price_tags(store: Store):
    store.routes["/og"] = Route(
        body=page(
            '<meta property="og:type" content="product">'
            '<meta property="og:title" content="Linen napkins, set of 4">'
            '<meta property="og:image" content="https://cdn.shop.example/napkins.jpg">'
            '<meta property="product:price:amount" content="1,299.00">'
            '<meta property="product:price:currency" content="sek">'
        )
    )
    product = fetch_product(store.url("/og"))
    assert (product.title, product.price, product.currency) == (
        "Linen napkins, set of 4",
        Decimal("1299.00"),
        "SEK",
    )
    assert product.image_url == "https://cdn.shop.example/napkins.jpg"


def test_microdata_product(store: Store):
    store.routes["/m"] = Route(
        body=page(
            body='<div itemscope itemtype="https://schema.org/Product"><h1 itemprop="name">Baby monitor</h1>'
            '<img itemprop="image" src="/img/monitor.png">'
            '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            '<meta itemprop="price" content="129.95">'
            '<meta itemprop="priceCurrency" content="GBP"></div></div>'
        )
    )
    product = fetch_product(store.url("/m"))
    assert (product.title, product.price, product.currency) == ("Baby monitor", Decimal("129.95"), "GBP")
    assert product.image_url == store.url("/img/monitor.png")


def test_a_page_that_is_no_product_is_a_clear_error(store: Store):
    store.routes["/blog"] = Route(body=page("<title>Our story</title>", "<p>We make bowls.</p>"))
    with pytest.raises(FetchError, match="does not describe a product"):
        fetch_product(store.url("/blog"))


def test_hostile_title_loses_control_and_direction_characters_and_is_capped(store: Store):
    name = "Nice\u202egnp.exe\x00 bowl\n\t" + "x" * 500
    store.routes["/evil"] = Route(body=page(json_ld({"@type": "Product", "name": name})))
    product = fetch_product(store.url("/evil"))
    assert "\u202e" not in product.title and "\x00" not in product.title and "\n" not in product.title
    assert product.title.startswith("Nice gnp.exe bowl x")
    assert len(product.title) == 200


def test_redirects_are_followed_up_to_three(store: Store):
    store.routes["/final"] = Route(body=page(json_ld({"@type": "Product", "name": "Kettle"})))
    for hop, target in (("/r1", "/r2"), ("/r2", "/r3"), ("/r3", "/final")):
        store.routes[hop] = Route(status=302, headers={"Location": target})
    assert fetch_product(store.url("/r1")).title == "Kettle"
    store.routes["/r0"] = Route(status=301, headers={"Location": "/r1"})
    with pytest.raises(FetchError, match="redirected too many times"):
        fetch_product(store.url("/r0"))


def test_redirect_to_a_private_address_is_refused_before_connecting(store: Store, monkeypatch):
    """The first hop is the local store; its redirect names a host the fake resolver puts at 10.0.0.5."""
    store.routes["/go"] = Route(status=302, headers={"Location": "http://intranet.example/admin"})
    connected: list[Any] = []
    real_connect = socket.create_connection

    def recording_connect(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address)
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", recording_connect)

    def resolver(host: str, port: int) -> list[str]:
        return ["127.0.0.1"] if host == "127.0.0.1" else ["10.0.0.5"]

    with pytest.raises(FetchError, match="private network"):
        fetch.fetch(store.url("/go"), accept=fetch.HTML_TYPES, max_bytes=1000, resolver=resolver)
    assert [address[0] for address in connected] == ["127.0.0.1"]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address the fetcher must refuse, not one we bind
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:10.0.0.1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:1",
        "2002:a00:1::1",
    ],
)
def test_internal_addresses_are_refused_without_connecting(address: str, settings: Any, monkeypatch):
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = False
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("must not connect"))
    with pytest.raises(FetchError, match="private network"):
        fetch.fetch(
            "https://shop.example/p", accept=fetch.HTML_TYPES, max_bytes=1000, resolver=lambda h, p: [address]
        )


def test_one_internal_address_among_public_ones_is_refused(settings: Any, monkeypatch):
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("must not connect"))
    with pytest.raises(FetchError, match="private network"):
        fetch.fetch(
            "https://shop.example/p",
            accept=fetch.HTML_TYPES,
            max_bytes=1000,
            resolver=lambda h, p: ["93.184.216.34", "192.168.0.10"],
        )


def test_loopback_permission_opens_loopback_only_and_never_in_prod(settings: Any):
    assert address_refusal("127.0.0.2", allow_loopback=True) is None
    assert address_refusal("::1", allow_loopback=True) is None
    assert address_refusal("10.0.0.1", allow_loopback=True) is not None
    assert address_refusal("::ffff:127.0.0.1", allow_loopback=True) is not None
    assert address_refusal("93.184.216.34", allow_loopback=False) is None
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = True
    settings.IS_PROD = True
    assert fetch.loopback_allowed() is False


def test_loopback_is_refused_without_the_permission(store: Store, settings: Any):
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = False
    store.routes["/p"] = Route(body=page(json_ld({"@type": "Product", "name": "Kettle"})))
    with pytest.raises(FetchError, match="private network"):
        fetch_product(store.url("/p"))
    assert store.requests == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://shop.example/p", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("https://user:pw@shop.example/p", "user name or password"),
        ("https://shop.example:8080/p", "usual web ports"),
    ],
)
def test_only_http_and_https_on_the_usual_ports(url: str, message: str, monkeypatch):
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("must not connect"))
    with pytest.raises(FetchError, match=message):
        fetch.fetch(url, accept=fetch.HTML_TYPES, max_bytes=1000, resolver=lambda h, p: ["93.184.216.34"])


def test_a_50_mb_body_is_cut_off_at_the_cap(store: Store):
    store.routes["/huge"] = Route(stream=endless(50))
    started = time.monotonic()
    with pytest.raises(FetchError, match="too large"):
        fetch_product(store.url("/huge"))
    assert time.monotonic() - started < 5


def test_a_declared_huge_length_is_refused_before_reading(store: Store):
    store.routes["/declared"] = Route(headers={"Content-Length": str(50 * 1024 * 1024)}, stream=endless(1))
    with pytest.raises(FetchError, match="too large"):
        fetch_product(store.url("/declared"))


def test_a_gzip_bomb_is_cut_off_at_the_cap(store: Store):
    import gzip

    bomb = gzip.compress(b"<html>" + b" " * (60 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 100 * 1024
    store.routes["/gz"] = Route(body=bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="too large"):
        fetch_product(store.url("/gz"))


def test_a_slow_drip_is_cut_off_by_the_overall_deadline(store: Store, monkeypatch):
    """Each byte comes well within any per-read timeout; only a deadline for the whole fetch stops it."""
    monkeypatch.setattr(fetch, "FETCH_SECONDS", 1.0)
    store.routes["/slow"] = Route(stream=drip(total_seconds=10, pieces=100))
    started = time.monotonic()
    with pytest.raises(FetchError, match="too long"):
        fetch_product(store.url("/slow"))
    assert time.monotonic() - started < 2.5


def test_non_html_is_refused(store: Store):
    store.routes["/pic"] = Route(content_type="image/jpeg", body=picture_bytes(10, 10))
    store.routes["/json"] = Route(content_type="application/json", body=b'{"@type": "Product"}')
    for path in ("/pic", "/json"):
        with pytest.raises(FetchError, match="not a page we can read"):
            fetch_product(store.url(path))


def test_an_unreachable_site_is_a_clear_error(settings: Any):
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = True
    from gratitude.testing.store import free_store_port

    with pytest.raises(FetchError, match="could not reach"):
        fetch_product(f"http://127.0.0.1:{free_store_port()}/nothing-listens-here")


def test_a_store_error_status_is_a_clear_error(store: Store):
    with pytest.raises(FetchError, match="404"):
        fetch_product(store.url("/missing"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("19.9", "19.90"), ("1,299.00", "1299.00"), ("1.299,50", "1299.50"), ("12,5", "12.50"), (24, "24.00")],
)
def test_prices_are_read_in_their_usual_spellings(raw: object, expected: str):
    assert parse_price(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["", "free", "1e9", "123456789012"])
def test_odd_prices_are_left_for_the_registrant(raw: str):
    assert parse_price(raw) is None


def test_clean_text_decodes_entities_and_collapses_space():
    assert clean_text("  Bowl &amp;\u200b\r\n spoon ") == "Bowl & spoon"


def test_a_hanging_dns_lookup_is_cut_off_by_the_deadline(monkeypatch):
    monkeypatch.setattr(fetch, "FETCH_SECONDS", 0.5)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("must not connect"))

    def hanging(host: str, port: int) -> list[str]:
        time.sleep(3)
        return ["93.184.216.34"]

    started = time.monotonic()
    with pytest.raises(FetchError, match="too long"):
        fetch.fetch("https://shop.example/p", accept=fetch.HTML_TYPES, max_bytes=1000, resolver=hanging)
    assert time.monotonic() - started < 1.5


def test_deeply_nested_json_ld_is_read_without_recursion(store: Store):
    """A hostile page nests @graph as deep as the JSON parser allows; reading it must not blow the stack."""
    depth = 900
    nested = '{"@graph":' * depth + '{"@type": "Product", "name": "Deep"}' + "}" * depth
    store.routes["/deep"] = Route(body=page(f'<script type="application/ld+json">{nested}</script>'))
    assert fetch_product(store.url("/deep")).title == "Deep"


def test_walking_a_tree_deeper_than_the_recursion_limit_finds_the_product():
    import sys

    node: dict[str, object] = {"@type": "Product", "name": "Bottom"}
    for _ in range(sys.getrecursionlimit() * 2):
        node = {"@graph": [node]}
    assert [found.get("name") for found in fetch._nodes(node) if found.get("@type") == "Product"] == [
        "Bottom"
    ]


def test_the_checked_address_is_connected_to_and_the_host_name_kept(settings: Any, monkeypatch):
    """Resolved once, by us: the connection goes to the address we checked, while the Host header still
    names the site. A second lookup (the system's) would have answered something else."""
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = True
    server = Store().start()
    try:
        server.routes["/p"] = Route(body=page(json_ld({"@type": "Product", "name": "Kettle"})))
        lookups: list[str] = []

        def resolver(host: str, port: int) -> list[str]:
            lookups.append(host)
            return ["127.0.0.1"]

        real_getaddrinfo = socket.getaddrinfo

        def numeric_only(host: str, *args: Any, **kwargs: Any) -> Any:
            # Connecting to an address literal "resolves" it without DNS; a name here is a second lookup.
            if host != "127.0.0.1":
                pytest.fail(f"a second DNS lookup of {host}")
            return real_getaddrinfo(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", numeric_only)
        fetched = fetch.fetch(
            server.url("/p", host="shop.test"), accept=fetch.HTML_TYPES, max_bytes=10_000, resolver=resolver
        )
        assert b"Kettle" in fetched.body
        assert lookups == ["shop.test"]
        assert server.hosts == [f"shop.test:{server.port}"]
    finally:
        server.stop()


def test_tls_uses_the_host_name_for_sni_and_the_certificate(settings: Any, tmp_path: Any):
    """Over https the connection is pinned to the checked address, yet TLS asks for the site's name (SNI)
    and the certificate must be for that name: one for another name is refused."""
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = True
    cert, key = _self_signed(tmp_path, "shop.test")
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    server = Store(tls=server_context).start()
    try:
        server.routes["/p"] = Route(body=page(json_ld({"@type": "Product", "name": "Kettle"})))
        client_context = ssl.create_default_context(cafile=str(cert))
        fetched = fetch.fetch(
            server.url("/p", host="shop.test"),
            accept=fetch.HTML_TYPES,
            max_bytes=10_000,
            resolver=lambda host, port: ["127.0.0.1"],
            ssl_context=client_context,
        )
        assert b"Kettle" in fetched.body
        assert server.server_names == ["shop.test"]
        with pytest.raises(FetchError, match="could not reach"):
            fetch.fetch(
                server.url("/p", host="other.test"),
                accept=fetch.HTML_TYPES,
                max_bytes=10_000,
                resolver=lambda host, port: ["127.0.0.1"],
                ssl_context=ssl.create_default_context(cafile=str(cert)),
            )
    finally:
        server.stop()


def _self_signed(directory: Any, name: str) -> tuple[Any, Any]:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path
