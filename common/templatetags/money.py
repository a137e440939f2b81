from django import template

from common.money import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen) -> str:
    """Integer fen shown in 元: {{ account.individual_balance_fen|yuan }} → 30,000.00"""
    return "" if fen is None else fen_to_yuan(int(fen))
