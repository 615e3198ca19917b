"""Load and validate content/site.yaml, reporting every problem at once."""

from __future__ import annotations

import dataclasses
import posixpath
import re
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from advisory_site.core.budget import DEFAULT_SECONDS, MAX_SECONDS
from advisory_site.core.errors import ContentError
from advisory_site.core.models import (
    GOVDELIVERY_SIGNUP,
    Agency,
    Contact,
    EmailUpdates,
    Kind,
    Link,
    SecurityPolicy,
    SiteConfig,
    Topic,
)
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.core.urls import rebuilt_url, url_problem
from advisory_site.source.fields import FieldReader, describe
from advisory_site.source.frontmatter import MAX_FILE_BYTES, decode
from advisory_site.source.languages import canonical_tag, language_problem
from advisory_site.source.translations import addressed, described, site_texts, translated
from advisory_site.source.yamlload import load_yaml

CONFIG_PATH = "content/site.yaml"
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

_SITE_KEYS = (
    "title",
    "description",
    "base_url",
    "language",
    "languages",
    "time_zone",
    "organisation",
    "default_contact",
    "default_kind",
    "topics",
    "agencies",
    "kinds",
    "footer_links",
    "image_hosts",
    "accessible_formats",
    "page_size",
    "home_size",
    "feed_size",
    "websub_hub",
    "phone_format",
    "security",
    "search",
    "email_updates",
    "accept_public_embargoes",
    "time_limit",
    "icon",
    "logo",
    "logo_alt",
    "card_image",
    "card_image_alt",
    "translations",
)
DEFAULT_ICON = "assets/favicon.svg"
# site.yaml's images: (key, the file types it may be, they in words, what it is for, the key
# of its alt text)
IDENTITY_FILES = (
    ("icon", (".svg",), "an SVG drawing", "the site's icon (favicon)", ""),
    ("logo", (".svg", ".png"), "an SVG or PNG file", "the seal or logo of the header", "logo_alt"),
    (
        "card_image",
        (".jpg", ".jpeg", ".png"),
        "a JPEG or PNG file",
        "the default card image",
        "card_image_alt",
    ),
)
GOVDELIVERY_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def load_config(site_dir: Path, errors: list[ContentError]) -> SiteConfig | None:
    """Read the site settings; problems go to ``errors`` and None is returned if any."""
    file = site_dir / CONFIG_PATH
    if not file.exists() and not file.is_symlink():
        errors.append(
            ContentError(
                path=CONFIG_PATH,
                message="the site settings file is missing",
                hint="is --site pointing at the folder that holds content/?",
            )
        )
        return None
    try:
        raw = read_regular(file, MAX_FILE_BYTES)
    except ReadError as exc:
        errors.append(ContentError(path=CONFIG_PATH, message=exc.message, hint=exc.hint))
        return None
    text = decode(raw, CONFIG_PATH)
    if isinstance(text, ContentError):
        errors.append(text)
        return None
    loaded = load_yaml(text, path=CONFIG_PATH)
    if isinstance(loaded, ContentError):
        errors.append(loaded)
        return None
    if not isinstance(loaded.data, dict):
        errors.append(
            ContentError(
                path=CONFIG_PATH,
                line=1,
                column=1,
                message=f"expected the site settings as fields, got {describe(loaded.data)}",
            )
        )
        return None
    before = len(errors)
    reader = FieldReader(loaded.data, positions=loaded.positions, path=CONFIG_PATH, errors=errors)
    config = _read_config(reader)
    found = _read_identity(reader, site_dir)
    if len(errors) > before:
        return None
    return dataclasses.replace(
        config,
        icon=found.get("icon", ""),
        logo=found.get("logo", ""),
        logo_alt=found.get("logo_alt", ""),
        card_image=found.get("card_image", ""),
        card_image_alt=found.get("card_image_alt", ""),
    )


def _read_identity(reader: FieldReader, site_dir: Path) -> dict[str, str]:
    """``icon``, ``logo`` and ``card_image``: files of the site folder (assets/ or static/),
    each checked to exist and be of a type it may be; the logo and card need alt text."""
    found: dict[str, str] = {}
    for key, suffixes, kinds, what, alt_key in IDENTITY_FILES:
        value = reader.text(key)
        alt = reader.text(alt_key) if alt_key else ""
        if not value:
            if key == "icon" and not reader.has(key):
                found[key] = DEFAULT_ICON
            elif alt_key and reader.has(alt_key):
                reader.error(
                    alt_key,
                    f"is the alt text of {what}, but there is no {key}:",
                    (f"add a line '{key}: assets/...' naming the file, or remove this line"),
                    at_key=True,
                )
            continue
        path = posixpath.normpath(value)
        if value.startswith(("/", "\\")) or "\\" in value or path.startswith(".."):
            reader.error(
                key,
                f"'{value}' is not a path inside the site's folder",
                f"save {what} in assets/ and write its path, such as assets/seal.svg",
            )
        elif PurePosixPath(path).suffix.lower() not in suffixes:
            reader.error(key, f"{what} must be {kinds}, got '{value}'")
        elif not (site_dir / path).is_file():
            reader.error(
                key,
                f"the file {path} does not exist",
                f"save {what} as {path}, or correct the path",
            )
        elif alt_key and not alt:
            reader.error(
                key,
                f"{what} has no alt text ({alt_key}:)",
                f"add a line '{alt_key}: ...' saying what it shows, such as 'Seal of the "
                "U.S. Department of Homeland Security'",
            )
        else:
            found[key] = path
            if alt_key:
                found[alt_key] = alt
    return found


def _read_config(reader: FieldReader) -> SiteConfig:
    reader.check_keys(_SITE_KEYS)
    time_zone = reader.text("time_zone", required=True, default="UTC")
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        reader.error(
            "time_zone",
            f"unknown time zone '{time_zone}'",
            "use an IANA name such as America/New_York",
        )
        time_zone = "UTC"
    kinds = tuple(_read_kinds(reader))
    default_kind = reader.text("default_kind", default="press-release")
    if kinds and default_kind not in {kind.id for kind in kinds}:
        reader.error(
            "default_kind",
            f"'{default_kind}' is not one of the declared kinds",
            "declare it under kinds, or set default_kind to one of them",
        )
    languages = _read_languages(reader)
    kinds = translated(reader, "kinds", kinds, languages, ("name",))
    topics = translated(
        reader,
        "topics",
        tuple(_read_topics(reader)),
        languages,
        ("name", "description"),
        check=described,
    )
    agencies = translated(
        reader, "agencies", tuple(_read_agencies(reader)), languages, ("name", "short_name")
    )
    description = reader.text("description")
    return SiteConfig(
        title=reader.text("title", required=True),
        description=description,
        base_url=_read_base_url(reader),
        language=languages[0],
        languages=languages,
        time_zone=time_zone,
        organisation=reader.text("organisation", required=True),
        default_contact=read_contact(reader, "default_contact", required=True)
        or Contact(office=""),
        topics=topics,
        agencies=agencies,
        kinds=kinds,
        default_kind=default_kind,
        footer_links=translated(
            reader,
            "footer_links",
            tuple(_read_links(reader)),
            languages,
            ("label", "url"),
            check=addressed,
        ),
        page_size=reader.integer("page_size", default=10, maximum=500),
        home_size=reader.integer("home_size", default=5, maximum=100),
        feed_size=reader.integer("feed_size", default=50, maximum=10_000),
        websub_hub=_read_websub_hub(reader),
        phone_format=_read_pattern(reader, "phone_format", r"^\d{3}-\d{3}-\d{4}$"),
        security=read_security(reader),
        searchgov_affiliate=_read_search(reader),
        email_updates=_read_email_updates(reader, topics, agencies),
        accept_public_embargoes=reader.boolean("accept_public_embargoes", default=False),
        time_limit=reader.integer("time_limit", default=DEFAULT_SECONDS, maximum=MAX_SECONDS),
        image_hosts=tuple(_read_image_hosts(reader)),
        accessible_formats=_read_accessible_formats(reader),
        translations=site_texts(reader, languages, description=bool(description)),
    )


def _read_languages(reader: FieldReader) -> tuple[str, ...]:
    """``languages`` (the BCP 47 tags the site's releases may be in) with ``language`` (the
    site's own, and the first of them): either alone is enough; both must agree."""
    language = reader.text("language")
    if language and (problem := language_problem(language)):
        reader.error("language", problem, "use a BCP 47 language tag such as en or es")
        language = ""
    language = canonical_tag(language) if language else ""
    languages: list[str] = []
    listed = reader.text_list("languages")
    for index, value in listed:
        where, key = (reader.nested("languages"), index) if index >= 0 else (reader, "languages")
        if problem := language_problem(value):
            where.error(key, problem, "use a BCP 47 language tag such as en, es or es-MX")
            continue
        if canonical_tag(value) in languages:
            where.error(key, f"the language '{value}' is listed twice")
            continue
        languages.append(canonical_tag(value))
    if reader.has("languages") and not listed and isinstance(reader.data["languages"], list):
        reader.error("languages", "must list at least one language", "such as [en, es]")
    if language and languages and language != languages[0]:
        reader.error(
            "language",
            f"'{language}' is not the first of languages ({', '.join(languages)})",
            "the first of languages is the site's own language: put it first, "
            "or remove the language line",
        )
    return tuple(languages) or (language or "en",)


def _read_accessible_formats(reader: FieldReader) -> str:
    """``accessible_formats``: where a reader asks for a document in another format (an e-mail
    address, or an https:// page), offered next to every document a release links to."""
    value = reader.text("accessible_formats")
    if not value:
        return ""
    address = value.removeprefix("mailto:")
    if re.fullmatch(r"[^@\s/?&]+@[^@\s/?&]+\.[^@\s/?&]+", address):
        return f"mailto:{address}"
    if _is_https(value):
        return value
    reader.error(
        "accessible_formats",
        f"'{value}' is neither an e-mail address nor an https:// address",
        "for example alternative.formats@example.gov, or the https:// address of a request form",
    )
    return ""


def _read_image_hosts(reader: FieldReader) -> list[str]:
    """``image_hosts``: the https:// origins remote images may come from (the CSP's img-src)."""
    hosts = []
    for index, value in reader.text_list("image_hosts"):
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or parts.path.strip("/") or parts.query:
            where, key = (
                (reader.nested("image_hosts"), index) if index >= 0 else (reader, "image_hosts")
            )
            where.error(
                key,
                f"expected an https:// origin such as https://www.dhs.gov, got '{value}'",
            )
            continue
        hosts.append(f"https://{parts.netloc.lower()}")
    return hosts


def _read_email_updates(
    reader: FieldReader, topics: tuple[Topic, ...], agencies: tuple[Agency, ...]
) -> EmailUpdates | None:
    """The optional ``email_updates:`` block: a GovDelivery account or any sign-up form, for
    every release and, optionally, for each topic and agency."""
    block = reader.mapping("email_updates")
    if block is None:
        return None
    block.check_keys(("govdelivery", "form", "topic", "topics", "agencies"))
    account, form, topic = block.text("govdelivery"), block.text("form"), block.text("topic")
    if account and not GOVDELIVERY_CODE.fullmatch(account):
        block.error(
            "govdelivery",
            f"'{account}' is not a GovDelivery account code",
            "use the code in your GovDelivery sign-up address, such as USDHS",
        )
        account = ""
    if form and not _is_https(form):
        block.error("form", f"'{form}' must be an https:// address of a sign-up page")
        form = ""
    if bool(block.has("govdelivery")) == bool(block.has("form")):
        block.error(
            "govdelivery",
            "name exactly one provider: govdelivery (an account code) or form (a sign-up page)",
            at_key=True,
        )
        return None
    if topic and not account:
        block.error("topic", "a GovDelivery topic needs govdelivery: ACCOUNT_CODE")

    def signup(where: FieldReader, key: str, value: str) -> str:
        """A sign-up page: an https:// address, or a GovDelivery topic code of the account."""
        if _is_https(value):
            return value
        if account and GOVDELIVERY_CODE.fullmatch(value):
            return GOVDELIVERY_SIGNUP.format(account=account) + f"?topic_id={value}"
        where.error(
            key,
            f"'{value}' is not an https:// sign-up page"
            + (" or a GovDelivery topic code" if account else ""),
            "for example USDHS_123 (with govdelivery:) or https://lists.example.gov/join",
        )
        return ""

    everything = form or GOVDELIVERY_SIGNUP.format(account=account)
    if topic:
        everything = signup(block, "topic", topic) or everything

    def per(key: str, declared: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
        pages = block.mapping(key)
        if pages is None:
            return ()
        pages.check_keys(declared)
        found = []
        for item in declared:
            value = pages.text(item)
            if value and (address := signup(pages, item, value)):
                found.append((item, address))
        return tuple(found)

    return EmailUpdates(
        provider="GovDelivery" if account else (urlsplit(form).hostname or form),
        everything=everything,
        topics=per("topics", tuple(topic.id for topic in topics)),
        agencies=per("agencies", tuple(agency.id for agency in agencies)),
    )


def _is_https(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme == "https" and bool(parts.netloc) and not parts.fragment


def _read_pattern(reader: FieldReader, key: str, default: str) -> str:
    """A regular expression; content lint checks values against it."""
    pattern = reader.text(key)
    if not pattern:
        return ""
    try:
        re.compile(pattern)
    except re.error as exc:
        reader.error(key, f"is not a valid regular expression: {exc}", rf"such as {default}")
        return ""
    return pattern


def _read_search(reader: FieldReader) -> str:
    """The Search.gov affiliate that the search page falls back to without JavaScript."""
    search = reader.mapping("search")
    if search is None:
        return ""
    search.check_keys(("searchgov_affiliate",))
    affiliate = search.text("searchgov_affiliate")
    if affiliate and not re.fullmatch(r"[A-Za-z0-9_.-]+", affiliate):
        search.error(
            "searchgov_affiliate",
            f"'{affiliate}' is not a Search.gov site handle",
            "use the handle shown in the Search.gov admin center, such as dhs",
        )
    return affiliate


def _read_base_url(reader: FieldReader) -> str:
    url = reader.text("base_url", required=True, default="https://example.gov/")
    rebuilt = rebuilt_url(url)
    parts = urlsplit(rebuilt or "")
    if rebuilt is None or parts.query or parts.fragment:
        reader.error(
            "base_url",
            url_problem(url)
            or f"expected an https:// address such as https://www.dhs.gov/, got '{url}'",
        )
        return "https://example.gov/"
    return rebuilt if rebuilt.endswith("/") else rebuilt + "/"


def _read_websub_hub(reader: FieldReader) -> str:
    url = reader.text("websub_hub")
    rebuilt = rebuilt_url(url) if url else ""
    if rebuilt is None or urlsplit(rebuilt).fragment:
        reader.error(
            "websub_hub",
            url_problem(url)
            or "expected an https:// address such as https://pubsubhubbub.appspot.com/, "
            f"got '{url}'",
        )
        return ""
    return rebuilt


def validate_base_url(url: str) -> str | None:
    """Normalise a --base-url value (parsed and written again); None if it is not an absolute
    http(s) address that may be written into pages as it is."""
    rebuilt = rebuilt_url(url, ("https", "http"))
    parts = urlsplit(rebuilt or "")
    if rebuilt is None or parts.query or parts.fragment:
        return None
    return rebuilt if rebuilt.endswith("/") else rebuilt + "/"


def read_contact(reader: FieldReader, key: str, *, required: bool) -> Contact | None:
    contact = reader.mapping(key, required=required)
    if contact is None:
        return None
    contact.check_keys(("office", "phone", "email"))
    email = contact.text("email")
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        contact.error("email", f"'{email}' is not an email address")
    phone = contact.text("phone")
    tel = ""
    if phone:
        tel = phone_uri(phone)
        if not tel:
            contact.error(
                "phone",
                f"'{phone}' is not a phone number",
                "write it as press releases do, such as 202-282-8010, (202) 282-8010, "
                "1-800-621-3362 or +1 202 282 8010 ext. 5",
            )
    return Contact(office=contact.text("office", required=True), phone=phone, email=email, tel=tel)


def phone_uri(phone: str) -> str:
    """The RFC 3966 ``tel:`` URI of a phone number as people write it (a US number unless it
    starts with '+'), such as 'tel:+1-202-282-8010;ext=5'; '' if it cannot be a phone number."""
    try:
        number = phonenumbers.parse(phone, "US")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966))


def _read_id(item: FieldReader, key: str = "id") -> str:
    value = item.text(key, required=True)
    if value and not ID_PATTERN.match(value):
        item.error(
            key,
            f"'{value}' is not a valid id",
            "use lowercase letters, digits and single hyphens, such as election-security",
        )
    return value


def _unique(key: str, items: list[FieldReader], ids: list[str]) -> None:
    seen: set[str] = set()
    for item, value in zip(items, ids, strict=True):
        if value in seen:
            item.error("id", f"the {key} id '{value}' is declared twice")
        seen.add(value)


def _read_topics(reader: FieldReader) -> list[Topic]:
    items = reader.mappings("topics")
    topics = []
    for item in items:
        item.check_keys(("id", "name", "description", "translations"))
        topics.append(
            Topic(
                id=_read_id(item),
                name=item.text("name", required=True),
                description=item.text("description"),
            )
        )
    _unique("topic", items, [topic.id for topic in topics])
    return topics


def _read_agencies(reader: FieldReader) -> list[Agency]:
    items = reader.mappings("agencies")
    agencies = []
    for item in items:
        item.check_keys(("id", "name", "short_name", "url", "contact", "translations"))
        url = item.text("url")
        if url and rebuilt_url(url) is None:
            problem = url_problem(url) if url.startswith("https://") else ""
            item.error("url", problem or f"'{url}' must be an https:// address")
            url = ""
        elif url:
            url = rebuilt_url(url) or ""
        agencies.append(
            Agency(
                id=_read_id(item),
                name=item.text("name", required=True),
                short_name=item.text("short_name"),
                url=url,
                contact=read_contact(item, "contact", required=False),
            )
        )
    _unique("agency", items, [agency.id for agency in agencies])
    return agencies


def _read_kinds(reader: FieldReader) -> list[Kind]:
    items = reader.mappings("kinds")
    if not reader.has("kinds"):
        reader.missing("kinds")
    kinds = []
    for item in items:
        item.check_keys(("id", "name", "translations"))
        kinds.append(Kind(id=_read_id(item), name=item.text("name", required=True)))
    _unique("kind", items, [kind.id for kind in kinds])
    return kinds


def _read_links(reader: FieldReader) -> list[Link]:
    links = []
    for item in reader.mappings("footer_links"):
        item.check_keys(("label", "url", "translations"))
        url = item.text("url", required=True)
        site_path = url.startswith("/") and not url.startswith("//") and "\\" not in url
        absolute = rebuilt_url(url) if url.startswith("https://") else None
        if url and not (site_path or absolute or (url.startswith("https://") and url_problem(url))):
            item.error("url", f"'{url}' must be a site path (/about/) or an https:// address")
            url = ""
        elif url and url_problem(url):
            item.error("url", url_problem(url))
            url = ""
        elif absolute:
            url = absolute
        links.append(Link(label=item.text("label", required=True), url=url))
    return links


DEFAULT_EXPIRES_DAYS = 180
MAX_EXPIRES_DAYS = 365  # RFC 9116 section 2.5.5: "less than a year into the future"


def read_security(reader: FieldReader) -> SecurityPolicy | None:
    """The optional ``security:`` block of site.yaml, from which security.txt is made."""
    block = reader.mapping("security")
    if block is None:
        return None
    block.check_keys(("contact", "policy", "expires_days", "preferred_languages"))
    contacts = []
    for index, contact in block.text_list("contact"):
        if not contact.startswith(("mailto:", "https://", "tel:")):
            where, key = (block.nested("contact"), index) if index >= 0 else (block, "contact")
            where.error(
                key,
                f"'{contact}' must start with mailto:, https:// or tel:",
                "for example mailto:security@example.gov",
            )
        contacts.append(contact)
    if not block.has("contact"):
        block.missing("contact")
    policy = block.text("policy")
    if policy and not (policy.startswith("https://") or is_site_path(policy)):
        block.error("policy", f"'{policy}' must be a site path (/vulnerability-disclosure/)")
    return SecurityPolicy(
        contacts=tuple(contacts),
        policy=policy,
        expires_days=block.integer(
            "expires_days", default=DEFAULT_EXPIRES_DAYS, maximum=MAX_EXPIRES_DAYS
        ),
        preferred_languages=block.text("preferred_languages"),
    )


def is_site_path(url: str) -> bool:
    """An address on this site (/path/), not another host's (//host/) nor a Windows path."""
    return url.startswith("/") and not url.startswith("//") and "\\" not in url
