# Production image: gunicorn web, Celery worker and Celery beat all run from this image
# (see docker-compose.yml). Configuration comes from the environment at run time.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=settings.prod

WORKDIR /app

# Dependencies first (cached layer): pyproject.toml declares no packages, so this installs only
# the runtime dependencies; the code itself runs from /app.
COPY pyproject.toml ./
RUN pip install .

# Application code. Listed explicitly so that .venv, .git and local data never enter the image;
# add new top-level apps here.
COPY manage.py ./
COPY settings/ ./settings/
COPY common/ ./common/
COPY registry/ ./registry/
COPY transfer/ ./transfer/
COPY clearing/ ./clearing/
COPY refunds/ ./refunds/
COPY whitelist/ ./whitelist/
COPY templates/ ./templates/
COPY static/ ./static/
COPY locale/ ./locale/

# collectstatic imports the prod settings, which need these; the values exist only for this step.
RUN DJANGO_SECRET_KEY=build-only \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build-only.sqlite3 \
    REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --noinput \
    && rm -f /tmp/build-only.sqlite3

RUN useradd --system --create-home --uid 10001 app
USER app

EXPOSE 8000
CMD ["gunicorn", "settings.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
