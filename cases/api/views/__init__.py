"""The cases API, a module per resource; ``cases/api/urls.py`` names the views from here."""

from cases.api.views.attachments import AttachmentDownloadApi, CaseAttachmentListCreateApi
from cases.api.views.cases import CaseAssignApi, CaseDetailApi, CaseListCreateApi, CasePriorityApi
from cases.api.views.catalog import (
    ApplicationAreaListApi,
    CaseReasonListApi,
    OutOfScopeReasonListApi,
    ProductListApi,
)
from cases.api.views.comments import CaseCommentDetailApi, CaseCommentListCreateApi
from cases.api.views.escalations import (
    CaseEscalationDetailApi,
    CaseEscalationListCreateApi,
    EscalationAcceptApi,
    EscalationDeclineApi,
)
from cases.api.views.events import CaseEventListApi
from cases.api.views.followers import CaseFollowApi
from cases.api.views.transitions import CaseTransitionApi

__all__ = [
    "ApplicationAreaListApi",
    "AttachmentDownloadApi",
    "CaseAssignApi",
    "CaseAttachmentListCreateApi",
    "CaseCommentDetailApi",
    "CaseCommentListCreateApi",
    "CaseDetailApi",
    "CaseEscalationDetailApi",
    "CaseEscalationListCreateApi",
    "CaseEventListApi",
    "CaseFollowApi",
    "CaseListCreateApi",
    "CasePriorityApi",
    "CaseReasonListApi",
    "CaseTransitionApi",
    "EscalationAcceptApi",
    "EscalationDeclineApi",
    "OutOfScopeReasonListApi",
    "ProductListApi",
]
