"""What each notification says, per language. Headlines and bodies are Django template strings
(with ``notifications.formatting``'s filters: instants are ISO strings shown with
``|local_datetime`` in the reader's language and time zone); ``notifications/rendering.py`` makes the
subject (a case's e-mails share ``[<number>] <case subject>``) and
``notifications/templates/notifications/email.{txt,html}`` lay them out. Customers read theirs in
their language or their company's (en, fr, es); staff in theirs (``User.language``, default en)."""

from __future__ import annotations

LANGUAGES = ("en", "fr", "es")

# kind → language → (headline, body). The body is plain text; paragraphs are separated by blank lines.
MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "case_created": {
        "en": (
            "We received your case: {{ case_subject }}",
            "Hello {{ name }},\n\nWe received your case {{ case_number }} (priority {{ priority }}).\n\n"
            "{% if first_response_due %}You will hear from us by {{ first_response_due|local_datetime }}.{% else %}"
            "Service-level targets apply to production instances only.{% endif %}"
            "{% if missing_fields %}\n\nTo help us work on it sooner, reply to this e-mail with: "
            "{{ missing_fields|join:'; ' }}.{% endif %}",
        ),
        "fr": (
            "Nous avons bien reçu votre cas : {{ case_subject }}",
            "Bonjour {{ name }},\n\nNous avons bien reçu votre cas {{ case_number }} (priorité {{ priority }}).\n\n"
            "{% if first_response_due %}Vous aurez une réponse au plus tard le {{ first_response_due|local_datetime }}.{% else %}"
            "Les engagements de service ne s'appliquent qu'aux instances de production.{% endif %}"
            "{% if missing_fields %}\n\nPour que nous puissions avancer plus vite, répondez à ce message en "
            "précisant : {{ missing_fields|join:' ; ' }}.{% endif %}",
        ),
        "es": (
            "Hemos recibido su caso: {{ case_subject }}",
            "Hola {{ name }}:\n\nHemos recibido su caso {{ case_number }} (prioridad {{ priority }}).\n\n"
            "{% if first_response_due %}Le responderemos antes del {{ first_response_due|local_datetime }}.{% else %}"
            "Los SLA solo se aplican a las instancias de producción.{% endif %}"
            "{% if missing_fields %}\n\nPara avanzar antes, responda a este correo indicando: "
            "{{ missing_fields|join:'; ' }}.{% endif %}",
        ),
    },
    "support_reply": {
        "en": ("New reply from support", "Hello {{ name }},\n\n{{ message }}"),
        "fr": ("Nouvelle réponse du support", "Bonjour {{ name }},\n\n{{ message }}"),
        "es": ("Nueva respuesta de soporte", "Hola {{ name }}:\n\n{{ message }}"),
    },
    "pending_customer": {
        "en": (
            "We need something from you",
            "Hello {{ name }},\n\nWe have paused work on {{ case_number }} until you can help:\n\n{{ message }}\n\n"
            "Reply to this e-mail or comment on the case.",
        ),
        "fr": (
            "Nous avons besoin de vous",
            "Bonjour {{ name }},\n\nLe traitement de {{ case_number }} est en attente de votre action :\n\n"
            "{{ message }}\n\nRépondez à ce message ou commentez le cas.",
        ),
        "es": (
            "Necesitamos su ayuda",
            "Hola {{ name }}:\n\nEl caso {{ case_number }} está pendiente de una acción suya:\n\n{{ message }}\n\n"
            "Responda a este correo o comente el caso.",
        ),
    },
    "verify_resolution": {
        "en": (
            "Please verify the resolution",
            "Hello {{ name }},\n\n{{ message }}\n\nIf the fix does not work, or you need more, answer before "
            "{{ auto_close_date|local_datetime }}; otherwise the case closes automatically.",
        ),
        "fr": (
            "Merci de vérifier la résolution",
            "Bonjour {{ name }},\n\n{{ message }}\n\nSi la correction ne fonctionne pas ou s'il vous faut plus, "
            "répondez avant le {{ auto_close_date|local_datetime }} ; sinon le cas sera fermé automatiquement.",
        ),
        "es": (
            "Verifique la resolución",
            "Hola {{ name }}:\n\n{{ message }}\n\nSi la solución no funciona o necesita algo más, responda antes "
            "del {{ auto_close_date|local_datetime }}; de lo contrario, el caso se cerrará automáticamente.",
        ),
    },
    "auto_close_reminder": {
        "en": (
            "Closing automatically on {{ auto_close_date|local_datetime }}",
            "Hello {{ name }},\n\nWe have not heard back about the resolution of {{ case_number }}. "
            "It will close automatically on {{ auto_close_date|local_datetime }} unless you answer.",
        ),
        "fr": (
            "Fermeture automatique le {{ auto_close_date|local_datetime }}",
            "Bonjour {{ name }},\n\nSans retour de votre part sur la résolution de {{ case_number }}, "
            "le cas sera fermé automatiquement le {{ auto_close_date|local_datetime }}.",
        ),
        "es": (
            "Cierre automático el {{ auto_close_date|local_datetime }}",
            "Hola {{ name }}:\n\nNo hemos recibido respuesta sobre la resolución de {{ case_number }}. "
            "Se cerrará automáticamente el {{ auto_close_date|local_datetime }} si no responde.",
        ),
    },
    "case_closed": {
        "en": (
            "Your case is closed",
            "Hello {{ name }},\n\n{{ case_number }} is closed{% if automatic %} automatically, 9 days after we "
            "proposed a resolution{% endif %}. You can reopen it within 3 days.\n\n"
            "{% if survey_url %}How did we do? Good: {{ survey_url }}?rating=good\n"
            "Not good: {{ survey_url }}?rating=bad{% endif %}",
        ),
        "fr": (
            "Votre cas est fermé",
            "Bonjour {{ name }},\n\n{{ case_number }} est fermé{% if automatic %} automatiquement, 9 jours après "
            "la résolution proposée{% endif %}. Vous pouvez le rouvrir pendant 3 jours.\n\n"
            "{% if survey_url %}Votre avis ? Satisfait : {{ survey_url }}?rating=good\n"
            "Pas satisfait : {{ survey_url }}?rating=bad{% endif %}",
        ),
        "es": (
            "Su caso está cerrado",
            "Hola {{ name }}:\n\n{{ case_number }} está cerrado{% if automatic %} automáticamente, 9 días después "
            "de proponer la resolución{% endif %}. Puede reabrirlo durante 3 días.\n\n"
            "{% if survey_url %}¿Qué tal lo hicimos? Bien: {{ survey_url }}?rating=good\n"
            "Mal: {{ survey_url }}?rating=bad{% endif %}",
        ),
    },
    "reopened": {
        "en": ("Case reopened", "Hello {{ name }},\n\n{{ case_number }} is open again."),
        "fr": (
            "Cas rouvert",
            "Bonjour {{ name }},\n\n{{ case_number }} est de nouveau ouvert.",
        ),
        "es": (
            "Caso reabierto",
            "Hola {{ name }}:\n\n{{ case_number }} se ha reabierto.",
        ),
    },
    "escalation_requested": {
        "en": (
            "Escalation requested",
            "Hello {{ name }},\n\nWe received your escalation request for {{ case_number }}; a support manager "
            "will review it and your analyst will contact you if more is needed.",
        ),
        "fr": (
            "Demande d'escalade reçue",
            "Bonjour {{ name }},\n\nNous avons reçu votre demande d'escalade pour {{ case_number }} ; un responsable "
            "l'examinera et votre analyste vous contactera si besoin.",
        ),
        "es": (
            "Solicitud de escalado recibida",
            "Hola {{ name }}:\n\nHemos recibido su solicitud de escalado para {{ case_number }}; un responsable la "
            "revisará y su analista se pondrá en contacto si necesita más información.",
        ),
    },
    "escalation_decided": {
        "en": (
            "Escalation {{ decision }}",
            "Hello {{ name }},\n\nYour escalation request for {{ case_number }} was {{ decision }}.\n\n{{ message }}",
        ),
        "fr": (
            "Escalade : {{ decision }}",
            "Bonjour {{ name }},\n\nVotre demande d'escalade pour {{ case_number }} : {{ decision }}.\n\n{{ message }}",
        ),
        "es": (
            "Escalado: {{ decision }}",
            "Hola {{ name }}:\n\nSu solicitud de escalado para {{ case_number }}: {{ decision }}.\n\n{{ message }}",
        ),
    },
    "authorization_request_raised": {
        "en": (
            "Authorisation request received: {{ request_kind }}",
            "Hello {{ name }},\n\nWe recorded a request ({{ request_kind }}) for {{ subject_user }}. A manager of "
            "{{ company }} must approve it.{% if for_manager %} Reply APPROVE or REJECT to this e-mail, or use the "
            "API.{% endif %}",
        ),
        "fr": (
            "Demande d'autorisation reçue : {{ request_kind }}",
            "Bonjour {{ name }},\n\nNous avons enregistré une demande ({{ request_kind }}) pour {{ subject_user }}. "
            "Un responsable de {{ company }} doit l'approuver.{% if for_manager %} Répondez APPROUVER ou REJETER à "
            "ce message, ou utilisez l'API.{% endif %}",
        ),
        "es": (
            "Solicitud de autorización recibida: {{ request_kind }}",
            "Hola {{ name }}:\n\nHemos registrado una solicitud ({{ request_kind }}) para {{ subject_user }}. Un "
            "responsable de {{ company }} debe aprobarla.{% if for_manager %} Responda APROBAR o RECHAZAR a este "
            "correo, o use la API.{% endif %}",
        ),
    },
    "authorization_request_decided": {
        "en": (
            "Authorisation request {{ decision }}: {{ request_kind }}",
            "Hello {{ name }},\n\nThe request ({{ request_kind }}) for {{ subject_user }} was {{ decision }}.",
        ),
        "fr": (
            "Demande d'autorisation {{ decision }} : {{ request_kind }}",
            "Bonjour {{ name }},\n\nLa demande ({{ request_kind }}) pour {{ subject_user }} : {{ decision }}.",
        ),
        "es": (
            "Solicitud de autorización {{ decision }}: {{ request_kind }}",
            "Hola {{ name }}:\n\nLa solicitud ({{ request_kind }}) para {{ subject_user }}: {{ decision }}.",
        ),
    },
    "password_reset": {
        "en": (
            "Casedesk: your password reset was authorised",
            "Hello {{ name }},\n\nYour company authorised a password reset for your account.\n\n"
            "POST {uid, token, new_password} with uid={{ uid }} and token={{ token }} to {{ confirm_url }}\n\n"
            "The link works once and expires after a few days.",
        ),
        "fr": (
            "Casedesk : la réinitialisation de votre mot de passe est autorisée",
            "Bonjour {{ name }},\n\nVotre entreprise a autorisé la réinitialisation du mot de passe de votre "
            "compte.\n\nEnvoyez {uid, token, new_password} (POST) avec uid={{ uid }} et token={{ token }} à "
            "{{ confirm_url }}\n\nLe lien ne sert qu'une fois et expire au bout de quelques jours.",
        ),
        "es": (
            "Casedesk: se ha autorizado el restablecimiento de su contraseña",
            "Hola {{ name }}:\n\nSu empresa ha autorizado el restablecimiento de la contraseña de su cuenta.\n\n"
            "Envíe {uid, token, new_password} (POST) con uid={{ uid }} y token={{ token }} a {{ confirm_url }}\n\n"
            "El enlace solo sirve una vez y caduca en unos días.",
        ),
    },
    "status_maintenance": {
        "en": (
            "Scheduled maintenance: {{ product }}",
            "Hello {{ name }},\n\n{{ title }}: {{ schedule }}.\n\n{{ message }}\n\nThe system may be offline then.",
        ),
        "fr": (
            "Maintenance planifiée : {{ product }}",
            "Bonjour {{ name }},\n\n{{ title }} : {{ schedule }}.\n\n{{ message }}\n\nLe système peut être "
            "indisponible pendant ce créneau.",
        ),
        "es": (
            "Mantenimiento programado: {{ product }}",
            "Hola {{ name }}:\n\n{{ title }}: {{ schedule }}.\n\n{{ message }}\n\nEl sistema puede estar "
            "desconectado durante ese periodo.",
        ),
    },
    "status_incident": {
        "en": (
            "{{ product }}: {{ title }} ({{ incident_status }})",
            "Hello {{ name }},\n\n{{ product }} — {{ title }}: {{ incident_status }}.\n\n{{ message }}",
        ),
        "fr": (
            "{{ product }} : {{ title }} ({{ incident_status }})",
            "Bonjour {{ name }},\n\n{{ product }} — {{ title }} : {{ incident_status }}.\n\n{{ message }}",
        ),
        "es": (
            "{{ product }}: {{ title }} ({{ incident_status }})",
            "Hola {{ name }}:\n\n{{ product }} — {{ title }}: {{ incident_status }}.\n\n{{ message }}",
        ),
    },
    # Automatic answers to mail sent to the support address that opened nothing (sent with
    # Auto-Submitted: auto-replied, at most once a day per address).
    "inbound_no_access": {
        "en": (
            "We could not open a case from your e-mail",
            "Hello,\n\nThank you for writing to support. We could not open a case from your e-mail"
            '{% if subject %} "{{ subject }}"{% endif %}: '
            "{% if reason == 'dsu_required' %}in the United States only a designated support user may contact "
            "support.{% elif reason == 'membership_inactive' %}your account is not active (it is waiting for "
            "validation, or disabled).{% elif reason == 'partner_not_serving_company' %}your establishment "
            "does not serve that company.{% else %}this address does not belong to a user of a company we "
            "support.{% endif %}\n\n"
            "How to get access: {% if managers %}these managers of your company can authorise you: "
            "{{ managers }}.{% else %}ask an administrator of your company (or your implementation partner) to "
            "give you access.{% endif %} Then write to us again, or open the case through the API.\n\n"
            "We answer such e-mails at most once a day per address.",
        ),
        "fr": (
            "Nous n'avons pas pu ouvrir de cas à partir de votre message",
            "Bonjour,\n\nMerci d'avoir écrit au support. Nous n'avons pas pu ouvrir de cas à partir de votre "
            "message{% if subject %} « {{ subject }} »{% endif %} : "
            "{% if reason == 'dsu_required' %}aux États-Unis, seul un utilisateur désigné peut contacter le "
            "support.{% elif reason == 'membership_inactive' %}votre compte n'est pas actif (en attente de "
            "validation, ou désactivé).{% elif reason == 'partner_not_serving_company' %}votre établissement "
            "ne sert pas cette entreprise.{% else %}cette adresse n'appartient à aucun utilisateur d'une "
            "entreprise cliente.{% endif %}\n\n"
            "Pour obtenir l'accès : {% if managers %}ces responsables de votre entreprise peuvent vous "
            "autoriser : {{ managers }}.{% else %}demandez à un administrateur de votre entreprise (ou à votre "
            "partenaire intégrateur) de vous donner accès.{% endif %} Écrivez-nous ensuite de nouveau, ou "
            "ouvrez le cas par l'API.\n\nNous ne répondons à ce type de message qu'une fois par jour et par adresse.",
        ),
        "es": (
            "No hemos podido abrir un caso con su correo",
            "Hola:\n\nGracias por escribir a soporte. No hemos podido abrir un caso con su correo"
            "{% if subject %} «{{ subject }}»{% endif %}: "
            "{% if reason == 'dsu_required' %}en Estados Unidos solo un usuario designado puede contactar con "
            "soporte.{% elif reason == 'membership_inactive' %}su cuenta no está activa (pendiente de "
            "validación, o desactivada).{% elif reason == 'partner_not_serving_company' %}su establecimiento "
            "no da servicio a esa empresa.{% else %}esta dirección no pertenece a ningún usuario de una "
            "empresa cliente.{% endif %}\n\n"
            "Cómo obtener acceso: {% if managers %}estos responsables de su empresa pueden autorizarle: "
            "{{ managers }}.{% else %}pida a un administrador de su empresa (o a su partner de implantación) "
            "que le dé acceso.{% endif %} Después, escríbanos de nuevo o abra el caso mediante la API.\n\n"
            "Respondemos a este tipo de correos como máximo una vez al día por dirección.",
        ),
    },
    "inbound_case_details_needed": {
        "en": (
            "One more detail to open your case",
            'Hello {{ name }},\n\nYour e-mail{% if subject %} "{{ subject }}"{% endif %} did not say which '
            "{% if reason == 'company_unclear' %}client company{% else %}product{% endif %} it is about, so no "
            "case was opened. Write again with a line such as \"{% if reason == 'company_unclear' %}Company{% else %}"
            'Product{% endif %}: {{ example }}" (one of: {{ options }}).',
        ),
        "fr": (
            "Une précision pour ouvrir votre cas",
            "Bonjour {{ name }},\n\nVotre message{% if subject %} « {{ subject }} »{% endif %} ne précise pas "
            "{% if reason == 'company_unclear' %}l'entreprise cliente{% else %}le produit{% endif %} concerné : "
            "aucun cas n'a été ouvert. Écrivez-nous de nouveau avec une ligne telle que « {% if reason == "
            "'company_unclear' %}Société{% else %}Produit{% endif %} : {{ example }} » (parmi : {{ options }}).",
        ),
        "es": (
            "Un dato más para abrir su caso",
            "Hola {{ name }}:\n\nSu correo{% if subject %} «{{ subject }}»{% endif %} no indica "
            "{% if reason == 'company_unclear' %}la empresa cliente{% else %}el producto{% endif %} afectado, "
            "así que no se ha abierto ningún caso. Escríbanos de nuevo con una línea como «{% if reason == "
            "'company_unclear' %}Empresa{% else %}Producto{% endif %}: {{ example }}» (una de: {{ options }}).",
        ),
    },
    # Staff notices: support managers (SLA, escalations to review) and the analysts a case event
    # concerns (cases/notices.py: "agent_*", each also a line of their admin inbox).
    "sla_warning": {
        "en": (
            "{{ metric_label|capfirst }} due {{ due_at|local_datetime }}",
            "{{ case_number }} ({{ priority }}, {{ company }}): the {{ metric_label }} target is due "
            "{{ due_at|local_datetime }}.",
        ),
        "fr": (
            "{{ metric_label|capfirst }} : échéance le {{ due_at|local_datetime }}",
            "{{ case_number }} ({{ priority }}, {{ company }}) : l'objectif « {{ metric_label }} » arrive à "
            "échéance le {{ due_at|local_datetime }}.",
        ),
        "es": (
            "{{ metric_label|capfirst }}: vence el {{ due_at|local_datetime }}",
            "{{ case_number }} ({{ priority }}, {{ company }}): el objetivo «{{ metric_label }}» vence el "
            "{{ due_at|local_datetime }}.",
        ),
    },
    "sla_breached": {
        "en": (
            "{{ metric_label|capfirst }} target missed",
            "{{ case_number }} ({{ priority }}, {{ company }}): the {{ metric_label }} target was due "
            "{{ due_at|local_datetime }}.",
        ),
        "fr": (
            "Objectif « {{ metric_label }} » dépassé",
            "{{ case_number }} ({{ priority }}, {{ company }}) : l'objectif « {{ metric_label }} » était à "
            "échéance le {{ due_at|local_datetime }}.",
        ),
        "es": (
            "Objetivo «{{ metric_label }}» incumplido",
            "{{ case_number }} ({{ priority }}, {{ company }}): el objetivo «{{ metric_label }}» vencía el "
            "{{ due_at|local_datetime }}.",
        ),
    },
    "escalation_review": {
        "en": (
            "Escalation to review",
            "{{ company }} asks to escalate {{ case_number }} ({{ at|local_datetime }}):\n\n{{ message }}",
        ),
        "fr": (
            "Escalade à examiner",
            "{{ company }} demande l'escalade de {{ case_number }} ({{ at|local_datetime }}) :\n\n{{ message }}",
        ),
        "es": (
            "Escalado pendiente de revisión",
            "{{ company }} solicita escalar {{ case_number }} ({{ at|local_datetime }}):\n\n{{ message }}",
        ),
    },
    "agent_customer_reply": {
        "en": (
            "{{ actor }} replied",
            "{{ actor }} ({{ company }}) wrote on {{ case_number }}, {{ at|local_datetime }}:\n\n{{ message }}",
        ),
        "fr": (
            "{{ actor }} a répondu",
            "{{ actor }} ({{ company }}) a écrit sur {{ case_number }} le {{ at|local_datetime }} :\n\n{{ message }}",
        ),
        "es": (
            "{{ actor }} ha respondido",
            "{{ actor }} ({{ company }}) escribió en {{ case_number }} el {{ at|local_datetime }}:\n\n{{ message }}",
        ),
    },
    "agent_customer_attachment": {
        "en": (
            "{{ actor }} added {{ filename }}",
            "{{ actor }} ({{ company }}) added {{ filename }} to {{ case_number }}, {{ at|local_datetime }}.",
        ),
        "fr": (
            "{{ actor }} a ajouté {{ filename }}",
            "{{ actor }} ({{ company }}) a ajouté {{ filename }} à {{ case_number }} le {{ at|local_datetime }}.",
        ),
        "es": (
            "{{ actor }} ha adjuntado {{ filename }}",
            "{{ actor }} ({{ company }}) adjuntó {{ filename }} a {{ case_number }} el {{ at|local_datetime }}.",
        ),
    },
    "agent_resolution_rejected": {
        "en": (
            "{{ actor }} says the resolution does not work",
            "{{ actor }} ({{ company }}) rejected the proposed resolution of {{ case_number }}, "
            "{{ at|local_datetime }}; the case is back with support:\n\n{{ message }}",
        ),
        "fr": (
            "{{ actor }} indique que la résolution ne fonctionne pas",
            "{{ actor }} ({{ company }}) a rejeté la résolution proposée pour {{ case_number }} le "
            "{{ at|local_datetime }} ; le cas revient au support :\n\n{{ message }}",
        ),
        "es": (
            "{{ actor }} indica que la resolución no funciona",
            "{{ actor }} ({{ company }}) rechazó la resolución propuesta para {{ case_number }} el "
            "{{ at|local_datetime }}; el caso vuelve a soporte:\n\n{{ message }}",
        ),
    },
    "agent_reopened": {
        "en": (
            "{{ actor }} reopened the case",
            "{{ actor }} reopened {{ case_number }} ({{ company }}), {{ at|local_datetime }}."
            "{% if message %}\n\n{{ message }}{% endif %}",
        ),
        "fr": (
            "{{ actor }} a rouvert le cas",
            "{{ actor }} a rouvert {{ case_number }} ({{ company }}) le {{ at|local_datetime }}."
            "{% if message %}\n\n{{ message }}{% endif %}",
        ),
        "es": (
            "{{ actor }} ha reabierto el caso",
            "{{ actor }} reabrió {{ case_number }} ({{ company }}) el {{ at|local_datetime }}."
            "{% if message %}\n\n{{ message }}{% endif %}",
        ),
    },
    "agent_escalation_requested": {
        "en": (
            "{{ actor }} asks for an escalation",
            "{{ actor }} ({{ company }}) asked to escalate {{ case_number }}, {{ at|local_datetime }}:\n\n"
            "{{ message }}",
        ),
        "fr": (
            "{{ actor }} demande une escalade",
            "{{ actor }} ({{ company }}) a demandé l'escalade de {{ case_number }} le {{ at|local_datetime }} :"
            "\n\n{{ message }}",
        ),
        "es": (
            "{{ actor }} solicita un escalado",
            "{{ actor }} ({{ company }}) solicitó escalar {{ case_number }} el {{ at|local_datetime }}:\n\n"
            "{{ message }}",
        ),
    },
    "agent_assigned": {
        "en": (
            "Assigned to you",
            "{% if actor %}{{ actor }} assigned{% else %}Routing assigned{% endif %} {{ case_number }} "
            "({{ priority }}, {{ company }}) to you, {{ at|local_datetime }}.",
        ),
        "fr": (
            "Cas qui vous est attribué",
            "{% if actor %}{{ actor }} vous a attribué{% else %}Le routage vous a attribué{% endif %} "
            "{{ case_number }} ({{ priority }}, {{ company }}) le {{ at|local_datetime }}.",
        ),
        "es": (
            "Caso asignado a usted",
            "{% if actor %}{{ actor }} le asignó{% else %}El enrutamiento le asignó{% endif %} {{ case_number }} "
            "({{ priority }}, {{ company }}) el {{ at|local_datetime }}.",
        ),
    },
    "agent_mentioned": {
        "en": (
            "{{ actor }} mentioned you",
            "{{ actor }} mentioned you in an internal note on {{ case_number }} ({{ company }}), "
            "{{ at|local_datetime }}:\n\n{{ message }}",
        ),
        "fr": (
            "{{ actor }} vous a mentionné",
            "{{ actor }} vous a mentionné dans une note interne sur {{ case_number }} ({{ company }}) le "
            "{{ at|local_datetime }} :\n\n{{ message }}",
        ),
        "es": (
            "{{ actor }} le ha mencionado",
            "{{ actor }} le mencionó en una nota interna en {{ case_number }} ({{ company }}) el "
            "{{ at|local_datetime }}:\n\n{{ message }}",
        ),
    },
    # Many notices in one e-mail, each item's headline written in the reader's language beforehand.
    "agent_digest": {
        "en": (
            "{{ count }} update{{ count|pluralize }} on your cases",
            "{% for item in items %}{{ item.case_number }} · {{ item.case_subject }}\n"
            "{{ item.at|local_datetime }}: {{ item.headline }}{% if item.message %}\n{{ item.message }}{% endif %}"
            "\n{{ item.case_url }}\n\n{% endfor %}",
        ),
        "fr": (
            "{{ count }} nouveauté{{ count|pluralize }} sur vos cas",
            "{% for item in items %}{{ item.case_number }} · {{ item.case_subject }}\n"
            "{{ item.at|local_datetime }} : {{ item.headline }}{% if item.message %}\n{{ item.message }}{% endif %}"
            "\n{{ item.case_url }}\n\n{% endfor %}",
        ),
        "es": (
            "{{ count }} novedad{{ count|pluralize:'es' }} en sus casos",
            "{% for item in items %}{{ item.case_number }} · {{ item.case_subject }}\n"
            "{{ item.at|local_datetime }}: {{ item.headline }}{% if item.message %}\n{{ item.message }}{% endif %}"
            "\n{{ item.case_url }}\n\n{% endfor %}",
        ),
    },
}

# The analyst's own SLA notices read as the managers' do.
MESSAGES["agent_sla_warning"] = MESSAGES["sla_warning"]
MESSAGES["agent_sla_breached"] = MESSAGES["sla_breached"]

# The SLA metrics as staff read them.
METRIC_LABELS: dict[str, dict[str, str]] = {
    "first_response": {"en": "first response", "fr": "première réponse", "es": "primera respuesta"},
    "next_update": {"en": "next update", "fr": "prochaine mise à jour", "es": "próxima actualización"},
    "resolution": {"en": "resolution", "fr": "résolution", "es": "resolución"},
}

# Automatic answers: sent with Auto-Submitted: auto-replied (RFC 3834), so that well-behaved
# autoresponders do not answer them.
AUTO_REPLY_KINDS = frozenset({"inbound_no_access", "inbound_case_details_needed"})

# The description template's fields (cases.models.DESCRIPTION_TEMPLATE_FIELDS) as a customer reads
# them: a case opened by e-mail lists the missing ones in its acknowledgement.
TEMPLATE_FIELDS: dict[str, dict[str, str]] = {
    "error_message": {
        "en": "the exact error message",
        "fr": "le message d'erreur exact",
        "es": "el mensaje de error exacto",
    },
    "occurred_at": {
        "en": "the date and time of the issue",
        "fr": "la date et l'heure du problème",
        "es": "la fecha y hora del problema",
    },
    "users_affected": {
        "en": "how many users are affected (who, where)",
        "fr": "le nombre d'utilisateurs concernés (qui, où)",
        "es": "cuántos usuarios están afectados (quién, dónde)",
    },
    "replication_steps": {
        "en": "the steps to reproduce it",
        "fr": "les étapes pour le reproduire",
        "es": "los pasos para reproducirlo",
    },
    "expected_result": {
        "en": "the expected result (expected A, got B)",
        "fr": "le résultat attendu (attendu A, obtenu B)",
        "es": "el resultado esperado (se esperaba A, se obtuvo B)",
    },
    "worked_before": {
        "en": "whether it worked before (when, under what conditions)",
        "fr": "si cela fonctionnait avant (quand, dans quelles conditions)",
        "es": "si funcionaba antes (cuándo, en qué condiciones)",
    },
    "troubleshooting_tried": {
        "en": "the troubleshooting already tried",
        "fr": "le dépannage déjà tenté",
        "es": "las pruebas ya realizadas",
    },
}

DECISIONS = {
    "approved": {"en": "approved", "fr": "approuvée", "es": "aprobada"},
    "rejected": {"en": "rejected", "fr": "rejetée", "es": "rechazada"},
    "accepted": {"en": "accepted", "fr": "acceptée", "es": "aceptada"},
    "declined": {"en": "declined", "fr": "refusée", "es": "rechazada"},
}

REQUEST_KINDS = {
    "new_dsu": {
        "en": "new designated support user",
        "fr": "nouvel utilisateur désigné",
        "es": "nuevo usuario designado",
    },
    "role_change": {"en": "permission change", "fr": "changement de droits", "es": "cambio de permisos"},
    "password_reset": {
        "en": "password reset",
        "fr": "réinitialisation du mot de passe",
        "es": "restablecimiento de contraseña",
    },
}

STAFF_FOOTER = {
    "en": "Casedesk support workspace. Answer in the admin (the link above): replies to this e-mail are not read.",
    "fr": "Espace support Casedesk. Répondez depuis l'admin (lien ci-dessus) : les réponses à ce message ne sont "
    "pas lues.",
    "es": "Espacio de soporte Casedesk. Responda desde el admin (enlace de arriba): las respuestas a este correo "
    "no se leen.",
}

FOOTER = {
    "en": "Casedesk support. Reply to this e-mail to add a comment to the case.",
    "fr": "Support Casedesk. Répondez à ce message pour ajouter un commentaire au cas.",
    "es": "Soporte Casedesk. Responda a este correo para añadir un comentario al caso.",
}

# The satisfaction survey: the two links in the "closed" e-mail, and the page they open. Opening a
# link only shows the page (mail scanners open links); the answer is recorded by its button (POST).
SURVEY_PAGE: dict[str, dict[str, str]] = {
    "en": {
        "title": "How did we do?",
        "case": "Your case {number}: {subject}",
        "good": "Good",
        "bad": "Not good",
        "comment": "Anything to add? (optional)",
        "submit": "Send my answer",
        "choose": "Choose an answer.",
        "thanks": "Thank you: your answer is recorded.",
        "answered": "Your answer: {rating}. You can change it below.",
        "not_found_title": "Survey not found",
        "not_found": "This survey link is not valid.",
    },
    "fr": {
        "title": "Votre avis",
        "case": "Votre cas {number} : {subject}",
        "good": "Satisfait",
        "bad": "Pas satisfait",
        "comment": "Un commentaire ? (facultatif)",
        "submit": "Envoyer ma réponse",
        "choose": "Choisissez une réponse.",
        "thanks": "Merci : votre réponse est enregistrée.",
        "answered": "Votre réponse : {rating}. Vous pouvez la modifier ci-dessous.",
        "not_found_title": "Enquête introuvable",
        "not_found": "Ce lien d'enquête n'est pas valide.",
    },
    "es": {
        "title": "¿Qué tal lo hicimos?",
        "case": "Su caso {number}: {subject}",
        "good": "Bien",
        "bad": "Mal",
        "comment": "¿Algo que añadir? (opcional)",
        "submit": "Enviar mi respuesta",
        "choose": "Elija una respuesta.",
        "thanks": "Gracias: su respuesta ha quedado registrada.",
        "answered": "Su respuesta: {rating}. Puede cambiarla a continuación.",
        "not_found_title": "Encuesta no encontrada",
        "not_found": "Este enlace de encuesta no es válido.",
    },
}
