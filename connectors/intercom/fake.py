"""Intercom REST imitation: contact search and listing, segments, tags (see apis.md §5), and messages.

Segments are the cohorts. Search reads its cursor only from the body's ``pagination``
object, as Intercom does: a ``starting_after`` in the query string is ignored and page one
comes back again, which is the mistake this fake exists to catch. Cursors name the last
contact returned (not an offset), so paging stays exact while members come and go.
Intercom has no time-zone field on contacts; the generated workspace keeps it in the
``time_zone`` custom attribute next to ``plan``. Messages and conversations live in
``fake_messages.py``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connectors.intercom.fake_records import STANDARD_WRITABLE
from connectors.intercom.fake_search import IntercomSearch
from connectors.sdk.fakes.handlers import ApiError, json_response, read_json


class IntercomFake(IntercomSearch):
    def routes(self) -> list[Rule]:
        return [
            Rule("/contacts/search", methods=["POST"], endpoint="search_contacts"),
            Rule("/contacts", methods=["GET"], endpoint="list_contacts"),
            Rule("/contacts/<contact_id>", methods=["GET"], endpoint="get_contact"),
            Rule("/contacts/<contact_id>", methods=["PUT"], endpoint="update_contact"),
            Rule("/contacts/<contact_id>/segments", methods=["GET"], endpoint="contact_segments"),
            Rule("/contacts/<contact_id>/tags", methods=["GET"], endpoint="contact_tags"),
            Rule("/contacts/<contact_id>/tags", methods=["POST"], endpoint="tag_contact"),
            Rule("/contacts/<contact_id>/tags/<tag_id>", methods=["DELETE"], endpoint="untag_contact"),
            Rule("/segments", methods=["GET"], endpoint="list_segments"),
            Rule("/segments/<segment_id>", methods=["GET"], endpoint="get_segment"),
            Rule("/tags", methods=["GET"], endpoint="list_tags"),
            Rule("/tags", methods=["POST"], endpoint="save_tag"),
            *self.messaging_routes(),
        ]

    # -- contacts, segments, tags -------------------------------------------------------------
    def get_contact(self, request: Request, contact_id: str) -> Response:
        return json_response(self.contact(self._index(contact_id)))

    def update_contact(self, request: Request, contact_id: str) -> Response:
        index, body = self._index(contact_id), read_json(request)
        if not isinstance(body, dict):
            raise ApiError(400, "Request body must be a JSON object")
        unknown = [k for k in body.get("custom_attributes") or {} if k not in self.custom_fields]
        if unknown:
            raise ApiError(400, f"Custom attribute '{unknown[0]}' does not exist")
        extra = {k: body[k] for k in STANDARD_WRITABLE if k in body}
        custom = dict(body.get("custom_attributes") or {})
        changes: dict[str, Any] = {"plan": str(custom.pop("plan"))} if "plan" in custom else {}
        if "time_zone" in custom:
            changes["time_zone"] = str(custom.pop("time_zone"))
        if "email" in body:
            changes["email"] = body["email"] or None
        extra |= {f"custom_attributes.{k}": v for k, v in custom.items()}
        self.population.update(index, extra=extra, **changes)
        return json_response(self.contact(index))

    def contact_segments(self, request: Request, contact_id: str) -> Response:
        index = self._index(contact_id)
        data = [
            self.segment(c, False)
            for c in range(len(self.population.cohorts))
            if self.population.in_cohort(c, index)
        ]
        return json_response({"type": "list", "data": data})

    def contact_tags(self, request: Request, contact_id: str) -> Response:
        index = self._index(contact_id)
        return json_response(
            {"type": "list", "data": [self._tag(t) for t, m in self.tagged.items() if index in m]}
        )

    def tag_contact(self, request: Request, contact_id: str) -> Response:
        index, body = self._index(contact_id), read_json(request) or {}
        tag = self._tag(str(body.get("id", "")))
        self.tagged[tag["id"]].add(index)
        self.population.version += 1
        return json_response(tag)

    def untag_contact(self, request: Request, contact_id: str, tag_id: str) -> Response:
        index, tag = self._index(contact_id), self._tag(tag_id)
        self.tagged[tag_id].discard(index)
        self.population.version += 1
        return json_response(tag)

    def list_segments(self, request: Request) -> Response:
        with_count = request.args.get("include_count") == "true"
        segments = [self.segment(c, with_count) for c in range(len(self.population.cohorts))]
        return json_response({"type": "segment.list", "segments": segments})

    def get_segment(self, request: Request, segment_id: str) -> Response:
        cohort = self._segment_cohort(segment_id)
        if cohort is None:
            raise ApiError(404, "Segment Not Found")
        return json_response(self.segment(cohort, request.args.get("include_count") == "true"))

    def list_tags(self, request: Request) -> Response:
        return json_response({"type": "list", "data": [self._tag(t) for t in self.tags]})

    def save_tag(self, request: Request) -> Response:
        body = read_json(request) or {}
        name = str(body.get("name") or "").strip()
        if not name:
            raise ApiError(400, "name is required")
        tag_id = str(body.get("id") or next((t for t, n in self.tags.items() if n == name), ""))
        if not tag_id:
            tag_id = str(7_000_001 + len(self.tags))
            self.tagged[tag_id] = set()
        elif tag_id not in self.tags:
            raise ApiError(404, "Tag not found", "tag_not_found")
        self.tags[tag_id] = name
        return json_response(self._tag(tag_id))


def start(*, port: int = 0, members: int = 100, seed: int = 1, **options: Any) -> IntercomFake:
    """Serve an Intercom fake; options: ``tls``, ``token``, ``custom_fields``."""
    return IntercomFake(port=port, members=members, seed=seed, **options).serve()
