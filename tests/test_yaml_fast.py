"""libyaml's parser gives exactly the pure Python loader's values, positions and refusals."""

from __future__ import annotations

import pytest

from advisory_site.core.errors import ContentError
from advisory_site.source import yamlload
from advisory_site.source.yamlload import Loaded, load_yaml

DOCUMENTS = (
    "title: Plain\nrelease_date: 2016-10-07\ndraft: false\n",
    "title: 'Quoted: with colon'\ntopics: [Election Security, Cybersecurity]\n",
    "contact:\n  office: DHS Press Office\n  phone: 202-282-8010\nagencies: [DHS, ODNI]\n",
    'updates:\n  - {date: 2016-10-08, note: Fixed.}\n  - date: 2016-10-09\n    note: "Again"\n',
    "title: Café “quotes” é\nsummary: >-\n  folded\n  text\nn: 12\nf: 1.5\nnull_value: ~\n",
    "yes: no\non: off\nTrue: FALSE\n",
)
REFUSED = (
    "a: &x 1\nb: *x\n",
    "a: !!python/object:os.system 1\n",
    "b: [1, &q 2]\n",
    "- " + "[" * 20 + "1" + "]" * 20 + "\n",
    "a: b: c\n",
    "a:\n\tb: 1\n",
    "a: 1\na: 2\n",
)


def test_libyaml_is_used() -> None:
    assert yamlload._FastLoader is not None, "PyYAML was built without libyaml"


@pytest.mark.parametrize("loader", ["_FastLoader", "_FastestLoader"])
@pytest.mark.parametrize("text", DOCUMENTS)
def test_fast_loaders_match_the_reference(text: str, loader: str) -> None:
    fast = yamlload._load(getattr(yamlload, loader)(text), path="f.md", first_line=2, text=text)
    pure = yamlload._load(yamlload._Loader(text), path="f.md", first_line=2, text=text)
    assert isinstance(fast, Loaded)
    assert isinstance(pure, Loaded)
    assert fast.data == pure.data
    assert fast.positions == pure.positions


def test_texts_without_anchors_aliases_or_tags_skip_the_guarded_composer() -> None:
    assert all(yamlload._unguarded(text) for text in DOCUMENTS)
    assert not any(yamlload._unguarded(text) for text in REFUSED[:3])
    assert not yamlload._unguarded("title: x\n" * 1000)  # long: could nest deep


DEEP = "a:\n" + "".join(f"{'  ' * n}b{n}:\n" for n in range(1, 20))


@pytest.mark.parametrize("text", [text for text in (*REFUSED, DEEP) if yamlload._unguarded(text)])
def test_libyaml_composer_refuses_or_matches(text: str) -> None:
    """Composed in C without the guards, a text that may be is refused or loads like the
    reference (too deep nesting is refused by ``_build``), and load_yaml gives the reference's
    message."""
    fast = yamlload._load(yamlload._FastestLoader(text), path="f.md", first_line=2, text=text)
    pure = yamlload._load(yamlload._Loader(text), path="f.md", first_line=2, text=text)
    assert isinstance(fast, Loaded) == isinstance(pure, Loaded)
    assert load_yaml(text, path="f.md", first_line=2) == pure


@pytest.mark.parametrize("text", REFUSED)
def test_fast_loader_refuses_what_the_reference_refuses(text: str) -> None:
    fast = yamlload._load(yamlload._FastLoader(text), path="f.md", first_line=2, text=text)
    assert not isinstance(fast, Loaded)
    # and the message press staff see is the reference loader's
    assert load_yaml(text, path="f.md", first_line=2) == yamlload._load(
        yamlload._Loader(text), path="f.md", first_line=2, text=text
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('title: "bell \\x07 here"\n', 2),
        ('a: 1\n"k\\x1b": 2\n', 3),
        ("t: ['ok', \"\\ud800\"]\n", 2),
    ],
)
def test_an_escape_for_a_character_text_cannot_hold_is_refused(text: str, line: int) -> None:
    loaded = load_yaml(text, path="f.md", first_line=2)
    assert isinstance(loaded, ContentError)
    assert (loaded.line, loaded.hint) == (line, "remove the escape sequence")
    assert "makes a character text cannot hold" in loaded.message
