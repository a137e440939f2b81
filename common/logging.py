"""Keep ID numbers out of the application log: Django logs a refused request with its path, and a
person's URL carries the 社会保障号码 (`/api/v1/persons/110101198808080001/`)."""

import logging
import re

from common.masking import mask_id_number

ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")
LOGGERS = ("django.request", "django.server", "django.security")


class MaskIdNumbers(logging.Filter):
    """Rewrite the record's message with every ID number masked (110101********0001)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if ID_NUMBER.search(message):
            record.msg = ID_NUMBER.sub(lambda m: mask_id_number(m.group()), message)
            record.args = ()
        return True


def install() -> None:
    for name in LOGGERS:
        logging.getLogger(name).addFilter(MaskIdNumbers())
