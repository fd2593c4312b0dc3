"""The trail's end, anchored outside the database: a signed checkpoint the database cannot undo.

The hash chain shows a changed or removed entry by the entries after it; it cannot show that the
last entries — or all of them — were removed, nor a database rolled back as a whole. After every
change that commits (and at each backup, and by ``followup audit checkpoint`` from a schedule),
the trail's count, last entry and last hash are written to ``audit-checkpoint.json`` beside the
data, signed with an HMAC of the site's secret key, and, when ``FOLLOWUP_AUDIT_ANCHOR`` names a
command, handed to it on standard input (to send it to another machine, a log service, a
timestamping authority). ``verify`` then checks the trail still reaches that point.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from followup.capture.models import AuditEntry

CHECKPOINT = "audit-checkpoint.json"
log = logging.getLogger("followup.audit")


def _path() -> Path:
    return Path(settings.DATA_DIR) / CHECKPOINT


def _signature(payload: dict[str, object]) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(settings.SECRET_KEY.encode(), text, hashlib.sha256).hexdigest()


def write_checkpoint() -> dict[str, object]:
    """Sign and write where the trail ends now (and hand it to the anchor command, if any)."""
    last = AuditEntry.objects.order_by("-id").values("id", "hash").first()
    payload: dict[str, object] = {
        "entries": AuditEntry.objects.count(),
        "last_id": last["id"] if last else 0,
        "last_hash": last["hash"] if last else "",
        "at": timezone.now().isoformat(timespec="seconds"),
    }
    signed = payload | {"signature": _signature(payload)}
    text = json.dumps(signed, indent=1)
    path = _path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, scratch = tempfile.mkstemp(prefix=".checkpoint-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    Path(scratch).replace(path)
    _anchor(text)
    return signed


def _anchor(text: str) -> None:
    """Hand the checkpoint to the site's anchor command; a failure is logged, never raised."""
    command = os.environ.get("FOLLOWUP_AUDIT_ANCHOR", "")
    if not command:
        return
    try:
        subprocess.run(shlex.split(command), input=text, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        log.error("the audit anchor command failed: %s", error)


def checkpoint_problem() -> tuple[int, str] | None:
    """Where the trail falls short of its checkpoint, and why; None when it reaches it."""
    path = _path()
    if not path.exists():
        return None
    try:
        signed = json.loads(path.read_text(encoding="utf-8"))
        payload = {k: signed[k] for k in ("entries", "last_id", "last_hash", "at")}
        signature = str(signed["signature"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0, f"the checkpoint {path} cannot be read: it was damaged or replaced"
    if not hmac.compare_digest(signature, _signature(payload)):
        return 0, f"the checkpoint {path} is not signed by this site: it was edited or replaced"
    last_id, at = int(payload["last_id"]), payload["at"]
    held = AuditEntry.objects.filter(id=last_id).values_list("hash", flat=True).first()
    if last_id and held != payload["last_hash"]:
        return (
            last_id,
            f"the trail no longer holds entry {last_id}, where it ended at the checkpoint of "
            f"{at} ({payload['entries']} entries): entries were removed or the database was "
            "rolled back",
        )
    count = AuditEntry.objects.filter(id__lte=last_id).count()
    if count < int(str(payload["entries"])):
        return last_id, (
            f"the trail has {count} entries up to entry {last_id}; the checkpoint of {at} "
            f"counted {payload['entries']}"
        )
    return None
