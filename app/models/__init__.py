"""Models, one module per aggregate. Importing this package registers them all."""
from app.models.org import Organisation  # noqa: F401
from app.models.user import (Membership, User, VolunteerProfile, VolunteerRegisterCheck,  # noqa: F401
                             VolunteerRegisterEntry)
from app.models.auth import Invitation, LoginAttempt  # noqa: F401
from app.models.operation import Operation  # noqa: F401,E402
from app.models.donation import Crate, Donation, Flag  # noqa: F401,E402
from app.models.api_token import ApiToken  # noqa: F401,E402
from app.models.page import Campaign, ContactRequest, Event, Rsvp, UploadedImage  # noqa: F401
from app.models.document import DocumentCounter, TransportDocument  # noqa: F401
from app.models.push import DonationAlert, Notification, NotificationSetting, PushDelivery, PushSubscription  # noqa: F401,E501
from app.models.rota import (Absence, CalendarToken, PickupSchedule, RotaSettings, Slot, SlotSignup,  # noqa: F401
                             StandingSignup, TraineeConfirmation)
from app.models.mail import (MailAddress, MailDelivery, MailDigest, NotificationChannel,  # noqa: F401
                             PasswordReset, ResetRequest)
from app.models.run import DonationPhoto, RunOrder  # noqa: F401,E402
from app.models.partners import Agreement, AgreementReminder, AgreementTemplate, CharityCapacity  # noqa: F401
from app.models.rollup import (ImpactDay, ImpactMonthCategory, ImpactMonthCharity, ImpactMonthMunicipality,  # noqa: F401
                               ImpactMonthStore, ImpactSource, ImpactVersion)
from app.models.rollup import HealthMinutes, HealthMonth, HealthSource, VolunteerMonth, VolunteerSpan  # noqa: F401,E501
from app.models.rollup import (ImpactMonthVersion, ImpactPeriodCharity, ImpactPeriodMunicipality,  # noqa: F401
                               ImpactPeriodStore)
from app.models.opendata import OpenDataPart  # noqa: F401,E402
from app.models.counts import NetworkCount  # noqa: F401,E402
from app.models import scale  # noqa: F401,E402  (indexes of the national-scale reads)
