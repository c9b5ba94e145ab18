"""The API base URL: parsed once, and refused when it would send credentials in cleartext."""

from __future__ import annotations

import ipaddress

import httpx


def check_base_url(base_url: str, *, allow_insecure_http: bool = False) -> httpx.URL:
    """Parse the API base URL, refusing plain http:// to anything but this machine.

    Credentials and tokens travel in every request, so cleartext is allowed only for loopback (the
    emulator) unless `allow_insecure_http=True` says otherwise.
    """
    url = httpx.URL(base_url.rstrip("/"))
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
    if url.path.endswith("/v1"):
        raise ValueError("base_url must not end in /v1: the client adds it (the token URL has none)")
    if url.scheme == "http" and not allow_insecure_http and not is_loopback(url.host):
        raise ValueError(
            f"refusing plain http:// to {url.host}: credentials would travel unencrypted. "
            "Use https://, or pass allow_insecure_http=True if you really mean it."
        )
    return url


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
