"""Staff pages: login, the shell (user, office, roles, navigation, banners) and registry pages."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from registry.models import ModuleSwitch
from tests.factories import PASSWORD, AccountFactory, StaffFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_pages_need_login(client, db):
    for url in ["/", "/persons/", "/offices/", "/modules/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith("/login/")


def test_login_page_is_chinese(client, db):
    html = client.get("/login/").content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "经办人员登录" in html and "用户名" in html and "密码" in html


def test_login_logout_round_trip(client, make_staff):
    user = make_staff("clerk")
    bad = client.post("/login/", {"username": user.username, "password": "wrong"})
    assert "用户名或密码错误" in bad.content.decode()
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response.url == "/"
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_shell_shows_user_office_roles_and_navigation(client, make_staff):
    client.force_login(make_staff("clerk", "reviewer", username="hd_clerk"))
    html = client.get("/").content.decode()
    assert "hd_clerk" in html
    assert "海淀区社会保险事业管理中心" in html
    assert "窗口受理" in html and "经办审核" in html
    assert "参保人员查询" in html and "经办机构查询" in html
    assert "模块开关" not in html


def test_navigation_follows_role(client, make_staff, national_office):
    client.force_login(make_staff("finance"))
    html = client.get("/").content.decode()
    assert "参保人员查询" not in html and "经办机构查询" in html
    client.force_login(make_staff("admin", office=national_office))
    assert "模块开关" in client.get("/").content.decode()


def test_user_without_office_is_told(client, db):
    client.force_login(StaffFactory(office=None, roles=["clerk"]).user)
    html = client.get("/").content.decode()
    assert "未分配经办机构" in html
    assert "参保人员查询" not in html


def test_banners_for_suspension_window_and_calendar(client, make_staff):
    ModuleSwitch.objects.create(name="refunds", suspended=True, notice="因系统升级，暂停办理。")
    clerk = make_staff("clerk")
    with time_machine.travel(datetime(2026, 12, 31, 18, 0, tzinfo=SHANGHAI), tick=False):
        client.force_login(clerk)  # sessions expire: log in at the travelled-to time
        html = client.get("/").content.decode()
    assert "重复缴费退费：因系统升级，暂停办理。" in html
    assert "月末结算维护中" in html
    assert "2027年节假日安排尚未录入" in html
    with time_machine.travel(datetime(2026, 6, 15, 10, 0, tzinfo=SHANGHAI), tick=False):
        client.force_login(clerk)
        html = client.get("/").content.decode()
    assert "月末结算维护中" not in html and "节假日安排尚未录入" not in html


def test_person_lookup_page(client, make_staff):
    account = AccountFactory(individual_balance_fen=3_000_050)
    client.force_login(make_staff("clerk"))
    html = client.get("/persons/", {"id_number": account.person.id_number}).content.decode()
    assert account.person.name in html and "南关区" in html and "30,000.50" in html
    bad = client.get("/persons/", {"id_number": "12345"}).content.decode()
    assert "社会保障号码应为18位，当前为5位。" in bad


def test_person_lookup_refused_page_is_chinese(client, make_staff):
    client.force_login(make_staff("finance"))
    response = client.get("/persons/")
    assert response.status_code == 403
    assert "无法办理" in response.content.decode()


def test_office_directory_page(client, make_staff, jilin_office):
    client.force_login(make_staff("clerk"))
    html = client.get("/offices/", {"province": "220000"}).content.decode()
    assert "<td>南关区社会保险事业管理中心" in html
    assert "<td>海淀区社会保险事业管理中心" not in html


def test_module_switch_page(client, make_staff, national_office):
    client.force_login(make_staff("admin", office=national_office))
    response = client.post(
        "/modules/", {"name": "refunds", "suspended": "1", "notice": "系统升级，暂停办理。"}
    )
    assert response.status_code == 302
    assert ModuleSwitch.objects.get(name="refunds").suspended is True
    html = client.get("/modules/").content.decode()
    assert "已暂停" in html and "重复缴费退费已暂停办理。" in html
    client.post("/modules/", {"name": "refunds", "suspended": "0"})
    assert ModuleSwitch.objects.get(name="refunds").suspended is False


def test_module_switch_page_refused_for_provincial_admin(client, make_staff):
    client.force_login(make_staff("admin"))
    assert client.get("/modules/").status_code == 403
    assert (
        client.post("/modules/", {"name": "refunds", "suspended": "1", "notice": "x"}).status_code
        == 403
    )
    assert not ModuleSwitch.objects.exists()
