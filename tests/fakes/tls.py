"""A certificate authority made by the tests, so the fakes can speak wss:// and https://.

Real users always reach the providers over TLS, where every new connection needs a TLS
context; a client that builds one per connection reads the CA store inside the event
loop. The fakes serve TLS with a certificate for 127.0.0.1 from this CA, and the clients
trust it only through the context they are given (verification stays on).

`trustme` makes the CA: it is built for exactly this (a throw-away CA and leaf
certificates with the extensions Python 3.13's strict X.509 checks demand), is a few
hundred lines of pure Python over `cryptography`, which Home Assistant installs anyway.
"""

from __future__ import annotations

import ssl

import trustme

from .server import HOST


def make_ca() -> trustme.CA:
    """A new CA; its leaf certificate for 127.0.0.1 is what the fakes present."""
    return trustme.CA(organization_name="arabic-tts test CA")


def server_context(ca: trustme.CA) -> ssl.SSLContext:
    """TLS context for a fake server: a certificate for 127.0.0.1 signed by ``ca``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST).configure_cert(context)
    return context


def trust(context: ssl.SSLContext, ca: trustme.CA) -> ssl.SSLContext:
    """Add ``ca`` to an existing client context (hostname and chain still verified)."""
    ca.configure_trust(context)
    return context


def client_context(ca: trustme.CA) -> ssl.SSLContext:
    """A verifying client context that trusts ``ca`` (and nothing else)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    return trust(context, ca)


__all__ = ["client_context", "make_ca", "server_context", "trust"]
