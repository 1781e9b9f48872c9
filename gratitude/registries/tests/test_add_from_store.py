"""Add from any store, pictures on the pages, sharing and progress, through the real views: the two-step
"paste a link, confirm, add" flow against a store on 127.0.0.1, its failures (a clear error and the add form
to fill by hand), uploads, the member-only QR code, the giver's page (names, photo, event, shipping guidance,
link-preview tags without gift details), "X of Y given" and a currency on every price."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from gratitude.gifts.services import gift_contribute
from gratitude.registries.currency import currency_from_accept_language
from gratitude.registries.fetch import FetchError
from gratitude.registries.models import Item, Picture
from gratitude.registries.services.add_from_store import (
    item_add_from_url,
    picture_create_from_upload,
    pictures_unused_clear,
)
from gratitude.registries.services.members import registry_member_add
from gratitude.registries.services.registries import registry_photo_set, registry_update
from gratitude.testing.factories import make_gift, make_item, make_registry, make_user
from gratitude.testing.store import Route, Store, picture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def store(settings: Any) -> Iterator[Store]:
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = True
    server = Store().start()
    server.routes["/img/kettle.jpg"] = Route(content_type="image/jpeg", body=picture_bytes(900, 900))
    server.routes["/products/kettle"] = Route(
        body=(
            "<html><head><script type='application/ld+json'>"
            + json.dumps(
                {
                    "@context": "https://schema.org",
                    "@type": "Product",
                    "name": "Gooseneck kettle <b>1 L</b>",
                    "image": "/img/kettle.jpg",
                    "offers": [{"@type": "Offer", "price": "79.90", "priceCurrency": "USD"}],
                }
            )
            + "</script></head><body></body></html>"
        ).encode()
    )
    try:
        yield server
    finally:
        server.stop()


def logged_in(client: Client) -> Any:
    user = make_user(display_name="Alex Rivera")
    client.force_login(user)
    return user


def test_item_add_from_url_fetches_keeps_the_picture_and_adds_the_item(store: Store, media_root: Path):
    registry = make_registry(currency="EUR")
    item = item_add_from_url(registry=registry, url=store.url("/products/kettle"), quantity=2)
    item.refresh_from_db()
    assert (item.title, item.price, item.currency, item.quantity) == (
        "Gooseneck kettle <b>1 L</b>",
        Decimal("79.90"),
        "USD",
        2,
    )
    assert item.url == store.url("/products/kettle")
    assert item.picture is not None and item.picture.registry_id == registry.pk
    assert item.picture.source_url == store.url("/img/kettle.jpg")
    assert all((media_root / item.picture.name(width)).is_file() for width in item.picture.widths)


def test_item_add_from_url_refuses_a_page_that_is_no_product_and_adds_nothing(store: Store):
    store.routes["/about"] = Route(body=b"<html><head><title>About us</title></head></html>")
    registry = make_registry()
    with pytest.raises(FetchError, match="not describe a product"):
        item_add_from_url(registry=registry, url=store.url("/about"))
    assert not Item.objects.exists() and not Picture.objects.exists()


def test_pasting_a_link_shows_the_details_to_confirm_then_adds_the_item(client: Client, store: Store):
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    response = client.post(
        reverse("registries:item_from_link", args=[registry.pk]), {"link": store.url("/products/kettle")}
    )
    assert response.status_code == 200
    form = response.context["item_form"]
    assert form.initial["title"] == "Gooseneck kettle <b>1 L</b>"
    assert (form.initial["price"], form.initial["currency"]) == (Decimal("79.90"), "USD")
    key = form.initial["fetched_picture"]
    assert Picture.objects.get(key=key).registry_id == registry.pk
    # The store's title is text on our page, never markup.
    assert b"Gooseneck kettle &lt;b&gt;1 L&lt;/b&gt;" in response.content
    assert not Item.objects.exists()  # nothing is added before the registrant confirms

    response = client.post(
        reverse("registries:item_add", args=[registry.pk]),
        {"title": "Gooseneck kettle", "quantity": "1", "price": "79.90", "currency": "USD",
         "url": store.url("/products/kettle"), "fetched_picture": key},
    )  # fmt: skip
    assert response.status_code == 302
    item = Item.objects.get()
    assert item.picture is not None and item.picture.key == key


def test_a_failed_fetch_says_why_and_leaves_the_add_form_ready_for_a_hand_entry(client: Client, store: Store):
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    link = store.url("/missing")
    response = client.post(reverse("registries:item_from_link", args=[registry.pk]), {"link": link})
    assert response.status_code == 400
    assert "404" in response.context["link_form"].errors["link"][0]
    assert response.context["item_form"].initial["url"] == link
    assert b'name="title"' in response.content


def test_a_private_address_is_refused_in_the_form_with_a_clear_error(client: Client, settings: Any):
    settings.GRATITUDE_FETCH_ALLOW_LOOPBACK = False
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    response = client.post(
        reverse("registries:item_from_link", args=[registry.pk]), {"link": "http://127.0.0.1/admin"}
    )
    assert response.status_code == 400
    assert "private network" in response.context["link_form"].errors["link"][0]


def test_another_registrys_fetched_picture_is_not_taken(client: Client):
    owner = logged_in(client)
    mine, theirs = make_registry(owner=owner), make_registry()
    foreign = picture_create_from_upload(registry=theirs, data=picture_bytes(200, 200))
    response = client.post(
        reverse("registries:item_add", args=[mine.pk]),
        {"title": "Kettle", "quantity": "1", "fetched_picture": foreign.key},
    )
    assert response.status_code == 302
    assert Item.objects.get().picture is None


def test_an_uploaded_picture_is_kept_and_shown_to_registrant_and_giver(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    upload = SimpleUploadedFile("bowl.png", picture_bytes(600, 400, fmt="PNG"), content_type="image/png")
    response = client.post(
        reverse("registries:item_add", args=[registry.pk]),
        {"title": "Salad bowl", "quantity": "1", "picture_file": upload},
    )
    assert response.status_code == 302
    picture = Item.objects.get().picture
    assert picture is not None and picture.widths == [160, 320, 600]
    img = re.compile(
        rb'<img class="thumb" src="/media/pictures/'
        + picture.key.encode()
        + rb'/160\.webp" srcset="[^"]+600w"'
    )
    alt = b'alt="Salad bowl" loading="lazy"'
    registrant_page = client.get(reverse("registries:detail", args=[registry.pk])).content
    giver_page = Client().get(reverse("gifts:shared_registry", args=[registry.share_key])).content
    for page in (registrant_page, giver_page):
        assert img.search(page) and alt in page


def test_an_upload_that_is_not_a_picture_is_a_form_error_and_adds_nothing(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    upload = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(
        reverse("registries:item_add", args=[registry.pk]),
        {"title": "Bowl", "quantity": "1", "picture_file": upload},
    )
    assert response.status_code == 400
    assert "not a picture we can use" in str(response.context["item_form"].non_field_errors())
    assert not Item.objects.exists() and not Picture.objects.exists()


def test_the_qr_code_is_for_members_only(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    svg = client.get(reverse("registries:share_qr", args=[registry.pk, "svg"]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    assert b"<svg" in svg.content and svg["Cache-Control"] == "private, no-store"
    png = client.get(reverse("registries:share_qr", args=[registry.pk, "png"]))
    assert png.content.startswith(b"\x89PNG")
    stranger = Client()
    stranger.force_login(make_user())
    assert stranger.get(reverse("registries:share_qr", args=[registry.pk, "svg"])).status_code == 404
    assert Client().get(reverse("registries:share_qr", args=[registry.pk, "svg"])).status_code == 302
    assert client.get(reverse("registries:share_qr", args=[registry.pk, "gif"])).status_code == 404


def test_the_share_card_offers_copy_mail_and_text_message(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner, title="Baby Kim")
    page = client.get(reverse("registries:detail", args=[registry.pk])).content.decode()
    assert 'data-copy-from="share-link"' in page and "js/share.js" in page
    assert "<script>" not in page  # no inline script: a parallel CSP forbids it
    assert 'href="mailto:?subject=Baby%20Kim&amp;body=' in page
    assert 'href="sms:?&amp;body=' in page


def test_the_giver_page_shows_names_photo_event_and_chosen_shipping_guidance(client: Client):
    owner = make_user(display_name="Alex Rivera")
    registry = make_registry(owner=owner, title="Alex & Sam", occasion="wedding")
    registry_member_add(registry=registry, user=make_user(display_name="Sam Lee"))
    registry_member_add(registry=registry, user=make_user(display_name="Helper Hal"), role="delegate")
    registry_photo_set(registry=registry, by=owner, data=picture_bytes(1600, 1200))
    make_item(registry=registry, title="Secret espresso machine")
    registry_update(
        registry=registry, by=owner, title="Alex & Sam", occasion="wedding", event_date=None,
        shipping_address="1 Main St\nSpringfield", shipping_note="Or bring it to the party.",
    )  # fmt: skip
    page = Client().get(reverse("gifts:shared_registry", args=[registry.share_key])).content.decode()
    assert "Alex Rivera &amp; Sam Lee" in page and "Helper Hal" not in page
    assert 'data-testid="registry-photo"' in page and "Or bring it to the party." in page
    assert "1 Main St" not in page  # the address only if they opted in

    registry_update(
        registry=registry, by=owner, title="Alex & Sam", occasion="wedding", event_date=None,
        shipping_address="1 Main St\nSpringfield", show_shipping_address=True,
    )  # fmt: skip
    page = Client().get(reverse("gifts:shared_registry", args=[registry.share_key])).content.decode()
    assert "1 Main St<br>Springfield" in page

    head = page.split("</head>", 1)[0]
    assert '<meta property="og:title" content="Alex &amp; Sam">' in head
    # At the site's own address (SITE_URL), whatever Host the request brought: the page is kept once for all.
    site = re.escape(settings.SITE_URL)
    assert re.search(rf'<meta property="og:image" content="{site}/media/pictures/[\w-]+/1280\.webp">', head)
    assert "espresso" not in head.lower()  # never gift details in a link preview


def test_progress_counts_given_items_and_group_gift_funding_on_registry_and_home(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner, currency="GBP")
    bowls = make_item(registry=registry, title="Bowl", quantity=3)
    make_item(registry=registry, title="Kettle", quantity=1)
    stroller = make_item(
        registry=registry, title="Stroller", quantity=1, price=Decimal("300"), group_gift=True
    )
    make_gift(item=bowls, quantity=2)
    gift_contribute(item=stroller, giver_name="Robin", amount=Decimal("120"))
    expected = "2 of 5</strong> wanted items given · group gift: 120.00 of 300.00 GBP funded"
    assert expected in client.get(reverse("registries:detail", args=[registry.pk])).content.decode()
    assert (
        "2 of 5 wanted items given · group gift: 120.00 of 300.00 GBP funded"
        in client.get("/").content.decode()
    )


def test_covered_only_keeps_progress_from_the_registrants(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner, surprise="covered_only")
    make_gift(item=make_item(registry=registry, quantity=2))
    assert (
        b'data-testid="progress"' not in client.get(reverse("registries:detail", args=[registry.pk])).content
    )
    assert b'data-testid="home-progress"' not in client.get("/").content


def test_every_price_on_the_registrant_page_carries_the_currency(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner, currency="SEK")
    make_item(registry=registry, title="Lamp", price=Decimal("450"))
    page = client.get(reverse("registries:detail", args=[registry.pk])).content.decode()
    assert "450.00 SEK" in page


@pytest.mark.parametrize(
    ("header", "currency"),
    [
        ("en-US,en;q=0.9", "USD"),
        ("en-GB", "GBP"),
        ("de-CH, de;q=0.8", "CHF"),
        ("sv", "SEK"),
        ("fr-FR;q=0.5, ja;q=0.9", "JPY"),
        ("", "EUR"),
        ("xx-ZZ, garbage;;", "EUR"),
    ],
)
def test_the_currency_is_guessed_from_the_browsers_languages(header: str, currency: str):
    assert currency_from_accept_language(header) == currency


def test_the_new_registry_form_starts_with_the_guessed_currency_and_keeps_the_choice(client: Client):
    logged_in(client)
    response = client.get(reverse("registries:new"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8")
    assert response.context["form"].initial["currency"] == "GBP"
    client.post(
        reverse("registries:new"),
        {"title": "Housewarming", "occasion": "housewarming", "visibility": "link", "currency": "CAD"},
    )
    from gratitude.registries.models import Registry

    assert Registry.objects.get(title="Housewarming").currency == "CAD"


def test_fetching_store_links_is_rate_limited_per_person(client: Client, store: Store, settings: Any):
    settings.GRATITUDE_STORE_FETCHES_PER_HOUR = 2
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    url = reverse("registries:item_from_link", args=[registry.pk])
    for _ in range(2):
        assert client.post(url, {"link": store.url("/products/kettle")}).status_code == 200
    response = client.post(url, {"link": store.url("/products/kettle")})
    assert response.status_code == 400
    assert "add this item by hand" in response.context["link_form"].errors["link"][0]
    assert store.requests.count("/products/kettle") == 2


def test_the_edit_page_replaces_and_removes_a_picture(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    item = make_item(registry=registry, title="Bowl", quantity=1)
    url = reverse("registries:item_edit", args=[registry.pk, item.pk])
    fields = {"title": "Bowl", "quantity": "1", "priority": "normal"}
    upload = SimpleUploadedFile("b.webp", picture_bytes(300, 300, fmt="WEBP"), content_type="image/webp")
    assert client.post(url, {**fields, "picture_file": upload}).status_code == 302
    item.refresh_from_db()
    assert item.picture is not None and item.picture.widths == [160, 300]
    assert client.post(url, fields).status_code == 302  # no new file and no tick: the picture stays
    item.refresh_from_db()
    assert item.picture is not None
    assert client.post(url, {**fields, "remove_picture": "on"}).status_code == 302
    item.refresh_from_db()
    assert item.picture is None


def test_unused_pictures_are_cleared_after_a_day_and_used_ones_kept(
    media_root: Path, django_capture_on_commit_callbacks: Any
):
    from datetime import timedelta

    from django.utils import timezone

    registry = make_registry()
    used = picture_create_from_upload(registry=registry, data=picture_bytes(200, 200))
    make_item(registry=registry, picture=used)
    photo = registry_photo_set(
        registry=registry, by=registry.members.get().user, data=picture_bytes(200, 200)
    )
    unused = picture_create_from_upload(registry=registry, data=picture_bytes(200, 200))
    fresh = picture_create_from_upload(registry=registry, data=picture_bytes(200, 200))
    Picture.objects.exclude(pk=fresh.pk).update(created_at=timezone.now() - timedelta(hours=25))
    # Files go once the row's deletion commits.
    with django_capture_on_commit_callbacks(execute=True):
        assert pictures_unused_clear() == 1
    assert set(Picture.objects.values_list("pk", flat=True)) == {used.pk, photo.photo_id, fresh.pk}
    assert not (media_root / unused.name(160)).exists()
    assert (media_root / used.name(160)).exists()


def test_pasted_picture_links_become_kept_pictures_through_the_same_checks(store: Store, settings: Any):
    from django.core.management import call_command

    registry = make_registry()
    good = make_item(registry=registry, title="Kettle")
    inside = make_item(registry=registry, title="Router")
    Item.objects.filter(pk=good.pk).update(pasted_image_url=store.url("/img/kettle.jpg"))
    Item.objects.filter(pk=inside.pk).update(pasted_image_url="http://10.0.0.1/router.png")
    call_command("pictures", "fetch-pasted")
    good.refresh_from_db()
    inside.refresh_from_db()
    assert good.picture is not None and good.picture.source_url == store.url("/img/kettle.jpg")
    assert inside.picture is None
    assert (good.pasted_image_url, inside.pasted_image_url) == ("", "")


def test_group_gift_funding_adds_up_only_the_registrys_currency(client: Client):
    owner = logged_in(client)
    registry = make_registry(owner=owner, currency="EUR")
    make_item(registry=registry, title="Pram", quantity=1, price=Decimal("200"), group_gift=True)
    make_item(
        registry=registry, title="Cot", quantity=1, price=Decimal("500"), currency="USD", group_gift=True
    )
    page = client.get(reverse("registries:detail", args=[registry.pk])).content.decode()
    assert "0 of 2</strong> wanted items given · group gifts: 0.00 of 200.00 EUR funded" in page


def test_only_owner_and_co_registrants_set_the_photo_and_bad_files_are_refused(client: Client, monkeypatch):
    owner = make_user()
    registry = make_registry(owner=owner)
    delegate = make_user()
    registry_member_add(registry=registry, user=delegate, role="delegate")
    url = reverse("registries:photo", args=[registry.pk])
    client.force_login(delegate)
    upload = SimpleUploadedFile("me.jpg", picture_bytes(300, 300), content_type="image/jpeg")
    assert client.post(url, {"photo": upload}).status_code == 403

    client.force_login(owner)
    monkeypatch.setattr("gratitude.registries.pictures.PICTURE_MAX_BYTES", 1000)
    upload = SimpleUploadedFile("me.jpg", picture_bytes(300, 300), content_type="image/jpeg")
    response = client.post(url, {"photo": upload}, follow=True)
    assert "That picture is too large" in response.content.decode()
    registry.refresh_from_db()
    assert registry.photo is None and not Picture.objects.exists()

    monkeypatch.undo()
    upload = SimpleUploadedFile("me.jpg", picture_bytes(300, 300), content_type="image/jpeg")
    assert client.post(url, {"photo": upload}).status_code == 302
    registry.refresh_from_db()
    assert registry.photo is not None
    assert client.post(url, {"remove": "1"}).status_code == 302
    registry.refresh_from_db()
    assert registry.photo is None


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("image/png", "bomb"),  # a PNG claiming 20,000 × 20,000 pixels
        ("image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"),
        ("image/jpeg", b"<html>not a picture</html>"),
    ],
)
def test_a_hostile_store_picture_is_not_kept_and_the_item_still_added(
    store: Store, content_type: str, body: Any
):
    import io

    from PIL import Image

    if body == "bomb":
        out = io.BytesIO()
        Image.new("1", (20_000, 20_000)).save(out, "PNG")
        body = out.getvalue()
    store.routes["/img/kettle.jpg"] = Route(content_type=content_type, body=body)
    item = item_add_from_url(registry=make_registry(), url=store.url("/products/kettle"))
    assert item.title == "Gooseneck kettle <b>1 L</b>"
    assert item.picture is None and not Picture.objects.exists()


def test_a_refused_add_keeps_the_picture_on_the_form(client: Client):
    """A group gift without a price is refused; the picture uploaded with it stays on the re-shown form."""
    owner = logged_in(client)
    registry = make_registry(owner=owner)
    upload = SimpleUploadedFile("pram.jpg", picture_bytes(400, 300), content_type="image/jpeg")
    response = client.post(
        reverse("registries:item_add", args=[registry.pk]),
        {"title": "Pram", "quantity": "1", "group_gift": "on", "picture_file": upload},
    )
    assert response.status_code == 400
    picture = Picture.objects.get()
    page = response.content.decode()
    assert f'name="fetched_picture" value="{picture.key}"' in page and 'data-testid="fetched-picture"' in page
    response = client.post(
        reverse("registries:item_add", args=[registry.pk]),
        {
            "title": "Pram",
            "quantity": "1",
            "price": "300",
            "group_gift": "on",
            "fetched_picture": picture.key,
        },
    )
    assert response.status_code == 302
    assert Item.objects.get().picture == picture
