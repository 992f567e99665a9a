"""One delivery attempt over HTTP: signed, to the checked address, within a time limit,
keeping only the first characters of the answer."""

from __future__ import annotations

import time
from dataclasses import dataclass

import httpx

from casework import __version__
from casework.webhooks import signing
from casework.webhooks.targets import TargetRefused, resolve

RESPONSE_PREFIX = 256  # characters of the receiver's answer kept in the log
READ_BYTES = 1024  # bytes of it read at most


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    latency_ms: float
    error: str | None = None
    response_prefix: str | None = None
    refused: bool = False  # the address is not allowed: retrying cannot help

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and \
            200 <= self.status_code < 300


def send(*, url: str, secret: str, event: str, delivery_id: str, body: bytes,
         timeout: float, allow_private: bool) -> Outcome:
    started = time.monotonic()

    def took() -> float:
        return round((time.monotonic() - started) * 1000, 1)

    try:
        target = resolve(url, allow_private=allow_private)
    except TargetRefused as exc:
        return Outcome(None, took(), str(exc), refused=True)
    except OSError as exc:
        return Outcome(None, took(), f"the host does not resolve ({exc})")
    timestamp = int(time.time())
    headers = {
        "Host": target.host_header, "Content-Type": "application/json",
        "User-Agent": f"casework-webhooks/{__version__}",
        signing.EVENT_HEADER: event, signing.DELIVERY_HEADER: delivery_id,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(secret, timestamp, body),
    }
    # TLS still checks the certificate against the URL's host name (sent as SNI).
    extensions = {"sni_hostname": target.host} if url.lower().startswith("https:") else {}
    try:
        # trust_env=False: no HTTP(S)_PROXY from the environment, which would connect
        # elsewhere than the address just checked.
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client, \
                client.stream("POST", target.pinned_url, content=body, headers=headers,
                              extensions=extensions) as response:
            head = b""
            for chunk in response.iter_raw():
                head += chunk
                if len(head) >= READ_BYTES:
                    break
    except httpx.TimeoutException:
        return Outcome(None, took(), f"no answer within {timeout:g} s")
    except httpx.HTTPError as exc:
        return Outcome(None, took(), f"{type(exc).__name__}: {exc}"[:500])
    text = head.decode("utf-8", "replace")[:RESPONSE_PREFIX] or None
    error = None if 200 <= response.status_code < 300 else \
        f"the receiver answered {response.status_code}"
    return Outcome(response.status_code, took(), error, text)
