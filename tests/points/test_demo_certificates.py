from django.core.management import call_command

from points.models import Certificate
from points.verification import verify_path


def test_the_demo_issues_certificates_one_of_them_revoked(db, client, capsys):
    call_command("loaddemo")
    certificates = list(Certificate.objects.select_related("village").order_by("pk"))
    assert len(certificates) == 5
    assert [c.resident_name for c in certificates if c.is_revoked] == ["王志强"]
    assert {c.resident_name for c in certificates} >= {"刘建国", "刘秀英", "王志强"}
    assert "Revoked certificate" in client.get(verify_path(certificates[2])).content.decode()
    assert "Genuine certificate, and current" in client.get(verify_path(certificates[0])).content.decode()
    assert "/verify/DDLJ-" in capsys.readouterr().out  # links to try at once
