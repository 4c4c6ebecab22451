"""Every customer-facing word has its French and Spanish translation in locale/<language>/django.po,
and the code writes its error details through gettext, never as literals a catalogue cannot reach."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from core.errors import CATALOGUE
from inbound.errors import INBOUND_CODES
from notifications import messages

ROOT = Path(settings.BASE_DIR)
TRANSLATED = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def _in(language, read):
    with translation.override(language):
        return read()


def test_french_and_spanish_are_the_languages_besides_english():
    assert TRANSLATED == ["fr", "es"]


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize(
    "definition",
    [definition for definition in CATALOGUE if definition.code not in INBOUND_CODES],
    ids=lambda definition: definition.code,
)
def test_every_catalogue_detail_is_translated(definition, language):
    english = _in("en", definition.example)["detail"]
    translated = _in(language, definition.example)["detail"]

    assert translated != english, (
        f"{definition.code}: no {language} translation of {english!r}: `make messages`, then translate the "
        f"empty msgstr in locale/{language}/LC_MESSAGES/django.po"
    )


def _email_texts():
    """(name, lazy message) of every word an e-mail or the survey page shows (notifications.messages)."""
    for kind, (headline, body) in messages.MESSAGES.items():
        yield f"{kind}.headline", headline
        yield f"{kind}.body", body
    for name in ("METRIC_LABELS", "TEMPLATE_FIELDS", "DECISIONS", "REQUEST_KINDS", "SURVEY_PAGE"):
        for key, text in getattr(messages, name).items():
            yield f"{name}.{key}", text
    yield "FOOTER", messages.FOOTER
    yield "STAFF_FOOTER", messages.STAFF_FOOTER


def _msgid(text):
    """The catalogue key of a gettext_lazy or pgettext_lazy message (a context joins with EOT)."""
    args = text._args
    return args[0] if len(args) == 1 else f"{args[0]}\x04{args[1]}"


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize(("name", "text"), list(_email_texts()), ids=lambda value: str(value)[:40])
def test_every_email_text_is_in_the_compiled_catalogue(name, text, language):
    # Read from the compiled catalogue rather than compared with English: some translations are the
    # English words ("{{ product }}: {{ title }} ({{ incident_status }})" in Spanish).
    catalogue = _in(language, lambda: translation.trans_real.translation(language)._catalog)

    assert _msgid(text) in catalogue, f"{name}: no {language} translation: `make messages`, then translate it"


def test_a_customer_reads_the_email_in_their_language_and_others_in_english():
    closed = messages.MESSAGES["case_closed"][0]

    assert messages.in_language(closed, "fr") == "Votre cas est fermé"
    assert messages.in_language(closed, "es") == "Su caso está cerrado"
    assert messages.in_language(closed, "de") == messages.in_language(closed, "en") == "Your case is closed"


def _po_entries(language):
    """(msgid, msgstr, flags) of each entry of the language's catalogue, header excluded."""
    text = (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    entries = []
    for block in text.split("\n\n"):
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        fields = {"msgid": "", "msgstr": ""}
        current = None
        for line in block.splitlines():
            keyword = re.match(r"^(msgid|msgstr) ", line)
            if keyword:
                current = keyword[1]
                line = line[len(current) + 1 :]
            elif not line.startswith('"'):
                current = None
                continue
            if current:
                fields[current] += ast.literal_eval(line)
        if fields["msgid"]:
            entries.append((fields["msgid"], fields["msgstr"], flags))
    return entries


# Django's admin templates' own words, which Django's catalogue translates.
FROM_DJANGO = {"Home", "Cancel", "Django site admin"}


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_catalogue_has_no_empty_or_fuzzy_translation(language):
    entries = _po_entries(language)

    assert len(entries) > 100
    assert [msgid for msgid, msgstr, _flags in entries if not msgstr and msgid not in FROM_DJANGO] == []
    assert [msgid for msgid, _msgstr, flags in entries if "fuzzy" in flags] == []  # msgfmt skips those


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_up_to_date(language):
    po = ROOT / "locale" / language / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")

    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime, "run `make compilemessages`"


# --- no detail outside gettext ---------------------------------------------------------------------

# What raises a refusal a client reads, with its words as the first argument (or ``detail=``).
REFUSALS = {
    "ApplicationError",
    "ValidationFailed",
    "PermissionRefused",
    "NotFound",
    "Conflict",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "UnprocessableContent",
    "OutboundRefused",
    "ParseError",
    "ValidationError",
    "ErrorDetail",
    "AuthenticationFailed",
    "PermissionDenied",
    "error",  # ErrorDefinition.error(detail)
}
# Not customer-facing: the inbound-mail app (mail providers and operators call its endpoints), the
# admin and the analyst workspace's services (staff), and tools.
NOT_CUSTOMER_FACING = (
    "inbound/",
    "/admin",
    "cases/services/workspace.py",
    "cases/services/replies.py",
)
# Known arguments that are not words: DRF's UnsupportedMediaType takes the media type. (A module's
# ``logger.error(...)`` writes for operators, not customers: skipped below.)
NOT_WORDS = {("core/errors.py", "UnsupportedMediaType")}


def _logger_call(func):
    return isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "logger"


def _literal(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.BinOp) and (_literal(node.left) or _literal(node.right))


def _literal_details(path, relative):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            words = [*node.args[:1], *(keyword.value for keyword in node.keywords if keyword.arg == "detail")]
            if (
                name in REFUSALS
                and any(_literal(word) for word in words)
                and (relative, name) not in NOT_WORDS
                and not _logger_call(func)
            ):
                yield f"{relative}:{node.lineno} {name}(...)"
        elif isinstance(node, ast.Dict):  # JsonResponse({"code": ..., "detail": "..."})
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "detail" and _literal(value):
                    yield f"{relative}:{node.lineno} a literal detail"


def test_no_customer_facing_detail_is_a_literal():
    found = []
    for app in ("core", "accounts", "cases", "sla", "notifications", "inbound", "status", "reports"):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" in relative or "/management/" in relative:
                continue
            if any(part in relative for part in NOT_CUSTOMER_FACING):
                continue
            found.extend(_literal_details(path, relative))

    assert found == [], "write these through gettext: _('… %(name)s …') % {...}"
