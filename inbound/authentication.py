"""Who really sent an inbound message: SPF and DKIM verdicts, normalised, and the one rule that says
whether the sender is authenticated. Pure functions: no Django, no I/O.

The rule: the From address is authenticated when a DKIM signature with ``pass`` was made by the From
domain (or a parent domain of it), or SPF gave ``pass`` for an envelope sender (``smtp.mailfrom``,
Return-Path) on the From domain (or a parent of it). Every other verdict (missing, ``none``,
``neutral``, ``softfail``, ``temperror``, ``permerror``, ``fail``, anything unreadable) leaves the
sender unauthenticated. Verdicts are compared without case and without RFC 5322 comments, so
``FAIL (bad signature)`` reads as ``fail`` and ``Pass (sender SPF authorized)`` as ``pass``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import authres

# RFC 8601 §2.7 result words for SPF and DKIM (hardfail: RFC 5451's old name for fail).
KNOWN_RESULTS = frozenset(
    {"pass", "fail", "hardfail", "softfail", "neutral", "none", "temperror", "permerror", "policy"}
)
MISSING = "none"
UNREADABLE = "unreadable"
# A verdict, header or domain longer than this is not something a receiving server wrote.
MAX_VERDICT_CHARS = 1000
MAX_HEADER_CHARS = 8_000

_INNERMOST_COMMENT = re.compile(r"\((?:[^()\\]|\\.)*\)")
_LEADING_WORD = re.compile(r"\s*([A-Za-z]+)(?=\s|;|$)")
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$")


@dataclass(frozen=True)
class DkimVerdict:
    result: str  # normalised: one of KNOWN_RESULTS, MISSING or UNREADABLE
    domain: str  # the signing domain (d=), normalised; "" when not given


@dataclass(frozen=True)
class SpfVerdict:
    result: str
    mail_from_domain: str  # the envelope sender's domain (smtp.mailfrom / Return-Path); "" when not given


@dataclass(frozen=True)
class SenderVerdicts:
    """What the receiving side says about a message, and where that came from (for the log)."""

    source: str = "no verdicts"
    dkim: tuple[DkimVerdict, ...] = ()
    spf: tuple[SpfVerdict, ...] = ()


@dataclass(frozen=True)
class SenderAuthentication:
    authenticated: bool
    explanation: str


def comments_strip(value: str) -> str:
    """``value`` without RFC 5322 comments (nested ones too); an unbalanced one is left in place."""
    for _ in range(len(value)):  # each pass removes at least one innermost comment
        stripped = _INNERMOST_COMMENT.sub(" ", value)
        if stripped == value:
            break
        value = stripped
    return value


def verdict_normalise(raw: object) -> str:
    """One SPF or DKIM verdict as a lower-case result word: ``MISSING`` when there is none,
    ``UNREADABLE`` when it is not one of RFC 8601's words (``passed``, ``ok``, ``pass(``, a list…)."""
    if raw is None:
        return MISSING
    if not isinstance(raw, str) or len(raw) > MAX_VERDICT_CHARS:
        return UNREADABLE
    if not raw.strip():
        return MISSING
    match = _LEADING_WORD.match(comments_strip(raw))
    word = match[1].lower() if match else ""
    return word if word in KNOWN_RESULTS else UNREADABLE


def domain_normalise(raw: object) -> str:
    """A domain in lower-case ASCII (IDNA for international names), or "" when it is not a domain
    with at least two labels."""
    if not isinstance(raw, str) or len(raw) > 253 + 1:
        return ""
    domain = raw.strip().rstrip(".").lower()
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return ""
    return domain if _DOMAIN.match(domain) else ""


def address_domain(raw: object) -> str:
    """The domain of an address (``user@example.com``, ``<user@example.com>``, ``@example.com``) or of
    a bare domain (``smtp.mailfrom`` may be one); "" when there is none."""
    if not isinstance(raw, str) or len(raw) > MAX_VERDICT_CHARS:
        return ""
    value = raw.strip().strip("<>").strip()
    return domain_normalise(value.rpartition("@")[2])


def domain_aligned(identifier: str, from_domain: str) -> bool:
    """The authenticated domain is the From domain or a parent of it (``acme.com`` for
    ``mail.acme.com``); never a child, a sibling or a bare top-level name."""
    if "." not in identifier or not from_domain:
        return False
    return identifier == from_domain or from_domain.endswith("." + identifier)


def sender_authenticated(*, from_address: str, verdicts: SenderVerdicts) -> SenderAuthentication:
    """Whether ``verdicts`` prove that the From address's domain sent the message, and why (for the log)."""
    from_domain = address_domain(from_address)
    if not from_domain:
        return SenderAuthentication(False, "No single, well-formed From address.")
    for dkim in verdicts.dkim:
        if dkim.result == "pass" and domain_aligned(dkim.domain, from_domain):
            return SenderAuthentication(
                True, f"dkim=pass d={dkim.domain} for From {from_domain} ({verdicts.source})."
            )
    for spf in verdicts.spf:
        if spf.result == "pass" and domain_aligned(spf.mail_from_domain, from_domain):
            return SenderAuthentication(
                True, f"spf=pass mailfrom={spf.mail_from_domain} for From {from_domain} ({verdicts.source})."
            )
    seen = [f"dkim={v.result} d={v.domain or '?'}" for v in verdicts.dkim] + [
        f"spf={v.result} mailfrom={v.mail_from_domain or '?'}" for v in verdicts.spf
    ]
    return SenderAuthentication(
        False,
        f"No aligned SPF or DKIM pass for From {from_domain} ({verdicts.source}): "
        f"{', '.join(seen) or 'no SPF or DKIM verdict'}.",
    )


# --- Authentication-Results headers (RFC 8601) --------------------------------------------------


def _header_parse(value: str) -> authres.AuthenticationResultsHeader | None:
    if len(value) > MAX_HEADER_CHARS:
        return None
    try:
        return authres.AuthenticationResultsHeader.parse_value(value.replace("\r", " ").replace("\n", " "))
    except (authres.AuthResError, ValueError, RecursionError):  # RecursionError: deeply nested comments
        return None


def _written_by(value: str, authserv_id: str) -> bool:
    """Whether a header starts with ``authserv_id``, as a receiving server writes it (no comment
    first). Checked before parsing, so that at most one header per message is ever parsed."""
    return re.match(rf"\s*{re.escape(authserv_id)}(?=[\s;(]|$)", value, re.IGNORECASE) is not None


def _property(result: authres.AuthenticationResult, ptype: str, name: str) -> str:
    for prop in result.properties:
        if prop.type == ptype and prop.name == name and isinstance(prop.value, str):
            return str(prop.value)
    return ""


def verdicts_from_authentication_results(headers: Sequence[str], *, authserv_id: str) -> SenderVerdicts:
    """The SPF and DKIM verdicts of the topmost ``Authentication-Results`` header that carries our
    receiving side's ``authserv_id``; ``headers`` in message order, topmost first.

    Anyone can write this header: every one carrying another authserv-id is ignored, and so is every
    one below the topmost carrying ours (RFC 8601 §5: the receiving server removes or renames copies
    of its own that arrive with the message and adds its own above them). When that topmost header
    cannot be parsed, there are no verdicts: a copy further down is never a fallback.
    """
    wanted = authserv_id.strip().lower()
    if not wanted:
        return SenderVerdicts(source="INBOUND_EMAIL_AUTHSERV_ID is not set: no header is trusted")
    for value in headers:
        if not _written_by(value, wanted):
            continue
        header = _header_parse(value)
        if header is None or (header.authserv_id or "").lower() != wanted:
            return SenderVerdicts(source=f"unreadable Authentication-Results from {wanted}")
        dkim: list[DkimVerdict] = []
        spf: list[SpfVerdict] = []
        for result in header.results:
            if result.method == "dkim":
                signer = _property(result, "header", "d") or _property(result, "header", "i")
                dkim.append(DkimVerdict(verdict_normalise(result.result), address_domain(signer)))
            elif result.method == "spf":
                mail_from = _property(result, "smtp", "mailfrom")
                spf.append(SpfVerdict(verdict_normalise(result.result), address_domain(mail_from)))
        return SenderVerdicts(
            source=f"Authentication-Results from {wanted}", dkim=tuple(dkim), spf=tuple(spf)
        )
    return SenderVerdicts(source=f"no Authentication-Results from {wanted}")


# --- provider fields ------------------------------------------------------------------------------

_SENDGRID_DKIM_ITEM = re.compile(r"@?([^\s:{},@]+)\s*:\s*([A-Za-z]+)")


def dkim_verdicts_from_field(raw: object, *, domain: object = None) -> tuple[DkimVerdict, ...]:
    """DKIM verdicts from a provider's field: SendGrid's ``{@example.com : pass, @other.org : fail}``,
    or a single verdict word whose signing domain comes in ``domain``."""
    if raw is None:
        return ()
    if isinstance(raw, str) and "{" in raw and len(raw) <= MAX_VERDICT_CHARS:
        return tuple(
            DkimVerdict(verdict_normalise(result), domain_normalise(signer))
            for signer, result in _SENDGRID_DKIM_ITEM.findall(raw)
        )
    return (DkimVerdict(verdict_normalise(raw), domain_normalise(domain)),)


def spf_verdicts_from_field(raw: object, *, mail_from: object) -> tuple[SpfVerdict, ...]:
    """The SPF verdict from a provider's field, for the envelope sender ``mail_from``."""
    if raw is None:
        return ()
    return (SpfVerdict(verdict_normalise(raw), address_domain(mail_from)),)


def verdicts_join(source: str, parts: Iterable[SenderVerdicts]) -> SenderVerdicts:
    parts = list(parts)
    return SenderVerdicts(
        source=source,
        dkim=tuple(v for part in parts for v in part.dkim),
        spf=tuple(v for part in parts for v in part.spf),
    )
