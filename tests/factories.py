from datetime import timedelta

import factory
from django.contrib.auth.models import Permission
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.models import (
    AuthorizationRequest,
    Company,
    CompanyEmailDomain,
    Membership,
    Partner,
    PartnerEstablishment,
    PlanTier,
    Product,
    ProductInstance,
    User,
)
from cases.models import (
    ApplicationArea,
    BusinessImpact,
    BusinessImpactScope,
    Case,
    CaseReason,
    OutOfScopeReason,
    Priority,
)
from notifications.models import WebhookEndpoint


class UserFactory(DjangoModelFactory[User]):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("password-123")


class AnalystFactory(UserFactory):
    username = factory.Sequence(lambda n: f"analyst{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@support.casedesk.test")
    is_staff = True


class SupportManagerFactory(AnalystFactory):
    class Meta:
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"supportmanager{n}")

    @factory.post_generation
    def grant_manage_support(obj, create, extracted, **kwargs):
        if create:
            obj.user_permissions.add(Permission.objects.get(codename="manage_support"))


class CompanyFactory(DjangoModelFactory[Company]):
    class Meta:
        model = Company
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Company {n}")
    country = "FR"
    time_zone = "Europe/Paris"
    language = "fr"
    plan_tier = PlanTier.SILVER

    @factory.post_generation
    def domain(obj, create, extracted, **kwargs):
        if create:
            CompanyEmailDomain.objects.create(company=obj, domain=extracted or f"company{obj.pk}.test")


class USCompanyFactory(CompanyFactory):
    country = "US"
    time_zone = "America/Los_Angeles"
    language = "en"
    plan_tier = PlanTier.GOLD


class ProductFactory(DjangoModelFactory[Product]):
    class Meta:
        model = Product
        django_get_or_create = ["code"]

    name = factory.Sequence(lambda n: f"Product {n}")
    code = factory.Sequence(lambda n: f"product-{n}")


class ProductInstanceFactory(DjangoModelFactory[ProductInstance]):
    class Meta:
        model = ProductInstance

    company = factory.SubFactory(CompanyFactory)
    product = factory.SubFactory(ProductFactory)
    environment = ProductInstance.Environment.PRODUCTION


class PartnerFactory(DjangoModelFactory[Partner]):
    class Meta:
        model = Partner

    name = factory.Sequence(lambda n: f"Partner {n}")


class PartnerEstablishmentFactory(DjangoModelFactory[PartnerEstablishment]):
    class Meta:
        model = PartnerEstablishment
        skip_postgeneration_save = True

    partner = factory.SubFactory(PartnerFactory)
    name = factory.Sequence(lambda n: f"Establishment {n}")

    @factory.post_generation
    def clients(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.clients.add(*extracted)


class MembershipFactory(DjangoModelFactory[Membership]):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    company = factory.SubFactory(CompanyFactory)
    role = Membership.Role.MEMBER
    status = Membership.Status.ACTIVE


def member(
    company: Company,
    role: str = Membership.Role.MEMBER,
    status: str = Membership.Status.ACTIVE,
    **user_kwargs,
):
    """A user of ``company`` with an address on its domain."""
    domain = company.email_domains.values_list("domain", flat=True).first() or "example.com"
    user = UserFactory(**user_kwargs)
    if "email" not in user_kwargs:
        user.email = f"{user.username}@{domain}"
        user.save(update_fields=["email"])
    MembershipFactory(user=user, company=company, role=role, status=status)
    return user


def partner_user(establishment: PartnerEstablishment, role: str = Membership.Role.MEMBER) -> User:
    user = UserFactory()
    MembershipFactory(user=user, company=None, establishment=establishment, role=role)
    return user


class AuthorizationRequestFactory(DjangoModelFactory[AuthorizationRequest]):
    class Meta:
        model = AuthorizationRequest

    company = factory.SubFactory(CompanyFactory)
    kind = AuthorizationRequest.Kind.NEW_DSU
    requested_role = "dsu"
    subject_user = factory.LazyAttribute(lambda o: member(o.company))
    requested_by = factory.LazyAttribute(lambda o: o.subject_user)
    created_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: o.created_at + timedelta(days=14))


# --- cases ----------------------------------------------------------------------------------------


class CaseReasonFactory(DjangoModelFactory[CaseReason]):
    class Meta:
        model = CaseReason
        django_get_or_create = ["code"]

    code = "system-issue"
    name = "System issue or defect"


class ApplicationAreaFactory(DjangoModelFactory[ApplicationArea]):
    class Meta:
        model = ApplicationArea
        django_get_or_create = ["code"]

    code = "general-ledger"
    name = "General ledger"


class OutOfScopeReasonFactory(DjangoModelFactory[OutOfScopeReason]):
    class Meta:
        model = OutOfScopeReason
        django_get_or_create = ["code"]

    code = "training"
    name = "Training"
    referral = "See the training catalogue."


class CaseFactory(DjangoModelFactory[Case]):
    class Meta:
        model = Case
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    product_instance = factory.LazyAttribute(lambda o: ProductInstanceFactory(company=o.company))
    opened_by = factory.LazyAttribute(lambda o: member(o.company, role=Membership.Role.DSU))
    subject = factory.Sequence(lambda n: f"Problem {n}")
    problem_summary = "Posting a journal entry fails."
    reason = factory.SubFactory(CaseReasonFactory)
    application_area = factory.SubFactory(ApplicationAreaFactory)
    business_impact_scope = BusinessImpactScope.GROUP
    business_impact = BusinessImpact.MEDIUM
    priority = Priority.P2
    status_changed_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyAttribute(lambda o: o.status_changed_at)
    updated_at = factory.LazyAttribute(lambda o: o.status_changed_at)

    @factory.post_generation
    def numbered(obj, create, extracted, **kwargs):
        if create and obj.number is None:
            obj.number = f"CS-{obj.pk:06d}"
            obj.save(update_fields=["number"])


class WebhookEndpointFactory(DjangoModelFactory[WebhookEndpoint]):
    """An endpoint stored as registered (the URL rules are registration's: tests of sending store
    URLs that registration would refuse)."""

    class Meta:
        model = WebhookEndpoint

    company = factory.SubFactory(CompanyFactory)
    url = "https://hooks.example.com/casedesk"
    event_types = factory.LazyFunction(list)
    created_by = factory.LazyAttribute(lambda o: member(o.company, role=Membership.Role.MANAGER))
    created_at = factory.LazyFunction(timezone.now)
