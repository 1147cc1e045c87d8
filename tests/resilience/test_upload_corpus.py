"""The hostile upload corpus over HTTP, through every door that takes an image, on real gunicorn.

Doors: the entry form (`/c/<slug>/enter/`), the API's entry create
(`/api/v1/campaigns/<slug>/submissions/`), the avatar on the profile page (`/accounts/profile/`)
and a brand's campaign cover (`/brand/<brand>/campaigns/new/`). Every file of
`tests.hostile.http_corpus()` goes through every door, in a fixed order, followed by requests
carrying many files at once. gunicorn runs one sync worker with production settings on the test
database, so the memory it reaches is the high-water mark of one worker handling the corpus.

What must hold: a hostile file gets a 4xx whose body states the reason (the form's error or the
API's JSON message) and leaves MEDIA_ROOT exactly as it was; a benign file is stored, as a new
re-encoded JPEG or PNG without any metadata; no answer is a 5xx; the worker's peak RSS stays below
`PEAK_RSS_LIMIT_MIB`.
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import io
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.conf import settings
from django.contrib.auth.hashers import make_password
from PIL import ExifTags, Image

from accounts.models import BrandMembership, User
from accounts.services import AVATAR_MAX_BYTES
from campaigns.models import Campaign
from submissions.models import Submission
from tests import hostile
from tests.factories import PASSWORD, CampaignFactory, MembershipFactory, UserFactory
from tests.resilience.profile import scale

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

BASE_DIR = Path(__file__).resolve().parents[2]
VENV_BIN = BASE_DIR / ".venv" / "bin"
STATIC_CACHE = BASE_DIR / "var" / "resilience" / "static"
PORTS = range(18500, 18600)
LOOPBACK = "127.0.0.1"
# One sync worker decoding at most a 40-megapixel image (120 MB of RGB) at a time, Django and
# Pillow loaded: anything near a gigabyte would mean a bomb got decoded.
PEAK_RSS_LIMIT_MIB = 512
# What a refusal says, in English (the corpus is sent without Accept-Language).
REASONS = (
    "The file is too large",
    "The image is too big",
    "not a JPEG, PNG, WebP or HEIC",
    "Only JPEG, PNG, WebP and HEIC",
    "damaged or incomplete",
    "The file is empty",
    "The submitted file is empty",
    "Send one file at a time",
    "web page code",
    "much more data than its picture needs",
    "An animation may have at most",
)
METADATA_KEYS = ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment")
METADATA_MARKERS = (b"SpyCam", b"Exif\x00\x00", b"<x:xmpmeta", b"ICC_PROFILE", b"<script")


# --- gunicorn on the test database ------------------------------------------------------------


def _free_port() -> int:
    for port in PORTS:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


def _database_url() -> str:
    db = settings.DATABASES["default"]
    user = quote(db.get("USER") or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host, port = db.get("HOST") or LOOPBACK, db.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{quote(db['NAME'], safe='')}"


def _static_root(env: dict[str, str]) -> Path:
    """Collected static files (DEBUG off needs the manifest), made once per change of static/."""
    digest = hashlib.sha256()
    for path in sorted((BASE_DIR / "static").rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    target = STATIC_CACHE / digest.hexdigest()[:16]
    if (target / "staticfiles.json").exists():
        return target
    STATIC_CACHE.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="collect-", dir=STATIC_CACHE))
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env={**env, "STATIC_ROOT": str(scratch)},
        check=True,
        timeout=300,
    )
    try:
        scratch.rename(target)
    except OSError:  # another run collected the same files first
        shutil.rmtree(scratch, ignore_errors=True)
    return target


@dataclass
class Gunicorn:
    url: str
    process: subprocess.Popen
    media_root: Path
    log: Path

    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(pid) for pid in children.read_text().split()]
        assert len(pids) == 1, f"expected one gunicorn worker, found {pids}"
        return pids[0]

    def worker_peak_rss_mib(self) -> float:
        """The worker's high-water resident set (VmHWM), in MiB."""
        status = Path(f"/proc/{self.worker_pid()}/status").read_text()
        kib = int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE).group(1))
        return kib / 1024

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@contextlib.contextmanager
def gunicorn(tmp_path: Path) -> Iterator[Gunicorn]:
    var_dir = tmp_path / "var"
    media_root = tmp_path / "media"
    media_root.mkdir(parents=True)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": LOOPBACK,
        "HTTPS": "false",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": _database_url(),
        "PASSAPAROLA_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(media_root),
        # Thumbnails are a worker's job; this test is about the web process, so tasks vanish.
        "CELERY_BROKER_URL": "memory://",
        "CELERY_RESULT_BACKEND": "",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
    }
    env["STATIC_ROOT"] = str(_static_root(env))
    port = _free_port()
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "config.wsgi",
                "--bind",
                f"{LOOPBACK}:{port}",
                "--workers",
                "1",
                "--worker-class",
                "sync",
                "--timeout",
                "120",
                "--max-requests",
                "0",
            ],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Gunicorn(f"http://{LOOPBACK}:{port}", process, media_root, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{server.log_tail()}"
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{server.url}/healthz", timeout=5).status_code in (200, 503):
                    break
            assert time.monotonic() < deadline, f"gunicorn never answered:\n{server.log_tail()}"
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- The doors ----------------------------------------------------------------------------------


def _signed_in(server: Gunicorn, user: User) -> requests.Session:
    session = requests.Session()
    login = f"{server.url}/accounts/login/"
    session.get(login, timeout=30).raise_for_status()
    response = session.post(
        login,
        data={
            "login": user.email,
            "password": PASSWORD,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, re.findall(r"<li>(.*?)</li>", response.text)
    assert "sessionid" in session.cookies
    return session


@dataclass
class Door:
    """One way in: `send(files)` posts the files with the rest of the form the door needs."""

    name: str
    limit: int
    session: requests.Session
    url: str
    field: str
    fields: Callable[[int], dict[str, str]]
    stored: Callable[[requests.Response], str]  # the stored file's name, after a success
    success: int
    sent: int = 0

    def send(self, files: list[tuple[str, bytes, str]]) -> requests.Response:
        self.sent += 1
        data = self.fields(self.sent)
        if "csrfmiddlewaretoken" in data:
            data["csrfmiddlewaretoken"] = self.session.cookies["csrftoken"]
        parts = [(self.field, (name, body, ctype)) for name, body, ctype in files]
        return self.session.post(
            self.url, data=data, files=parts, allow_redirects=False, timeout=120
        )


def _doors(server: Gunicorn, seeded: dict) -> list[Door]:
    participant, owner, campaign = seeded["participant"], seeded["owner"], seeded["campaign"]
    web = _signed_in(server, participant)
    brand_web = _signed_in(server, owner)
    api = requests.Session()
    api.headers["Authorization"] = f"Token {seeded['token']}"

    def entry_id(response: requests.Response) -> str:
        match = re.search(r"/entries/(\d+)/", response.headers.get("Location", ""))
        assert match, response.headers
        return Submission.objects.get(pk=int(match.group(1))).image.name

    def api_entry(response: requests.Response) -> str:
        return Submission.objects.get(pk=response.json()["id"]).image.name

    def avatar(response: requests.Response) -> str:
        return User.objects.get(pk=participant.pk).avatar.name

    def cover(response: requests.Response) -> str:
        slug = response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        return Campaign.objects.get(slug=slug).cover.name

    def campaign_fields(n: int) -> dict[str, str]:
        return {
            "csrfmiddlewaretoken": "",
            "title": f"Cover test {n}",
            "slug": f"cover-test-{n}",
            "starts_at": "2031-05-01T10:00",
            "ends_at": "2031-05-20T10:00",
            "kinds": "photo",
            "text_max_length": "280",
            "max_entries_per_participant": "3",
            "moderation_mode": "pre",
            "prizes-TOTAL_FORMS": "0",
            "prizes-INITIAL_FORMS": "0",
        }

    image_limit = settings.PASSAPAROLA_IMAGE_MAX_BYTES
    return [
        Door(
            "entry form",
            image_limit,
            web,
            f"{server.url}/c/{campaign.slug}/enter/",
            "image",
            lambda n: {"csrfmiddlewaretoken": "", "kind": "photo", "caption": f"Entry {n}"},
            entry_id,
            302,
        ),
        Door(
            "API entry create",
            image_limit,
            api,
            f"{server.url}/api/v1/campaigns/{campaign.slug}/submissions/",
            "image",
            lambda n: {"kind": "photo", "caption": f"API entry {n}"},
            api_entry,
            201,
        ),
        Door(
            "profile avatar",
            AVATAR_MAX_BYTES,
            web,
            f"{server.url}/accounts/profile/",
            "avatar",
            lambda n: {"csrfmiddlewaretoken": "", "display_name": "Corpus", "language": "en"},
            avatar,
            302,
        ),
        Door(
            "campaign cover",
            image_limit,
            brand_web,
            f"{server.url}/brand/{seeded['brand'].slug}/campaigns/new/",
            "cover",
            campaign_fields,
            cover,
            302,
        ),
    ]


# --- Checks -------------------------------------------------------------------------------------


def _media_files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def _reason(response: requests.Response) -> str | None:
    """The refusal's reason as the door states it, or None."""
    if response.headers.get("Content-Type", "").startswith("application/json"):
        error = response.json().get("error") or {}
        messages = [error.get("message", "")] + [
            m for msgs in (error.get("fields") or {}).values() for m in msgs
        ]
        text = " ".join(messages)
    else:
        text = html.unescape(response.text)
    return next((reason for reason in REASONS if reason in text), None)


def _metadata_left(path: Path) -> list[str]:
    """Every trace of metadata still in a stored image (empty when it is clean)."""
    data = path.read_bytes()
    found = [repr(marker) for marker in METADATA_MARKERS if marker in data]
    with Image.open(io.BytesIO(data)) as img:
        if img.format not in {"JPEG", "PNG"}:
            found.append(f"format {img.format}")
        if img.mode not in {"RGB", "RGBA"}:
            found.append(f"mode {img.mode}")
        if getattr(img, "n_frames", 1) != 1:
            found.append("frames")
        exif = img.getexif()
        if len(exif):
            found.append("EXIF")
        if exif.get_ifd(ExifTags.IFD.GPSInfo):
            found.append("GPS")
        found += [key for key in METADATA_KEYS if key in img.info]
        if getattr(img, "text", None):
            found.append("text chunks")
        img.load()
    return found


@dataclass
class Tally:
    sent: int = 0
    hostile: int = 0
    refused: int = 0
    benign: int = 0
    stored: int = 0
    server_errors: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _send(door: Door, server: Gunicorn, tally: Tally, *, label: str, hostile_upload: bool, files):
    before = _media_files(server.media_root)
    try:
        response = door.send(files)
    except requests.RequestException as exc:
        tally.problems.append(f"{door.name} / {label}: no answer ({exc})")
        return
    tally.sent += 1
    after = _media_files(server.media_root)
    where = f"{door.name} / {label}: {response.status_code}"
    if response.status_code >= 500:
        tally.server_errors.append(where)
        return
    if hostile_upload:
        tally.hostile += 1
        if not 400 <= response.status_code < 500:
            tally.problems.append(f"{where}: hostile file not refused")
        elif _reason(response) is None:
            tally.problems.append(f"{where}: refused without a reason: {response.text[:300]!r}")
        elif after != before:
            tally.problems.append(f"{where}: refused but left {sorted(after ^ before)}")
        else:
            tally.refused += 1
        return
    tally.benign += 1
    if response.status_code != door.success:
        tally.problems.append(f"{where}: benign file not stored: {response.text[:500]!r}")
        return
    name = door.stored(response)
    new = after - before
    if new != {name}:
        tally.problems.append(f"{where}: stored {name!r} but MEDIA_ROOT gained {sorted(new)}")
        return
    left = _metadata_left(server.media_root / name)
    if left:
        tally.problems.append(f"{where}: stored {name} still carries {left}")
        return
    tally.stored += 1


@pytest.fixture
def seeded() -> dict:
    membership = MembershipFactory(role=BrandMembership.Role.OWNER)
    participant = UserFactory()
    # gunicorn knows only the real hashers, not the cheap one tests use.
    User.objects.filter(pk__in=[participant.pk, membership.user_id]).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    campaign = CampaignFactory(max_entries_per_participant=5000)
    from rest_framework.authtoken.models import Token

    return {
        "participant": participant,
        "owner": membership.user,
        "brand": membership.brand,
        "campaign": campaign,
        "token": Token.objects.create(user=participant).key,
    }


def test_upload_corpus_over_http(tmp_path, seeded, resilience_report) -> None:
    corpus = hostile.http_corpus()
    # The short profile sends each file through three of the four doors (a different door left
    # out each time); the long one through all four, three times over.
    rounds = scale(1, 3)
    doors_per_upload = scale(3, 4)
    many = (2, 20, 150)  # files in one request; 150 is past Django's own cap of 100
    tally = Tally()
    with gunicorn(tmp_path) as server:
        doors = _doors(server, seeded)
        for _ in range(rounds):
            for index, upload in enumerate(corpus):
                chosen = [doors[(index + k) % len(doors)] for k in range(doors_per_upload)]
                for door in chosen:
                    _send(
                        door,
                        server,
                        tally,
                        label=upload.id,
                        hostile_upload=upload.hostile,
                        files=[(upload.name, upload.data(door.limit), upload.content_type)],
                    )
            photo = hostile.gps_jpeg()
            for count in many:
                for door in doors:
                    _send(
                        door,
                        server,
                        tally,
                        label=f"{count}-files-in-one-request",
                        hostile_upload=True,
                        files=[(f"photo{i}.jpg", photo, "image/jpeg") for i in range(count)],
                    )
        peak_rss = server.worker_peak_rss_mib()
        alive = server.process.poll() is None
        log = server.log_tail()

    assert alive, log
    assert not tally.server_errors, f"5xx answers: {tally.server_errors}\n{log}"
    assert not tally.problems, "\n".join(tally.problems)
    assert tally.hostile >= 200
    assert tally.refused == tally.hostile
    assert tally.stored == tally.benign > 0
    assert peak_rss < PEAK_RSS_LIMIT_MIB, f"gunicorn worker peaked at {peak_rss:.0f} MiB"
    resilience_report(
        scenario="Hostile upload corpus over HTTP (entry form, API, avatar, campaign cover)",
        load=f"{tally.sent} uploads ({tally.hostile} hostile, {tally.benign} benign)",
        faults="bombs, polyglots, SVG/HTML, truncated, huge metadata, animations, "
        "oversized, many files, hostile names, non-image MIME",
        result=f"{tally.refused} hostile refused with a reason, {tally.stored} benign stored "
        "clean, 0 5xx",
        lost=0,
        files_sent=tally.sent,
        hostile_refused=tally.refused,
        benign_stored=tally.stored,
        server_errors=0,
        peak_rss_mib=round(peak_rss, 1),
    )
