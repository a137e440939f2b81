from django.apps import AppConfig


class WhitelistConfig(AppConfig):
    name = "whitelist"
    verbose_name = "退休预校验与白名单"
