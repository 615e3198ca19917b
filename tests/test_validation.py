"""Invalid content: every problem is reported with file, line, column, field and a way out."""

from __future__ import annotations

import pytest

from advisory_site.core.errors import BuildError
from advisory_site.engine.build import load_site
from tests.conftest import MakeSite, release

PATH = "content/releases/2016/x.md"


def errors_of(make_site: MakeSite, files: dict[str, str]) -> list[str]:
    site = make_site(files)
    with pytest.raises(BuildError) as caught:
        load_site(site)
    return [str(error) for error in caught.value.errors]


CASES = {
    "missing title": (
        "---\nrelease_date: 2016-10-07\n---\nBody\n",
        f"{PATH}:2:1: title: is required but missing (add a line 'title: ...')",
    ),
    "empty title": (
        "---\ntitle: ''\nrelease_date: 2016-10-07\n---\nBody\n",
        f"{PATH}:2:8: title: must not be empty",
    ),
    "unknown key": (
        "---\ntitle: T\nrelease_date: 2016-10-07\ntopcs: [Cybersecurity]\n---\nBody\n",
        f"{PATH}:4:1: topcs: unknown field (did you mean topics?)",
    ),
    "unknown topic": (
        "---\ntitle: T\nrelease_date: 2016-10-07\ntopics: [Cybersecurty]\n---\nBody\n",
        f"{PATH}:4:10: topics[0]: unknown value 'Cybersecurty' (did you mean Cybersecurity?)",
    ),
    "unknown agency": (
        "---\ntitle: T\nrelease_date: 2016-10-07\nagencies: [DHS, ODIN]\n---\nBody\n",
        f"{PATH}:4:17: agencies[1]: unknown value 'ODIN' (did you mean ODNI?)",
    ),
    "unknown kind": (
        "---\ntitle: T\nrelease_date: 2016-10-07\nkind: statment\n---\nBody\n",
        f"{PATH}:4:7: kind: unknown value 'statment' (did you mean Statement?)",
    ),
    "US date": (
        "---\ntitle: T\nrelease_date: 10/07/2016\n---\nBody\n",
        (
            f"{PATH}:3:15: release_date: expected a date like 2016-10-07, got '10/07/2016' "
            "(write a date like 2016-10-07 or 2016-10-07T09:30:00-04:00)"
        ),
    ),
    "impossible date": (
        "---\ntitle: T\nrelease_date: 2016-02-30\n---\nBody\n",
        (
            f"{PATH}:3:15: release_date: '2016-02-30' is not a real date "
            "(write a date like 2016-10-07 or 2016-10-07T09:30:00-04:00)"
        ),
    ),
    "date-time without offset": (
        "---\ntitle: T\nrelease_date: 2016-10-07T09:30:00\n---\nBody\n",
        (
            f"{PATH}:3:15: release_date: the date-time '2016-10-07T09:30:00' has no UTC offset, "
            "so its moment is ambiguous; add one such as -04:00, or give just the date "
            "(write a date like 2016-10-07 or 2016-10-07T09:30:00-04:00)"
        ),
    ),
    "last_published before release_date": (
        "---\ntitle: T\nrelease_date: 2016-10-07\nlast_published: 2016-10-06\n---\nBody\n",
        (
            f"{PATH}:4:17: last_published: is earlier than release_date "
            "(a release cannot be last published before it was released)"
        ),
    ),
    "missing front matter": (
        "title: T\nrelease_date: 2016-10-07\n\nBody\n",
        f"{PATH}:1:1: missing front matter (did you forget the opening '---' line?)",
    ),
    "unterminated front matter": (
        "---\ntitle: T\nrelease_date: 2016-10-07\n\nBody\n",
        (
            f"{PATH}:1:1: the front matter that starts here is never closed "
            "(did you forget the closing '---' after the last field?)"
        ),
    ),
    "YAML syntax error": (
        "---\ntitle: T\nrelease_date: 2016-10-07\nsummary: Note: this breaks\n---\nBody\n",
        (
            f"{PATH}:4:14: YAML syntax: mapping values are not allowed here "
            "(put text that contains ': ' in quotes, and check the indentation)"
        ),
    ),
    "front matter is a list": (
        "---\n- title\n- release_date\n---\nBody\n",
        f"{PATH}:2:1: the front matter must be fields (name: value), got a list",
    ),
    "empty front matter": (
        "---\n---\nBody\n",
        f"{PATH}:2:1: the front matter is empty (add the fields, such as 'title: ...')",
    ),
    "alias refused": (
        "---\ntitle: &t T\nrelease_date: 2016-10-07\nsummary: *t\n---\nBody\n",
        f"{PATH}:2:8: YAML syntax: anchors (&name) are not allowed; write the value out in full",
    ),
    "duplicate key": (
        "---\ntitle: T\nrelease_date: 2016-10-07\ntitle: U\n---\nBody\n",
        f"{PATH}:4:1: title: appears twice (first on line 2) (keep one of them)",
    ),
    "python tag refused": (
        "---\ntitle: !!python/object:os.system T\nrelease_date: 2016-10-07\n---\nBody\n",
        (
            f"{PATH}:2:8: YAML syntax: the YAML tag tag:yaml.org,2002:python/object:os.system "
            "is not allowed; remove it"
        ),
    ),
    "draft is not a boolean": (
        "---\ntitle: T\nrelease_date: 2016-10-07\ndraft: yes\n---\nBody\n",
        f"{PATH}:4:8: draft: expected true or false, got 'yes'",
    ),
    "bad slug": (
        "---\ntitle: T\nrelease_date: 2016-10-07\nslug: Bad Slug!\n---\nBody\n",
        (
            f"{PATH}:4:7: slug: 'Bad Slug!' is not a valid slug: use lowercase letters, digits "
            "and single hyphens"
        ),
    ),
    "alias escaping the site": (
        "---\ntitle: T\nrelease_date: 2016-10-07\naliases: [/news/../../etc/passwd]\n---\nBody\n",
        (
            f"{PATH}:4:11: aliases[0]: '/news/../../etc/passwd' is not a plain path: use letters, "
            "digits, '-', '_', '.' and '/', without '..', '//' or a part that starts with '.'"
        ),
    ),
    "update before release": (
        (
            "---\ntitle: T\nrelease_date: 2016-10-07\nupdates:\n"
            "  - {date: 2016-10-01, note: Early}\n---\nBody\n"
        ),
        f"{PATH}:5:12: updates[0].date: is earlier than the release_date",
    ),
    "update type": (
        (
            "---\ntitle: T\nrelease_date: 2016-10-07\nupdates:\n"
            "  - {date: 2016-10-08, note: Fix, type: typo}\n---\nBody\n"
        ),
        (
            f"{PATH}:5:41: updates[0].type: expected major or minor, got 'typo' "
            "(minor is for typos that readers need not be told about again)"
        ),
    ),
    "contact without office": (
        "---\ntitle: T\nrelease_date: 2016-10-07\ncontact:\n  phone: 202-555-0100\n---\nBody\n",
        f"{PATH}:5:3: contact.office: is required but missing (add a line 'office: ...')",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_invalid_release_is_reported_exactly(make_site: MakeSite, case: str) -> None:
    text, expected = CASES[case]
    assert errors_of(make_site, {PATH: text}) == [expected]


def test_every_problem_in_every_file_is_reported_in_one_run(make_site: MakeSite) -> None:
    errors = errors_of(
        make_site,
        {
            "content/releases/a.md": "---\ntitle: A\nrelease_date: 10/07/2016\nkind: x\n---\n",
            "content/releases/b.md": "no front matter\n",
            "content/releases/c.md": release("Fine"),
        },
    )
    assert [error.split(": ")[0] for error in errors] == [
        "content/releases/a.md:3:15",
        "content/releases/a.md:4:7",
        "content/releases/b.md:1:1",
    ]


def test_not_utf8_names_the_line(make_site: MakeSite) -> None:
    site = make_site()
    (site / PATH).parent.mkdir(parents=True)
    (site / PATH).write_bytes(b"---\ntitle: Caf\xe9\nrelease_date: 2016-10-07\n---\n")
    with pytest.raises(BuildError) as caught:
        load_site(site)
    assert [str(e) for e in caught.value.errors] == [
        f"{PATH}:2:11: the file is not UTF-8 text (byte 0xe9) (save the file with UTF-8 encoding)"
    ]


def test_two_releases_with_the_same_url(make_site: MakeSite) -> None:
    errors = errors_of(
        make_site,
        {
            # the slug comes from the file name, with or without a date before it
            "content/releases/2016/2016-10-07-same-name.md": release("One Title"),
            "content/releases/2016/same-name.md": release("Another Title"),
            "content/releases/2016/c.md": release("Third", slug="same-name"),
        },
    )
    assert errors == [
        (
            "content/releases/2016/c.md:7:1: slug: the URL /news/2016/10/07/same-name/ is already "
            "used by content/releases/2016/2016-10-07-same-name.md (rename one of the files, or "
            "give it a different 'slug:')"
        ),
        (
            "content/releases/2016/same-name.md: slug: the URL /news/2016/10/07/same-name/ is "
            "already used by content/releases/2016/2016-10-07-same-name.md (rename one of the "
            "files, or give it a different 'slug:')"
        ),
    ]


def test_alias_colliding_with_another_release(make_site: MakeSite) -> None:
    errors = errors_of(
        make_site,
        {
            "content/releases/a.md": release("First"),
            "content/releases/b.md": release("Second", aliases="[/news/2016/10/07/a/]"),
        },
    )
    assert errors == [
        (
            "content/releases/b.md: aliases: the alias /news/2016/10/07/a/ is already used "
            "by content/releases/a.md (rename one of the files, or give it a different 'slug:')"
        )
    ]


def test_bad_site_yaml_is_reported_with_lines(make_site: MakeSite) -> None:
    site = make_site(
        site_yaml="title: T\nbase_url: http://insecure.example/\ntime_zone: Mars/Olympus\n"
        "organisation: O\ndefault_contact: {office: O}\nkinds: [{id: Press Release, name: P}]\n"
        "page_sise: 3\n"
    )
    with pytest.raises(BuildError) as caught:
        load_site(site)
    assert [str(e) for e in caught.value.errors] == [
        (
            "content/site.yaml:1:1: default_kind: 'press-release' is not one of the declared kinds "
            "(declare it under kinds, or set default_kind to one of them)"
        ),
        (
            "content/site.yaml:2:11: base_url: expected an https:// address such as "
            "https://www.dhs.gov/, got 'http://insecure.example/'"
        ),
        (
            "content/site.yaml:3:12: time_zone: unknown time zone 'Mars/Olympus' "
            "(use an IANA name such as America/New_York)"
        ),
        (
            "content/site.yaml:6:14: kinds[0].id: 'Press Release' is not a valid id (use lowercase "
            "letters, digits and single hyphens, such as election-security)"
        ),
        "content/site.yaml:7:1: page_sise: unknown field (did you mean page_size?)",
    ]


def test_deep_nesting_is_refused_quickly(make_site: MakeSite) -> None:
    deep = "[" * 5000 + "]" * 5000
    errors = errors_of(
        make_site, {PATH: f"---\ntitle: T\nrelease_date: 2016-10-07\nsummary: {deep}\n---\n"}
    )
    assert errors == [f"{PATH}:4:25: YAML syntax: values are nested more than 16 levels deep"]


@pytest.mark.parametrize(
    ("body", "url"),
    [
        ("Intro.\n\n![Map](http://maps.example.gov/a.png)\n", "http://maps.example.gov/a.png"),
        (
            'Intro.\n\n<IMG ALT="Map" SRC="http://maps.example.gov/b.png">\n',
            "http://maps.example.gov/b.png",
        ),
    ],
)
def test_a_body_that_loads_over_plain_http_is_refused(
    make_site: MakeSite, body: str, url: str
) -> None:
    site = make_site({PATH: release("Mixed").replace("Body of Mixed.\n", body)})
    with pytest.raises(BuildError) as caught:
        load_site(site)
    message = f"{url} would be loaded over plain HTTP (mixed content) (use its https:// address)"
    assert [str(e) for e in caught.value.errors] == [f"{PATH}:10:1: body: {message}"]


def test_a_body_that_only_names_an_image_tag_loads_nothing(make_site: MakeSite) -> None:
    site = make_site({PATH: release("Named").replace("Body of Named.\n", "Write `<img src>`.\n")})
    assert load_site(site).releases[0].title == "Named"
