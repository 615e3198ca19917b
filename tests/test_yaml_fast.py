"""libyaml's parser gives exactly the pure Python loader's values, positions and refusals."""

from __future__ import annotations

import pytest

from advisory_site import yamlload
from advisory_site.yamlload import Loaded, load_yaml

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


@pytest.mark.parametrize("text", DOCUMENTS)
def test_fast_loader_matches_the_reference(text: str) -> None:
    fast = yamlload._load(yamlload._FastLoader(text), path="f.md", first_line=2)
    pure = yamlload._load(yamlload._Loader(text), path="f.md", first_line=2)
    assert isinstance(fast, Loaded)
    assert isinstance(pure, Loaded)
    assert fast.data == pure.data
    assert fast.positions == pure.positions


@pytest.mark.parametrize("text", REFUSED)
def test_fast_loader_refuses_what_the_reference_refuses(text: str) -> None:
    fast = yamlload._load(yamlload._FastLoader(text), path="f.md", first_line=2)
    assert not isinstance(fast, Loaded)
    # and the message press staff see is the reference loader's
    assert load_yaml(text, path="f.md", first_line=2) == yamlload._load(
        yamlload._Loader(text), path="f.md", first_line=2
    )
