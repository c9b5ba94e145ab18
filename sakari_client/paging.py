"""Reading a listing page by page when the server's pagination may say little, or contradict itself.

Sakari's OpenAPI description gives a page `totalCount`, `limit` and `offset`; its newer pages add
`hasNext`. `PageCursor` decides from whatever a page carries:

- `hasNext` and `totalCount` (`offset + count < totalCount`) are two claims that more follows; when
  either says so the listing goes on (the larger claim wins), and an empty page ends it whatever
  they said, so a wrong claim costs one request, never a loop;
- with neither, a full page (as many as asked, or as the server's `limit` says it sends) means
  there may be more; a short or empty page is the last;
- a page whose contacts were all listed already (a server ignoring `offset`, repeating itself) is
  `MalformedResponseError`: stopping quietly would hand the caller a partial listing as if it were
  whole. A contact listed before (a page shifted under concurrent writes) is not listed twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sakari_client.errors import MalformedResponseError
from sakari_client.models import Contact, Pagination


@dataclass
class PageCursor:
    """Where a listing stands: the offset to ask for next, and what has been listed."""

    page_size: int
    offset: int = 0
    _seen: set[str] = field(default_factory=set, repr=False)

    def take(self, pagination: Pagination, contacts: list[Contact]) -> tuple[list[Contact], bool]:
        """Take in one page: the contacts not listed before, and whether to ask for another page."""
        if not contacts:
            return [], False
        keys = [_identity(c) for c in contacts]
        fresh = [c for c, key in zip(contacts, keys, strict=True) if key not in self._seen]
        if not fresh:
            raise MalformedResponseError(
                None,
                None,
                f"the page at offset {self.offset} repeats contacts already listed: "
                "the server seems to ignore offset; stopping rather than looping",
            )
        self._seen.update(keys)
        self.offset += len(contacts)
        return fresh, has_more(pagination, self.offset, len(contacts), self.page_size)


def has_more(pagination: Pagination, next_offset: int, count: int, page_size: int) -> bool:
    """Whether a page of `count` contacts, ending at `next_offset`, has more after it."""
    claims = []
    if pagination.hasNext is not None:
        claims.append(pagination.hasNext)
    if pagination.totalCount is not None:
        claims.append(next_offset < pagination.totalCount)
    if claims:
        return any(claims)
    full = min(page_size, pagination.limit) if pagination.limit else page_size
    return count >= full


def _identity(contact: Contact) -> str:
    """What tells two listed contacts apart: the id, else the mobile, else everything."""
    if contact.id is not None:
        return f"id:{contact.id}"
    if contact.mobile is not None and contact.mobile.number:
        return f"mobile:{contact.mobile.number}"
    return contact.model_dump_json()
