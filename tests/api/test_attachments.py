"""Attachments: limits checked on content, files outside the database, scoped like their ticket."""

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = b"%PDF-1.7\n" + b"0" * 100


def upload(api, ref, name, content, **form):
    return api.client.post(
        f"/api/v1/tickets/{ref}/attachments",
        {"file": SimpleUploadedFile(name, content), **form},
        **api._h(),
    )


def test_a_customer_attaches_a_pdf_and_downloads_it_back(world, as_user, settings):
    carla = as_user(world.customer)
    ref = carla.post("/tickets", {"subject": "Invoice", "description": "see file"}).json()["reference"]
    response = upload(carla, ref, "../../etc/facture<script>.pdf", PDF)
    assert response.status_code == 201, response.content
    meta = response.json()
    assert meta["content_type"] == "application/pdf" and meta["size"] == len(PDF)
    assert "/" not in meta["filename"] and "<" not in meta["filename"]
    stored = list((settings.MEDIA_ROOT / "attachments").rglob("*.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes() == PDF  # on disk, not in the database
    download = carla.client.get(f"/api/v1/tickets/{ref}/attachments/{meta['id']}", **carla._h())
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_a_file_is_judged_by_its_content_not_its_name(world, as_user):
    carla = as_user(world.customer)
    ref = carla.post("/tickets", {"subject": "x", "description": "y"}).json()["reference"]
    response = upload(
        carla, ref, "invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
    )  # a Windows exe
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "file"


def test_files_over_the_size_limit_are_refused(world, as_user, settings):
    settings.GUICHET_ATTACHMENT_MAX_BYTES = 50
    carla = as_user(world.customer)
    ref = carla.post("/tickets", {"subject": "x", "description": "y"}).json()["reference"]
    response = upload(carla, ref, "big.pdf", PDF)
    assert response.status_code == 422 and "limit is 50 bytes" in response.json()["detail"][0]["message"]


def test_internal_attachments_stay_with_staff_and_foreigners_see_nothing(world, as_user):
    carla, alice, fred = as_user(world.customer), as_user(world.agent), as_user(world.foreigner)
    ref = carla.post("/tickets", {"subject": "x", "description": "y"}).json()["reference"]
    secret = upload(alice, ref, "notes.txt", b"internal findings", internal="true").json()
    assert carla.get(f"/tickets/{ref}/attachments").json() == []
    assert (
        carla.client.get(f"/api/v1/tickets/{ref}/attachments/{secret['id']}", **carla._h()).status_code == 404
    )
    assert [a["filename"] for a in alice.get(f"/tickets/{ref}/attachments").json()] == ["notes.txt"]
    assert fred.get(f"/tickets/{ref}/attachments").status_code == 404
    assert upload(fred, ref, "x.txt", b"hello").status_code == 404
