"""One reporter: a problem reads alike in a terminal, on a pull request and in the preview."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from advisory_site.commands.cli import main
from advisory_site.commands.serve import Preview, error_page
from advisory_site.core.errors import ContentError
from advisory_site.core.report import MAX_MESSAGE, annotation, as_text, template_problem
from advisory_site.source.lint import LintWarning
from tests.conftest import NOW_ISO, MakeSite, release

PROBLEM = ContentError(
    path="content/releases/a.md",
    line=3,
    column=15,
    field="release_date",
    message="expected a date like 2016-10-07, got '10/07/2016'",
    hint="write a date like 2016-10-07",
)


def test_a_problem_as_text_annotation_and_page() -> None:
    where = "content/releases/a.md:3:15"
    assert (
        str(PROBLEM)
        == as_text(PROBLEM)
        == (
            f"{where}: release_date: expected a date like 2016-10-07, got '10/07/2016' "
            "(write a date like 2016-10-07)"
        )
    )
    assert str(LintWarning(PROBLEM)) == f"{where}: warning: " + str(PROBLEM)[len(where) + 2 :]
    assert annotation("error", PROBLEM, Path()) == (
        "::error file=content/releases/a.md,line=3,col=15,title=release_date::"
        "expected a date like 2016-10-07, got '10/07/2016' (write a date like 2016-10-07)"
    )
    page = error_page([PROBLEM], Path("/nonexistent"))
    assert f"<code>{where}</code>" in page
    assert "<strong>release_date</strong>: expected a date like 2016-10-07, got &#x27;" in page


def test_a_long_or_multi_line_value_is_one_clipped_line() -> None:
    problem = ContentError(path="a.md", message="x\n" * 1000, field="title")
    text = as_text(problem)
    assert "\n" not in text
    assert len(text) <= len("a.md: title: ") + MAX_MESSAGE


def test_only_template_mistakes_are_located_in_templates(tmp_path: Path) -> None:
    assert template_problem(OSError(2, "No such file", "templates/x.html"), tmp_path) is None
    assert template_problem(ZeroDivisionError("division by zero"), tmp_path) is None


def test_a_template_mistake_names_the_same_place_in_the_terminal_and_the_preview(
    make_site: MakeSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The build's message, the pull request's annotation and the preview's page all name the
    template's file (as a path in the site) and line."""
    site = make_site({"content/releases/hello.md": release("Hello")})
    template = site / "templates/_footer.html"
    template.write_text("{{ site.config.titel }}\n" + template.read_text(encoding="utf-8"))
    preview = Preview(site, tmp_path / "preview", "http://127.0.0.1:8000/", io.StringIO())
    (shown,) = preview.rebuild().errors
    assert (shown.path, shown.line, shown.field) == ("templates/_footer.html", 1, "template")
    assert main(["build", "--site", str(site), "--now", NOW_ISO, "--format", "github"]) == 1
    out, err = capsys.readouterr()
    assert err.splitlines()[0] == str(shown)
    assert out.splitlines() == [annotation("error", shown, site)]
    assert "<code>templates/_footer.html:1:1</code>" in error_page([shown], site)
