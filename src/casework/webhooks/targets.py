"""Where a webhook may go: http(s) URLs whose host resolves to public addresses only.

A workspace admin chooses the URL and the server makes the request, so an unchecked URL
would let them reach what only the server can: 127.0.0.1 (the API's own operator routes,
Redis, PostgreSQL), the LAN, a cloud's metadata service at 169.254.169.254. Unless
WEBHOOK_ALLOW_PRIVATE is set, every address the host resolves to must be global. The check
runs when the endpoint is saved (a literal or already-resolving private address is refused
at once) and again before each attempt, whose connection then goes to the very address
checked: a DNS answer that changes between the check and the connection (DNS rebinding)
cannot redirect it. Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from casework.core.errors import InvalidInput

MAX_URL_CHARS = 2000
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL's host is (or resolves to) an address webhooks may not reach."""


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    host: str
    port: int
    address: str  # the checked address the connection goes to

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address."""
        parts = urlsplit(self.url)
        host = f"[{self.address}]" if ":" in self.address else self.address
        return parts._replace(netloc=f"{host}:{self.port}").geturl()

    @property
    def host_header(self) -> str:
        parts = urlsplit(self.url)
        default = 443 if parts.scheme == "https" else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == default else f"{host}:{self.port}"


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL if an endpoint may use it (422 otherwise). A host that does not resolve yet
    is accepted: each attempt checks again."""
    parts = urlsplit(url.strip())
    if len(url) > MAX_URL_CHARS:
        raise InvalidInput(f"the URL is longer than {MAX_URL_CHARS} characters")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("a webhook URL must be http:// or https:// with a host")
    if parts.username or parts.password:
        raise InvalidInput("a webhook URL may not carry a user name or password: the "
                           "signature authenticates the sender")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError:
        raise InvalidInput("the URL's port is not a number from 1 to 65535") from None
    if not allow_private:
        try:
            resolve(url, allow_private=False)
        except TargetRefused as exc:
            raise InvalidInput(str(exc)) from None
        except OSError:
            pass  # not resolvable now: checked again before each attempt
    return url.strip()


def resolve(url: str, *, allow_private: bool) -> Target:
    """The address to connect to; TargetRefused if any address of the host is not public
    (OSError if the host does not resolve)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = [str(info[4][0]) for info in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM)]
    if not addresses:
        raise OSError(f"{host} has no address")
    if not allow_private:
        for address in addresses:
            if not is_public(ipaddress.ip_address(address.split("%")[0])):
                raise TargetRefused(
                    f"{host} resolves to {address}, a loopback, private or reserved "
                    "address: webhooks go to public addresses only (WEBHOOK_ALLOW_PRIVATE)")
    return Target(url=url, host=host, port=port, address=addresses[0])


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    return address.is_global and not address.is_multicast
