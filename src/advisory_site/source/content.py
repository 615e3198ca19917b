"""Discover content files, parse and validate them into models; collect every problem."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from markupsafe import Markup

from advisory_site.core.budget import OverBudget, over_budget, time_budget
from advisory_site.core.errors import ContentError, suggest
from advisory_site.core.htmlscan import insecure_assets
from advisory_site.core.models import (
    N_,
    Agency,
    Contact,
    Kind,
    Page,
    Reference,
    Release,
    SiteConfig,
    Topic,
    Update,
    Withdrawal,
)
from advisory_site.core.reading import ReadError, read_regular
from advisory_site.core.urls import (
    alias_problem,
    make_slug,
    page_url,
    prefix_links,
    release_url,
    slug_problem,
)
from advisory_site.markdown.quickmarkdown import UnrenderableError
from advisory_site.markdown.render import LOADING_TAGS, Rendered, Renderer, trimmed_summary
from advisory_site.source.config import read_contact
from advisory_site.source.fields import FieldReader, lookup_table
from advisory_site.source.frontmatter import MAX_FILE_BYTES, Document, decode, parse_document
from advisory_site.source.languages import canonical_tag, language_name, language_problem
from advisory_site.source.media import LEAD_SUFFIXES, images_without_alt, is_local, references
from advisory_site.source.yamlload import Position

RELEASES_DIR = "content/releases"
PAGES_DIR = "content/pages"
DEFAULT_DISTRIBUTION = N_("For Immediate Release")

RELEASE_KEYS = (
    "title",
    "release_date",
    "last_published",
    "kind",
    "distribution",
    "contact",
    "agencies",
    "topics",
    "summary",
    "slug",
    "draft",
    "updates",
    "aliases",
    "status",
    "withdrawn_reason",
    "withdrawn_date",
    "superseded_by",
    "release_number",
    "lang",
    "translation_of",
    "image",
    "image_alt",
)
STATUSES = ("published", "withdrawn")
PAGE_KEYS = ("title", "summary")
UPDATE_KEYS = ("date", "note", "type")
UPDATE_TYPES = ("major", "minor")
RESERVED_PAGE_NAMES = frozenset(
    {"news", "topics", "agencies", "search", "subscribe", "static", "assets", "pagefind", "page"}
)


@dataclass(frozen=True, slots=True)
class Lookups:
    """Declared topics, agencies and kinds, indexed by id and name (case-insensitive)."""

    topics: dict[str, Topic]
    agencies: dict[str, Agency]
    kinds: dict[str, Kind]

    @classmethod
    def of(cls, config: SiteConfig) -> Lookups:
        return cls(
            topics=lookup_table(config.topics, lambda t: (t.id, t.name)),
            agencies=lookup_table(config.agencies, lambda a: (a.id, a.name, a.short_name)),
            kinds=lookup_table(config.kinds, lambda k: (k.id, k.name)),
        )


def content_files(site_dir: Path, folder: str) -> Iterator[tuple[str, str]]:
    """Every Markdown file under ``folder`` (its file system path), in a stable order, with its
    site-relative name."""
    root = site_dir / folder
    if not root.is_dir():
        return
    found = []
    # os.walk and strings rather than Path.rglob: a site has thousands of files, and a Path
    # made (and pickled for a worker) for each one costs more than reading the folders. Hidden
    # files and folders are skipped; links to folders are not followed.
    for parent, folders, files in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        prefix = folder + parent[len(str(root)) :].replace(os.sep, "/") + "/"
        for name in files:
            if name.endswith(".md") and not name.startswith("."):
                found.append((os.path.join(parent, name), prefix + name))  # noqa: PTH118 - see above
    found.sort(key=lambda item: item[1])
    yield from found


def read_document(file: str, path: str, errors: list[ContentError]) -> Document | None:
    raw = read_bytes(file, path)
    if isinstance(raw, ContentError):
        errors.append(raw)
        return None
    return document_of(raw, path, errors)


def document_of(raw: bytes, path: str, errors: list[ContentError]) -> Document | None:
    text = decode(raw, path)
    document = parse_document(text, path) if isinstance(text, str) else text
    if isinstance(document, ContentError):
        errors.append(document)
        return None
    return document


NOWHERE = Position(1, 1)
Linter = Callable[[Document, Release], tuple[ContentError, ...]]
"""A content lint run on a release as it is loaded: its findings (warnings, not errors)."""
_LOADING_STARTS = tuple(f"<{tag}" for tag in LOADING_TAGS)


@dataclass(frozen=True, slots=True)
class LoadedRelease:
    """One release file, validated on its own: the release, or the problems found in it."""

    release: Release | None
    errors: tuple[ContentError, ...]
    url_field: Position  # where the field that makes its URL stands, for collision messages
    successor_field: Position = NOWHERE  # where superseded_by stands
    translation_field: Position = NOWHERE  # where translation_of stands
    warnings: tuple[ContentError, ...] = ()  # what ``load_release``'s ``lint`` found


FileLoader = Callable[[SiteConfig, list[tuple[str, str]]], Iterable[LoadedRelease]]
"""Loads release files (file system path, site path), in order: ``load_files`` or a faster one
that gives the same (the engine's, from its cache and worker processes)."""


def load_releases(
    site_dir: Path,
    config: SiteConfig,
    errors: list[ContentError],
    load: FileLoader | None = None,
) -> list[Release]:
    """Every release file, loaded by ``load`` (``load_files``), then checked across files."""
    files = list(content_files(site_dir, RELEASES_DIR))
    loaded = (load or load_files)(config, files)
    return checked_releases(loaded, errors)


def load_files(config: SiteConfig, files: list[tuple[str, str]]) -> Iterator[LoadedRelease]:
    """Release files loaded one by one in this process."""
    lookups = Lookups.of(config)
    renderer = Renderer()
    for file, path in files:
        raw = read_bytes(file, path)
        yield load_release(raw, path, config=config, lookups=lookups, renderer=renderer)


def read_bytes(file: str, path: str) -> bytes | ContentError:
    """The bytes of a content file, or why it is not read (not a regular file, too large)."""
    try:
        return read_regular(file, MAX_FILE_BYTES)
    except ReadError as exc:
        return ContentError(path=path, message=exc.message, hint=exc.hint)


def load_release(
    raw: bytes | ContentError,
    path: str,
    *,
    config: SiteConfig,
    lookups: Lookups,
    renderer: Renderer,
    lint: Linter | None = None,
) -> LoadedRelease:
    """Parse and validate the bytes of one release file (the cross-file checks come later);
    with ``lint`` (the caller's content lint), also lint it while its Document is at hand."""
    if isinstance(raw, ContentError):
        return LoadedRelease(None, (raw,), NOWHERE)
    errors: list[ContentError] = []
    document: Document | None = None
    try:
        with time_budget(config.time_limit):
            document = document_of(raw, path, errors)
            if document is None:
                return LoadedRelease(None, tuple(errors), NOWHERE)
            release = parse_release(
                document, path, config=config, lookups=lookups, renderer=renderer, errors=errors
            )
            warnings = lint(document, release) if lint and release else ()
    except OverBudget:
        return LoadedRelease(None, (_over_budget(path, document, config),), NOWHERE)
    return LoadedRelease(
        release,
        tuple(errors),
        document.positions.of_key(("slug",)) if "slug" in document.data else Position(0, 0),
        document.positions.of_value(("superseded_by",)),
        document.positions.of_value(("translation_of",)),
        warnings,
    )


def _over_budget(path: str, document: Document | None, config: SiteConfig) -> ContentError:
    if document is None:
        return over_budget(path, config.time_limit)
    return over_budget(path, config.time_limit, line=document.body_line, field="body")


def render_body(
    document: Document, path: str, renderer: Renderer, errors: list[ContentError]
) -> Rendered | None:
    """The rendered body, or None (with an error added) for one Markdown cannot render."""
    try:
        return renderer.render(document.body)
    except UnrenderableError as exc:
        line = exc.line_in(document.body)
        errors.append(
            ContentError(
                path=path,
                line=document.body_line + max(line, 0),
                field="body",
                message=exc.message,
                hint=exc.hint,
            )
        )
        return None


def checked_releases(loaded: Iterable[LoadedRelease], errors: list[ContentError]) -> list[Release]:
    """The valid releases, newest first, after the checks across files (two at one URL)."""
    releases = []
    url_fields: dict[str, Position] = {}
    successor_fields: dict[str, Position] = {}
    translation_fields: dict[str, Position] = {}
    invalid: set[str] = set()  # release files that exist but have problems of their own
    for item in loaded:
        errors.extend(item.errors)
        invalid.update(error.path for error in item.errors)
        if item.release is not None:
            releases.append(item.release)
            url_fields[item.release.source] = item.url_field
            successor_fields[item.release.source] = item.successor_field
            translation_fields[item.release.source] = item.translation_field
    check_collisions(releases, url_fields, errors)
    releases = resolve_successors(releases, successor_fields, errors)
    releases = resolve_translations(releases, translation_fields, invalid, errors)
    return sorted(releases, key=lambda r: (-r.release_date.timestamp(), r.url))


def parse_release(
    document: Document,
    path: str,
    *,
    config: SiteConfig,
    lookups: Lookups,
    renderer: Renderer,
    errors: list[ContentError],
) -> Release | None:
    """Validate one release; returns None (with errors added) if anything is wrong."""
    before = len(errors)
    reader = FieldReader(document.data, positions=document.positions, path=path, errors=errors)
    reader.check_keys(RELEASE_KEYS)
    tz = config.tz
    title = reader.text("title", required=True)
    release_date = reader.moment("release_date", tz, required=True)
    updates = _read_updates(reader, config)
    last_published = reader.moment("last_published", tz)
    if release_date and last_published and last_published < release_date:
        reader.error(
            "last_published",
            "is earlier than release_date",
            "a release cannot be last published before it was released",
        )
    for update_reader, update in updates:
        if release_date and update.date < release_date:
            update_reader.error("date", "is earlier than the release_date")
    kind = _read_kind(reader, config, lookups)
    agencies = tuple(
        agency
        for index, value in reader.text_list("agencies")
        if (agency := reader.choice("agencies", value, lookups.agencies, index)) is not None
    )
    topics = tuple(
        topic
        for index, value in reader.text_list("topics")
        if (topic := reader.choice("topics", value, lookups.topics, index)) is not None
    )
    lang = _read_lang(reader, config)  # a file's name is made a slug in its language
    slug = reader.text("slug") or folder_slug(path, lang) or file_slug(path, lang)
    if reader.has("slug") and (problem := slug_problem(slug)):
        reader.error("slug", problem)
    elif not slug:
        errors.append(
            ContentError(
                path=path,
                message="the file name has no letters or digits to make the release's URL from",
                hint="rename the file after its title, or add a 'slug:' field",
            )
        )
    aliases = tuple(_read_aliases(reader))
    contact = _read_release_contact(reader, config, agencies)
    release_number = reader.text("release_number")
    distribution = reader.text("distribution", default=DEFAULT_DISTRIBUTION)
    draft = reader.boolean("draft", default=False)
    summary = reader.text("summary")
    withdrawal = _read_withdrawal(reader, config, release_date)
    superseded_by = reader.text("superseded_by")
    translation_of = _read_translation_of(reader, path)
    lead, lead_alt = read_lead_image(reader)
    if len(errors) > before or release_date is None:
        return None
    body = render_body(document, path, renderer, errors)
    if body is None:
        return None
    html = body.html
    if not check_body(document, body, path, errors):
        return None
    refs = references(html, document.body, document.body_line)
    changes = [update.date for _, update in updates]
    if withdrawal is not None and withdrawal.date is not None:
        changes.append(withdrawal.date)
    return Release(
        source=path,
        title=title,
        release_date=release_date,
        last_published=last_published or max([release_date, *changes]),
        kind=kind,
        distribution=distribution,
        contact=contact,
        agencies=agencies,
        topics=topics,
        summary=summary or trimmed_summary(body.first_paragraph),
        slug=slug,
        draft=draft,
        updates=tuple(sorted((update for _, update in updates), key=lambda u: u.date)),
        aliases=aliases,
        # the renderer's very bytes where links need no prefix: one copy of each body
        body=prefix_links(html, config.path_prefix).encode() if config.path_prefix else body.utf8,
        url=release_url(config.local_date(release_date), slug),
        withdrawal=withdrawal,
        superseded_by=superseded_by,
        summary_in_body=not summary or summary in Markup(html).striptags(),  # noqa: S704 - sanitised
        references=refs,
        release_number=release_number,
        end_mark=body.end_mark,
        lang=lang,
        translation_of=translation_of,
        lead=lead,
        lead_alt=lead_alt,
    )


def read_lead_image(reader: FieldReader) -> tuple[Reference | None, str]:
    """Front matter's ``image:`` (a file of the release's folder or of static/, checked by
    media.Media) with where it stands, and ``image_alt:``, which it requires."""
    name = reader.text("image")
    alt = reader.text("image_alt")
    if not name:
        if reader.has("image_alt"):
            reader.error(
                "image_alt",
                "is the alt text of a lead image, but there is no image:",
                "add a line 'image: photo.jpg' naming the photo, or remove this line",
                at_key=True,
            )
        return None, ""
    if not is_local(name):
        reader.error(
            "image",
            f"'{name}' is not a file of the release's folder or of static/",
            "save the photo in the release's folder and write its file name "
            "(image: port-visit.jpg), or write /static/... for a shared one",
        )
        return None, ""
    if PurePosixPath(urlsplit(name).path).suffix.lower() not in LEAD_SUFFIXES:
        reader.error(
            "image",
            f"the lead image {name} is not a JPEG, PNG, WebP or GIF file",
            "cards on social networks need a photo: save it as a JPEG (or PNG)",
        )
        return None, ""
    if not alt:
        reader.error(
            "image",
            "the lead image has no alt text (image_alt:)",
            "add a line 'image_alt: ...' describing what the photo shows; readers who "
            "cannot see it hear this",
        )
        return None, ""
    where = reader.positions.of_value(("image",))
    return Reference(url=name, image=True, line=where.line, column=where.column), alt


def _read_lang(reader: FieldReader, config: SiteConfig) -> str:
    """``lang``: a BCP 47 tag among the site's languages; the site's language without it."""
    value = reader.text("lang")
    if not value:
        return config.language
    offered = ", ".join(config.languages)
    if problem := language_problem(value):
        reader.error("lang", problem, f"write one of the site's languages: {offered}")
        return config.language
    tag = canonical_tag(value)
    if tag not in config.languages:
        reader.error(
            "lang",
            f"{language_name(tag)} ({value}) is not one of the site's languages ({offered})",
            f"add {tag} to languages in content/site.yaml, with its catalogue, or write one "
            "of those",
        )
        return config.language
    return tag


def _read_translation_of(reader: FieldReader, path: str) -> str | None:
    """``translation_of``: the original's file, as a path under content/releases/; checked
    against the other releases later (resolve_translations)."""
    if not reader.has("translation_of"):
        return None
    value = reader.text("translation_of")
    if not value:
        if not any(error.field == "translation_of" for error in reader.errors):
            reader.error(
                "translation_of",
                "must name the original release",
                "write its file under content/releases/, such as 2016/its-name.md",
            )
        return None
    wanted = _relative_original(value)
    if wanted is None:
        reader.error(
            "translation_of",
            f"'{value}' is not a file under content/releases/",
            "write the original's path under content/releases/, such as 2016/its-name.md",
        )
        return None
    if f"{RELEASES_DIR}/{wanted}" in _candidates(path.removeprefix(RELEASES_DIR + "/")):
        reader.error("translation_of", "a release cannot be a translation of itself")
        return None
    return value


def original_file(site_dir: Path, value: str) -> str | None:
    """The source of the release file a ``translation_of`` value names, if it exists."""
    relative = _relative_original(value)
    if relative is None:
        return None
    return next((path for path in _candidates(relative) if (site_dir / path).is_file()), None)


def _relative_original(value: str) -> str | None:
    """``translation_of`` as a plain relative path under content/releases/ (a leading
    'content/releases/' or './' is allowed); None for one that climbs out or is absolute."""
    text = value.replace("\\", "/").strip()
    text = text.removeprefix("./").removeprefix(RELEASES_DIR + "/").rstrip("/")
    parts = text.split("/")
    if not text or text.startswith("/") or any(part in ("", ".", "..") for part in parts):
        return None
    return text


def _candidates(relative: str) -> tuple[str, ...]:
    """The sources a ``translation_of`` path may name: the file, or the same with '.md', or
    the index.md of a release kept as a folder."""
    base = f"{RELEASES_DIR}/{relative}"
    if base.endswith(".md"):
        return (base,)
    return (base, f"{base}.md", f"{base}/index.md")


def folder_slug(path: str, lang: str = "") -> str:
    """The slug of a release kept as a folder (``.../port-visit/index.md``): its folder's name
    (in the release's ``lang``, make_slug); '' for a release kept as a file."""
    pure = PurePosixPath(path)
    return make_slug(pure.parent.name, lang) if pure.name == "index.md" else ""


_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")


def file_slug(path: str, lang: str = "") -> str:
    """The slug a release file's name gives: its name without '.md' and a leading date
    ('2026-12-01-grants-announced.md' and 'grants-announced.md' give 'grants-announced'), made
    a slug in the release's ``lang`` (make_slug: 'grüße.md' in German gives 'gruesse'). The
    title plays no part, so editing it never moves a published release."""
    stem = PurePosixPath(path).stem
    return make_slug(_DATE_PREFIX.sub("", stem), lang)


_NOT_OWN = re.compile(r"^(?:the\s+|u\.\s?s\.\s+|us\s+|united\s+states\s+)+")


def _read_release_contact(
    reader: FieldReader, config: SiteConfig, agencies: tuple[Agency, ...]
) -> Contact | None:
    """The release's ``contact``; ``contact: none`` for none; without it, the contact of its
    first agency that has one, else the site's default contact if one of its agencies is the
    site's own organisation (or it names none), else none (an ODNI statement gets no DHS phone
    number)."""
    if reader.has("contact") and not isinstance(reader.data.get("contact"), dict):
        value = reader.text("contact")
        if value.casefold() != "none":
            reader.error(
                "contact",
                f"expected the contact's office, phone and email, or none, got '{value}'",
                "write 'contact: none' for no contact block, or office: and phone: lines",
            )
        return None
    contact = read_contact(reader, "contact", required=False)
    if contact is not None:
        return contact
    for agency in agencies:
        if agency.contact is not None:
            return agency.contact
    if not agencies:
        return config.default_contact  # a release of the site's own organisation
    own = _NOT_OWN.sub("", config.organisation.casefold().strip())
    for agency in agencies:
        names = (agency.id, agency.name, agency.short_name)
        if any(name and _NOT_OWN.sub("", name.casefold().strip()) == own for name in names):
            return config.default_contact
    return None


def _read_withdrawal(
    reader: FieldReader, config: SiteConfig, release_date: datetime | None
) -> Withdrawal | None:
    """``status: withdrawn`` with its reason and date; None for a published release."""
    status = reader.text("status", default="published")
    reason = reader.text("withdrawn_reason")
    moment = reader.moment("withdrawn_date", config.tz)
    if status not in STATUSES:
        reader.error(
            "status",
            f"expected published or withdrawn, got '{status}'",
            suggest(status, STATUSES),
        )
        return None
    if status == "published":
        for key in ("withdrawn_reason", "withdrawn_date"):
            if reader.has(key):
                reader.error(
                    key,
                    "is only allowed on a withdrawn release",
                    "add 'status: withdrawn' or remove this line",
                    at_key=True,
                )
        return None
    if not reason:
        where = reader.positions.of_value(("status",))
        reader.errors.append(
            ContentError(
                path=reader.path,
                line=where.line,
                column=where.column,
                field="withdrawn_reason",
                message="a withdrawn release must say why it was withdrawn",
                hint="add a line 'withdrawn_reason: ...'; readers see it on the page",
            )
        )
    if moment is not None and release_date is not None and moment < release_date:
        reader.error("withdrawn_date", "is earlier than the release_date")
    return Withdrawal(reason=reason, date=moment)


def check_body(document: Document, body: Rendered, path: str, errors: list[ContentError]) -> bool:
    """False (with errors added) if the body holds raw HTML that the sanitiser would remove or
    change (the published page would not be what was approved), loads anything over plain HTTP
    or has an image without alt text (Section 508 requires it)."""
    text = document.body
    for offset, message, hint in body.problems:
        line_start = text.rfind("\n", 0, offset) + 1
        errors.append(
            ContentError(
                path=path,
                line=document.body_line + text.count("\n", 0, offset),
                column=offset - line_start + 1,
                field="body",
                message=message,
                hint=hint,
            )
        )
    html = body.html
    if not any(start in html for start in _LOADING_STARTS):
        return not body.problems  # the sanitised body has nothing that loads anything
    missing = images_without_alt(html, document.body, document.body_line)
    for src, line, column in missing:
        errors.append(
            ContentError(
                path=path,
                line=line,
                column=column,
                field="body",
                message=f"the image {src} has no alt text" if src else "an image has no alt text",
                hint="describe what it shows between the brackets: ![The Secretary speaks at "
                "the port of entry](photo.jpg); readers who cannot see it hear this",
            )
        )
    insecure = insecure_assets(html)
    for url in insecure:
        offset = document.body.find(url)
        line = document.body_line + document.body[:offset].count("\n") if offset >= 0 else 0
        errors.append(
            ContentError(
                path=path,
                line=line or document.body_line,
                field="body",
                message=f"{url} would be loaded over plain HTTP (mixed content)",
                hint="use its https:// address",
            )
        )
    return not insecure and not missing and not body.problems


def _read_kind(reader: FieldReader, config: SiteConfig, lookups: Lookups) -> Kind:
    default = lookups.kinds.get(config.default_kind.casefold()) or Kind(
        id=config.default_kind, name=config.default_kind
    )
    value = reader.text("kind")
    if not value:
        return default
    return reader.choice("kind", value, lookups.kinds) or default


def _read_updates(reader: FieldReader, config: SiteConfig) -> list[tuple[FieldReader, Update]]:
    updates = []
    for item in reader.mappings("updates"):
        item.check_keys(UPDATE_KEYS)
        moment = item.moment("date", config.tz, required=True)
        note = item.text("note", required=True)
        kind = item.text("type", default="major")
        if kind not in UPDATE_TYPES:
            item.error(
                "type",
                f"expected major or minor, got '{kind}'",
                "minor is for typos that readers need not be told about again",
            )
        if moment is not None:
            updates.append((item, Update(date=moment, note=note, major=kind != "minor")))
    return updates


def _read_aliases(reader: FieldReader) -> list[str]:
    aliases = []
    for index, alias in reader.text_list("aliases"):
        problem = alias_problem(alias)
        if problem:
            if index >= 0:
                reader.nested("aliases").error(index, problem)
            else:
                reader.error("aliases", problem)
            continue
        aliases.append(alias)
    return aliases


def check_collisions(
    releases: list[Release], url_fields: dict[str, Position], errors: list[ContentError]
) -> None:
    """Two releases (or an alias and a release) that would be served at the same URL."""
    owners: dict[str, Release] = {}
    for release in releases:
        for url in (release.url, *release.aliases):
            normalised = url.rstrip("/") + "/"
            other = owners.get(normalised)
            if other is None:
                owners[normalised] = release
                continue
            field = "slug" if url == release.url else "aliases"
            what = "URL" if url == release.url else "alias"
            where = url_fields.get(release.source, NOWHERE)
            errors.append(
                ContentError(
                    path=release.source,
                    line=where.line,
                    column=where.column,
                    field=field,
                    message=f"the {what} {url} is already used by {other.source}",
                    hint="rename one of the files, or give it a different 'slug:'",
                )
            )


def resolve_successors(
    releases: list[Release], fields: dict[str, Position], errors: list[ContentError]
) -> list[Release]:
    """Check every ``superseded_by`` names another release (by URL or alias); use its URL."""
    by_url: dict[str, Release] = {}
    for release in releases:
        for url in (release.url, *release.aliases):
            by_url.setdefault(url.rstrip("/") + "/", release)
    resolved = []
    for release in releases:
        wanted = release.superseded_by
        if not wanted:
            resolved.append(release)
            continue
        target = by_url.get(wanted.rstrip("/") + "/")
        if target is not None and target is not release:
            resolved.append(dataclasses.replace(release, superseded_by=target.url))
            continue
        where = fields.get(release.source, Position(1, 1))
        hint = suggest(wanted, (other.url for other in releases)) or (
            "write the path of the replacing release, such as /news/2016/10/07/its-slug/"
        )
        errors.append(
            ContentError(
                path=release.source,
                line=where.line,
                column=where.column,
                field="superseded_by",
                message=(
                    "a release cannot supersede itself"
                    if target is release
                    else f"no release has the address {wanted}"
                ),
                hint="" if target is release else hint,
            )
        )
    return resolved


def resolve_translations(
    releases: list[Release],
    fields: dict[str, Position],
    invalid: set[str],
    errors: list[ContentError],
) -> list[Release]:
    """Check every ``translation_of`` names an original (not itself a translation) in another
    language, which no other release translates into the same language; write it as the
    original's path under content/releases/. ``invalid``: files that failed on their own (no
    second error is reported for a translation of one of them)."""
    by_source = {release.source: release for release in releases}
    taken: dict[tuple[str, str], Release] = {}  # (original, language) -> its translation
    resolved = []
    for release in sorted(releases, key=lambda r: r.source):
        if release.translation_of is None:
            resolved.append(release)
            continue
        relative = _relative_original(release.translation_of) or release.translation_of
        candidates = _candidates(relative)
        original = next((by_source[c] for c in candidates if c in by_source), None)
        if original is None and any(candidate in invalid for candidate in candidates):
            continue  # its original's own errors are reported
        found = _translation_problem(release, relative, original, taken, releases)
        if found is not None:
            where = fields.get(release.source, NOWHERE)
            errors.append(
                ContentError(
                    path=release.source,
                    line=where.line,
                    column=where.column,
                    field="translation_of",
                    message=found[0],
                    hint=found[1],
                )
            )
            continue
        assert original is not None
        taken[(original.source, release.lang)] = release
        name = original.source.removeprefix(RELEASES_DIR + "/")
        resolved.append(dataclasses.replace(release, translation_of=name))
    return resolved


def _translation_problem(
    release: Release,
    relative: str,
    original: Release | None,
    taken: dict[tuple[str, str], Release],
    releases: list[Release],
) -> tuple[str, str] | None:
    """What is wrong with a translation's link to ``original`` (message, hint), or None."""
    if original is None:
        names = [other.source.removeprefix(RELEASES_DIR + "/") for other in releases]
        return (
            f"no release file {RELEASES_DIR}/{relative}",
            suggest(relative, names)
            or "write the original's path under content/releases/, such as 2016/its-name.md",
        )
    if original.translation_of is not None:
        return (
            f"{original.source} is itself a translation (of {original.translation_of})",
            f"name the original: translation_of: {original.translation_of}",
        )
    language = f"{language_name(release.lang)} ({release.lang})"
    if original.lang == release.lang:
        return (
            f"is in {language}, the language of its original {original.source}",
            "say the translation's language with a 'lang:' line, such as lang: es",
        )
    other = taken.get((original.source, release.lang))
    if other is not None:
        return (
            f"{other.source} is already the {language} translation of {original.source}",
            (
                "a release has one translation into each language: merge the two, or "
                "correct the lang: of one"
            ),
        )
    return None


def load_pages(
    site_dir: Path, config: SiteConfig, renderer: Renderer, errors: list[ContentError]
) -> list[Page]:
    pages = []
    others = {config.section(lang).lstrip("/"): lang for lang in config.languages[1:]}
    reserved = RESERVED_PAGE_NAMES | set(others)
    for file, path in content_files(site_dir, PAGES_DIR):
        name = PurePosixPath(path).stem
        folders = path[len(PAGES_DIR) + 1 :].split("/")[:-1]
        if folders and (len(folders) > 1 or folders[0] not in others):
            errors.append(
                ContentError(
                    path=path,
                    message=f"pages must sit directly in {PAGES_DIR}/, or in the folder of one "
                    "of the site's other languages, not in another sub-folder",
                    hint=f"move it to {PAGES_DIR}/"
                    + "".join(f" or {PAGES_DIR}/{folder}/" for folder in sorted(others)),
                )
            )
            continue
        if slug_problem(name) or name in reserved:
            errors.append(
                ContentError(
                    path=path,
                    message=f"'{name}' cannot be a page name",
                    hint="use lowercase letters, digits and hyphens, and not one of "
                    + ", ".join(sorted(reserved)),
                )
            )
            continue
        lang = others[folders[0]] if folders else config.language
        document = read_document(file, path, errors)
        if document is None:
            continue
        before = len(errors)
        reader = FieldReader(document.data, positions=document.positions, path=path, errors=errors)
        reader.check_keys(PAGE_KEYS)
        title = reader.text("title", required=True)
        summary = reader.text("summary")
        if len(errors) > before:
            continue
        try:
            with time_budget(config.time_limit):
                body = render_body(document, path, renderer, errors)
        except OverBudget:
            errors.append(_over_budget(path, document, config))
            continue
        if body is None or not check_body(document, body, path, errors):
            continue
        pages.append(
            Page(
                source=path,
                name=name,
                title=title,
                summary=summary or body.first_paragraph,
                body_html=prefix_links(body.html, config.path_prefix),
                url=config.section(lang) + page_url(name),
                references=references(body.html, document.body, document.body_line),
                end_mark=body.end_mark,
                lang=lang,
            )
        )
    return pages
