"""The ASGI entry point for uvicorn/gunicorn: `app.api.main:app`."""

from app.api.app import create_app
from app.logs import configure_logging
from app.schedule.lifespan import scheduler_part
from app.settings import get_settings, report_config_warnings

settings = get_settings()
configure_logging(settings.log_level, settings.log_format)
report_config_warnings(settings)
app = create_app(settings, parts=(scheduler_part,))
