"""The one Jinja2 environment of the HTML report (templates in auditor/report/templates/): every value is
escaped unless it is markup a template made, an undefined name is an error, and block tags on their own
lines leave no blank lines. Created on first use, so commands that print no HTML never import Jinja2."""

from __future__ import annotations

from functools import cache


@cache
def environment():
    from jinja2 import Environment, PackageLoader, StrictUndefined

    return Environment(
        loader=PackageLoader("auditor.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def macro(template: str, name: str):
    """A macro of a template, callable from Python; it returns markup (already escaped)."""
    return getattr(environment().get_template(template).module, name)
