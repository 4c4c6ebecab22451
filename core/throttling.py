"""Throttles whose rates are read from settings at request time (``settings.THROTTLE_RATES``).

DRF's own throttles freeze their rates at import; reading them per request lets operators and
tests change them without a restart.
"""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class AnonThrottle(AnonRateThrottle):
    def get_rate(self) -> str | None:
        return settings.THROTTLE_RATES.get(str(self.scope))


class UserThrottle(UserRateThrottle):
    def get_rate(self) -> str | None:
        return settings.THROTTLE_RATES.get(str(self.scope))
