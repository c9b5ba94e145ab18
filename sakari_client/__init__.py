"""An async client for Sakari's contact API: paced, retried, and careful with phone numbers.

Use it as `async with SakariClient(base_url, account_id, client_id, client_secret) as client:`.
"""

from sakari_client.bulk import CsvIncompatibleError, csv_compatible
from sakari_client.client import ClientStats, SakariClient, SharedLimit
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
    UnconfirmedContactError,
)
from sakari_client.models import (
    BulkRowError,
    BulkUploadResult,
    Contact,
    ContactError,
    ContactIn,
    EncodedContact,
    ListRef,
    MergeStrategy,
    MobileIn,
    Pagination,
    SavedContact,
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
    "CsvIncompatibleError",
    "EncodedContact",
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
    "SavedContact",
    "SharedLimit",
    "TransientError",
    "UnconfirmedContactError",
    "csv_compatible",
]
