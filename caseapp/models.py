"""Every model of the application, imported in one place for migrations and create_all."""
from caseapp.analytics.models import AnalyticsAssistance, AnalyticsPerson  # noqa: F401
from caseapp.assessments.models import Assessment  # noqa: F401
from caseapp.assistance.models import (  # noqa: F401
    ApprovalDecision,
    ApprovalThreshold,
    AssistanceRecord,
    AssistanceType,
)
from caseapp.audit.models import AuditEntry  # noqa: F401
from caseapp.auth.models import LoginSession, LoginThrottle, User  # noqa: F401
from caseapp.cases.models import Case  # noqa: F401
from caseapp.consent.models import ConsentRecord  # noqa: F401
from caseapp.duplicates.models import DuplicateDecision, ReturneeMerge  # noqa: F401
from caseapp.imports.models import ImportBatch, PendingUpload  # noqa: F401
from caseapp.indicators.models import Indicator, IndicatorTarget  # noqa: F401
from caseapp.jobs.models import Job, JobFile  # noqa: F401
from caseapp.language.vocabulary import VocabularyName  # noqa: F401
from caseapp.monitoring.models import MonitoringRule, MonitoringVisit  # noqa: F401
from caseapp.offices.models import FieldOffice  # noqa: F401
from caseapp.plans.models import PlanGoal, PlannedAssistance, ReintegrationPlan  # noqa: F401
from caseapp.projects.models import Project, ProjectBudget  # noqa: F401
from caseapp.questionnaires.models import QuestionnaireVersion  # noqa: F401
from caseapp.ratelimit import RateLimitCounter  # noqa: F401
from caseapp.referrals.models import Partner, Referral  # noqa: F401
from caseapp.returnees.models import Returnee, ReturneeVulnerability  # noqa: F401
from caseapp.review.models import CaseReview  # noqa: F401
from caseapp.rss.models import RssSurvey  # noqa: F401
from caseapp.submissions import FormSubmission  # noqa: F401
