"""TLS client certificates: asking for them on a listener, and naming the one a client sent.

An IRC user may log in with a certificate instead of a password (SASL
EXTERNAL, ``NickServ CERT ADD``); the certificate is known by the SHA-256
of its DER form, in lowercase hex, as other IRC servers print it.  The
listener asks for a certificate but accepts any (self-signed ones are the
norm): who may use which certificate is the account's business, not the
TLS layer's, and a client without one connects as before.
"""

from __future__ import annotations

from typing import Any, Optional

from OpenSSL import SSL


def ask_client_certificates(endpoint: Any) -> Any:
    """Make a Twisted ``ssl:`` server endpoint ask clients for a certificate (any is accepted)."""
    factory = getattr(endpoint, "_sslContextFactory", None)
    if factory is None:
        return endpoint
    context = factory.getContext()  # CertificateOptions keeps this context for every connection
    context.set_verify(SSL.VERIFY_PEER, lambda _conn, _cert, _errno, _depth, _ok: True)
    context.set_session_id(b"chatd")  # resumed sessions need an id context once peers are verified
    return endpoint


def peer_fingerprint(transport: Any) -> Optional[str]:
    """The SHA-256 fingerprint of the client's certificate, or None (no TLS, or no certificate)."""
    while transport is not None:
        if hasattr(transport, "certificate_fingerprint"):  # carried from another node, which saw it
            return transport.certificate_fingerprint
        get = getattr(transport, "getPeerCertificate", None)
        if get is not None:
            try:
                cert = get()
            except Exception:  # not a TLS transport after all, or the handshake is not done
                return None
            if cert is None:
                return None
            return str(cert.digest("sha256").decode("ascii")).replace(":", "").lower()
        transport = getattr(transport, "transport", None)  # through a PROXY-header wrapper
    return None
