"""`{% share_panel_for submission as panel %}`: the share panel's data for the entry's author.

The entry view belongs to `submissions`; this tag lets its template include the panel without
that view knowing about sharing. It calls one function (`share_panel_get`), whose queries are
fixed and pinned by a test.
"""

from __future__ import annotations

from typing import Any

from django import template

from sharing.links import SharePanel, share_panel_get
from submissions.models import Submission

register = template.Library()


@register.simple_tag(takes_context=True)
def share_panel_for(context: dict[str, Any], submission: Submission) -> SharePanel | None:
    request = context.get("request")
    if request is None:
        return None
    return share_panel_get(request=request, submission=submission)
