"""Settings shared by every environment. Environment modules override what differs."""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = False
ALLOWED_HOSTS: list[str] = []

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "django_fsm_log",
    "axes",
    "common",
    "registry",
    "transfer",
    "clearing",
    "refunds",
    "whitelist",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "common.middleware.RejectNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "common.middleware.ApplicationErrorMiddleware",
    # Last, as django-axes asks: turns a lockout flagged during authentication into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "settings.urls"
WSGI_APPLICATION = "settings.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "registry.context_processors.staff_shell",
            ],
            "builtins": ["common.templatetags.money"],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-axes first: it refuses a locked-out username+IP before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Failed-login throttling (django-axes), for the login page and POST /api/v1/auth/token/ alike:
# 5 failures for one username from one IP lock that pair for 15 minutes (counted from the 5th
# failure; tries during the lock do not extend it); a successful login clears the count.
AXES_ENABLED = True
AXES_FAILURE_LIMIT = 5
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # one row per failed login: what monitoring counts
AXES_LOCKOUT_CALLABLE = "settings.base.axes_lockout_response"
AXES_COOLOFF_MESSAGE = (
    "登录失败次数过多，该账号在本机已被锁定 15 分钟，请稍后再试或联系系统管理员。"
)
AXES_PERMALOCK_MESSAGE = AXES_COOLOFF_MESSAGE


def axes_lockout_response(request, original_response=None, credentials=None):
    """What a locked-out login gets: 429 with the Chinese notice, as JSON for the API."""
    from django.http import JsonResponse
    from django.shortcuts import render

    if request.path.startswith("/api/"):
        return JsonResponse({"code": "LOCKED_OUT", "message": AXES_COOLOFF_MESSAGE}, status=429)
    return render(request, "error.html", {"error": {"message": AXES_COOLOFF_MESSAGE}}, status=429)


# Sessions: staff idle for 30 minutes sign in again (every request moves the expiry on), and the
# session ends with the browser. Cookies are HttpOnly; prod adds Secure.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = BASE_DIR / "media"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes a missing credential a 401, not a 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "common.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "养老保险关系转移接续与定期清算 API",
    "DESCRIPTION": "External contract v1: see API.md. Money is integer fen, months YYYY-MM.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "SchemeEnum": "registry.models.Scheme",
        "TransferStatusEnum": "transfer.models.Status",
        "ClearingPeriodStatusEnum": "clearing.models.PeriodStatus",
        "ClearingStatementStatusEnum": "clearing.models.StatementStatus",
        "ClearingInstructionStatusEnum": "clearing.models.InstructionStatus",
        "ClearingProgressStateEnum": "clearing.progress.ProgressState",
        "RefundStatusEnum": "refunds.models.RefundStatus",
        "WhitelistEntryStatusEnum": "whitelist.models.EntryStatus",
        "AccountStatusEnum": "registry.models.AccountStatus",
    },
}

# Celery: eager (in-process) unless an environment module sets a broker.
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "common.beat:Scheduler"  # settings seed it; the admin edits it
CELERY_BEAT_SCHEDULE = {
    "transfer-mark-overdue": {
        "task": "transfer.tasks.mark_overdue",
        "schedule": crontab(hour=0, minute=30),
    },
    # The month's clearing batch, on the 1st at 01:00 Beijing time (an hour after midnight, so
    # legs completed at 23:59 have long committed; the batch also waits for any still open).
    "audit-seal": {  # chain the audit records committed in the last minute (common/audit.py)
        "task": "common.tasks.audit_seal",
        "schedule": crontab(),
    },
    "clearing-monthly-batch": {
        "task": "clearing.tasks.run_previous_month",
        "schedule": crontab(minute=0, hour=1, day_of_month=1),
    },
}

# Month-end maintenance window for registration and contribution writes (local time):
# from START on the last day of a month to END on the first day of the next.
REGISTRY_MAINTENANCE_WINDOW = {"start": "17:00", "end": "09:00"}

# Working days allowed per workflow step: periodic model (configurable), traditional model (15,
# from the 2009 rules).
TRANSFER_STEP_WORKING_DAYS = 10
TRANSFER_TRADITIONAL_STEP_WORKING_DAYS = 15
