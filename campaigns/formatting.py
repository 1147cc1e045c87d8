"""Campaign rules are written in Markdown and shown as sanitised HTML."""

from __future__ import annotations

import markdown
import nh3

_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "blockquote", "code"}
_ATTRIBUTES = {"a": {"href", "title"}}


def rules_render(source: str) -> str:
    """Render Markdown to HTML that can hold no script, style, image or foreign attribute.

    Raw HTML in the source is escaped before Markdown runs, and the output is cleaned again
    with an allowlist, so whatever a brand types shows as text or harmless formatting.
    """
    if not source.strip():
        return ""
    html = markdown.markdown(
        source.replace("<", "&lt;").replace(">", "&gt;"),
        extensions=["sane_lists"],
        output_format="html",
    )
    # Headings from the brand sit under the page's own h1/h2.
    for level, target in (("h1", "h3"), ("h2", "h3"), ("h5", "h4"), ("h6", "h4")):
        html = html.replace(f"<{level}>", f"<{target}>").replace(f"</{level}>", f"</{target}>")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
