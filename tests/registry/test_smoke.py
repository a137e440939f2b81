from registry.models import Region


def test_regions_loaded(db):
    assert Region.objects.filter(settlement_unit=True).count() == 32
    assert Region.objects.get(code="660000").name == "新疆生产建设兵团"


def test_person_api(api, make_staff):
    from tests.factories import AccountFactory

    account = AccountFactory()
    response = api(make_staff("clerk")).get(f"/api/v1/persons/{account.person.id_number}/")
    assert response.status_code == 200, response.content
    assert response.json()["accounts"][0]["province"] == "220000"
