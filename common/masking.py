"""Masks for personal data shown in lists, logs and exports meant for other provinces."""


def mask_id_number(id_number: str) -> str:
    """'110101198808080001' → '110101********0001' (region and last four stay readable)."""
    if len(id_number) <= 10:
        return "*" * len(id_number)
    return f"{id_number[:6]}{'*' * (len(id_number) - 10)}{id_number[-4:]}"


def mask_name(name: str) -> str:
    """'严某荣' → '严*荣'; '张三' → '张*': keeps the surname (and a longer name's last char)."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


def mask_account_no(account_no: str) -> str:
    """'6222020200001234567' → '***************4567': only the last four digits readable."""
    return f"{'*' * max(len(account_no) - 4, 0)}{account_no[-4:]}"
