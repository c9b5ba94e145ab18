"""An async client for Sakari's contact API: paced, retried, and careful with phone numbers.

Use it as `async with SakariClient(base_url, account_id, client_id, client_secret) as client:`.
"""

from sakari_client.client import ClientStats, SakariClient
from sakari_client.errors import (
    AccountError,
    AuthenticationError,
    ContactRejectedError,
    FatalError,
    MalformedResponseError,
    NotFoundError,
    RateLimitedError,
    SakariError,
    TransientError,
)
from sakari_client.models import (
    BulkRowError,
    BulkUploadResult,
    Contact,
    ContactError,
    ContactIn,
    ListRef,
    MergeStrategy,
    MobileIn,
    Pagination,
)

__all__ = [
    "AccountError",
    "AuthenticationError",
    "BulkRowError",
    "BulkUploadResult",
    "ClientStats",
    "Contact",
    "ContactError",
    "ContactIn",
    "ContactRejectedError",
    "FatalError",
    "ListRef",
    "MalformedResponseError",
    "MergeStrategy",
    "MobileIn",
    "NotFoundError",
    "Pagination",
    "RateLimitedError",
    "SakariClient",
    "SakariError",
    "TransientError",
]
