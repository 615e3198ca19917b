"""Documents a release links to (PDF, Word, Excel, CSV): the label readers see next to the link
("PDF, 245 kB"), and the Section 508 check of a PDF (a title, a language, tags) with pikepdf.

A PDF that cannot be opened (damaged, or not a PDF) or that is encrypted is refused: some
readers could not open it, and assistive technology may be refused its text. One that opens but
lacks a title, a language or tags is published, with a warning that says how to fix it.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import quote

from babel import Locale
from babel.units import format_unit

from advisory_site.core.models import N_
from advisory_site.source.images import ImageError
from advisory_site.source.languages import ENGLISH, locale_of

Gettext = Callable[[str], str]
"""A catalogue's gettext: the text of a release in its language (``str`` itself for English)."""

# the types a link to a file is labelled with, by extension: names of formats, the same in
# every language
DOCUMENT_TYPES = {
    ".pdf": "PDF",
    ".doc": "Word",
    ".docx": "Word",
    ".xls": "Excel",
    ".xlsx": "Excel",
    ".csv": "CSV",
}
# how each missing property is fixed, in the programs press offices export PDFs from
_FIXES = {
    "title": "set its title (Word: File > Info > Title)",
    "language": "set its language (Word: Review > Language)",
    "tags": "export it with tags (Word: Save as PDF > Options > Document structure tags)",
}


@dataclass(frozen=True, slots=True)
class Document:
    """A linked file's label: its type and size ("PDF, 245 kB"), and, for a PDF, what it lacks
    of what Section 508 asks (``missing``: 'title', 'language', 'tags')."""

    kind: str
    size: int
    missing: tuple[str, ...] = ()

    def label(self, lang: str = ENGLISH, gettext: Gettext = str) -> str:
        """'PDF, 245 kB' in ``lang`` ('PDF, 1,2 MB' in Spanish), ``gettext`` its catalogue's."""
        return gettext(LABEL) % {"kind": self.kind, "size": file_size(self.size, lang)}


LABEL = N_("%(kind)s, %(size)s")
"""A document's label: its type ('PDF') and size ('245 kB')."""


def file_size(size: int, lang: str = ENGLISH) -> str:
    """A size as ``lang`` writes it, from CLDR through Babel: '812 bytes', '245 kB', '3.4 MB'
    in English, '3,4 MB' in Spanish. As GOV.UK counts, 1 kB is 1,024 bytes; kilobytes are
    whole, megabytes have one decimal."""
    locale = locale_of(lang) or Locale(ENGLISH)  # never the machine's own locale
    if size < 1024:
        return format_unit(size, "digital-byte", length="long", locale=locale)
    if size < 1024 * 1024:
        kilobytes = round(size / 1024)
        return format_unit(kilobytes, "digital-kilobyte", length="short", locale=locale)
    megabytes = (Decimal(size) / (1024 * 1024)).quantize(Decimal("0.1"))
    return format_unit(
        megabytes, "digital-megabyte", length="short", format="#,##0.0", locale=locale
    )


def document(suffix: str, data: bytes) -> Document | None:
    """The label of a file with extension ``suffix`` and bytes ``data`` (None: not a document
    type); for a PDF, what it lacks, or an ImageError if it cannot be read or is encrypted."""
    kind = DOCUMENT_TYPES.get(suffix.lower())
    if kind is None:
        return None
    missing = pdf_missing(data) if kind == "PDF" else ()
    return Document(kind, len(data), missing)


def pdf_missing(data: bytes) -> tuple[str, ...]:
    """What the PDF ``data`` lacks of a title, a language and tags, in that order; an
    ImageError if it cannot be read or is encrypted."""
    import pikepdf  # noqa: PLC0415 - only a site with a PDF pays for loading it

    # qpdf reports the repairs it makes to a damaged file through this logger; the file is
    # judged by whether it opens, and the build's output stays free of qpdf's notes
    logging.getLogger("pikepdf._core").setLevel(logging.ERROR)
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            if pdf.is_encrypted:
                raise _encrypted()
            root = pdf.Root
            missing = []
            if not _title(pdf):
                missing.append("title")
            if not str(root.get("/Lang", "")).strip():
                missing.append("language")
            marked = root.get("/MarkInfo")
            is_marked = isinstance(marked, pikepdf.Dictionary) and bool(marked.get("/Marked"))
            if "/StructTreeRoot" not in root or not is_marked:
                missing.append("tags")
            len(pdf.pages)  # a file whose page tree is broken is damaged too
    except pikepdf.PasswordError as exc:
        raise _encrypted() from exc
    except (pikepdf.PdfError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise ImageError(
            "is not a PDF that can be read (damaged, or not what its name says)",
            "export it again as a PDF from the program that made it",
        ) from exc
    return tuple(missing)


def _encrypted() -> ImageError:
    return ImageError(
        "is an encrypted PDF (a password or restrictions): some readers cannot open it and "
        "screen readers may be refused its text",
        "save it again without a password or security restrictions",
    )


def _title(pdf: object) -> str:
    """The document's title: its Info dictionary's, or its XMP metadata's dc:title."""
    import pikepdf  # noqa: PLC0415

    assert isinstance(pdf, pikepdf.Pdf)
    title = str(pdf.docinfo.get("/Title", "")).strip() if "/Info" in pdf.trailer else ""
    if title or "/Metadata" not in pdf.Root:
        return title
    try:
        return str(pdf.open_metadata(set_pikepdf_as_editor=False).get("dc:title", "")).strip()
    except (pikepdf.PdfError, ValueError, KeyError, TypeError):
        return ""


def missing_message(name: str, missing: tuple[str, ...]) -> tuple[str, str]:
    """The warning for a PDF that lacks ``missing`` ('title', 'language', 'tags'): message
    and hint."""
    parts = [f"no {item}" for item in missing]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    message = f"the PDF {name} has {listed}, which screen readers need (Section 508)"
    hint = "; ".join(_FIXES[item] for item in missing)
    return message, hint + "; or use Acrobat's Accessibility tool"


REQUEST = N_("request an accessible format")
REQUEST_OF = N_("of %(name)s")  # after REQUEST, read by screen readers only
REQUEST_SUBJECT = N_("Accessible format request: %(name)s")
REQUEST_BODY = N_("Please send me an accessible format of %(name)s (%(address)s).")
REQUEST_FORMAT = N_("Format needed:")


def request_link(setting: str, what: str, address: str, gettext: Gettext = str) -> str:
    """The href of "request an accessible format" for the document at ``address`` (absolute)
    named ``what``: an e-mail with subject and text filled in (in the language of ``gettext``,
    the release's), or the page ``setting`` names."""
    if not setting.startswith("mailto:"):
        return setting
    subject = quote(gettext(REQUEST_SUBJECT) % {"name": what})
    text = gettext(REQUEST_BODY) % {"name": what, "address": address}
    body = quote(f"{text}\n\n{gettext(REQUEST_FORMAT)} ")
    return f"{setting}?subject={subject}&body={body}"
