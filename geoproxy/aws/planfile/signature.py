"""Signed saved plans: OpenSSH signatures (`ssh-keygen -Y sign` / `-Y verify`).

The checksum catches accidents; anyone who can edit a plan can recompute it. A signature
catches edits, and it is asymmetric: the job that applies plans holds only the public key,
so it can check a plan but never sign one. geoproxy adds no cryptography of its own and no
Python dependency: it hands the exact sealed bytes (the canonical JSON the checksum covers,
`file.sealed_bytes`) to OpenSSH's `ssh-keygen` (8.2 or later), under the namespace
`geoproxy-plan`, so a signature made for anything else (a git commit, a file) never passes
for a plan.

`geoproxy sign PLANFILE --key KEY` adds the signature; `apply PLANFILE` and `show PLANFILE`
verify it when a verifying key is configured (`--verify-key FILE` or the environment
variable GEOPROXY_PLAN_VERIFY_KEY: OpenSSH public keys, one a line), and then refuse an
unsigned plan or one no listed key signed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from geoproxy.aws.planfile.file import (
    PlanFileError,
    SavedPlan,
    read_document,
    sealed_bytes,
    write_document,
)
from geoproxy.errors import Finding, GeoproxyError, printable

NAMESPACE = "geoproxy-plan"
PRINCIPAL = "geoproxy-plan-signer"
METHOD = "sshsig"
VERIFY_KEY_ENV = "GEOPROXY_PLAN_VERIFY_KEY"
# ssh-keygen signs a few hundred bytes of hash; a plan of 64 MiB is hashed in well under this.
TIMEOUT_S = 60


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise GeoproxyError(
            "signing and verifying saved plans needs OpenSSH's ssh-keygen (8.2 or later), "
            "which is not on PATH",
            hint="install the OpenSSH client (e.g. `apt-get install openssh-client`)",
        )
    return found


def sign_plan(path: Path, key: Path) -> str:
    """Sign the plan at `path` with the private key `key`, in place; returns the signature
    line ssh-keygen printed about it (the key's fingerprint)."""
    document = read_document(path)  # an edited plan (bad checksum) is never signed
    if not key.is_file():
        raise GeoproxyError(f"{key}: no such signing key")
    try:
        done = subprocess.run(
            [_ssh_keygen(), "-Y", "sign", "-f", str(key), "-n", NAMESPACE],
            input=sealed_bytes(document),
            capture_output=True,
            timeout=TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GeoproxyError(f"cannot run ssh-keygen to sign {path}: {error}") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = printable(said[-1] if said else f"exit code {done.returncode}")
        raise GeoproxyError(f"ssh-keygen could not sign {path} with {key}: {reason}")
    document["signature"] = {
        "method": METHOD,
        "namespace": NAMESPACE,
        "signature": done.stdout.decode("ascii"),
    }
    write_document(path, document)
    return printable(done.stderr.decode("utf-8", "replace").strip())


def verify_key_path(option: Path | None) -> Path | None:
    """The configured verifying key: the option, else the environment variable."""
    if option is not None:
        return option
    value = os.environ.get(VERIFY_KEY_ENV, "").strip()
    return Path(value) if value else None


def _allowed_signers(key_file: Path) -> str:
    try:
        text = key_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise GeoproxyError(f"cannot read the plan verifying key {key_file}: {error}") from None
    keys = [line.strip() for line in text.splitlines()]
    keys = [line for line in keys if line and not line.startswith("#")]
    if not keys or any(line.startswith("-----") for line in keys):
        raise GeoproxyError(
            f"{key_file} holds no OpenSSH public key (one a line, e.g. `ssh-ed25519 AAAA…`)",
            hint="give the PUBLIC key (KEY.pub): a private key must never reach the job "
            "that applies plans",
        )
    return "".join(f'{PRINCIPAL} namespaces="{NAMESPACE}" {line}\n' for line in keys)


def signature_findings(saved: SavedPlan, verify_key: Path | None) -> list[Finding]:
    """Why the plan's signature does not stand, when a verifying key is configured."""
    return _findings(saved.path, saved.signature, saved.sealed, verify_key)


def refuse_unsigned(path: Path, verify_key: Path | None) -> None:
    """For a plan applied without the record rules (a switch plan): refused, nothing
    written, unless a listed key signed it (when a verifying key is configured)."""
    if verify_key is None:
        return
    document = read_document(path)
    signature = document.get("signature")
    found = _findings(
        path,
        dict(signature) if isinstance(signature, dict) else None,
        sealed_bytes(document),
        verify_key,
    )
    if found:
        raise PlanFileError(
            f"refusing the saved plan {path}, so nothing was written:\n  " + "\n  ".join(found),
            hint="sign the reviewed plan with `geoproxy sign PLANFILE --key KEY`",
        )


def _findings(
    path: Path, signature: dict[str, Any] | None, sealed: bytes, verify_key: Path | None
) -> list[Finding]:
    if verify_key is None:
        return []
    allowed = _allowed_signers(verify_key)

    def refused(message: str) -> list[Finding]:
        return [Finding(message, app="(plan)", code="plan_signature")]

    if not signature:
        return refused(f"{path} is not signed, and a verifying key is configured ({verify_key})")
    if signature.get("method") != METHOD or signature.get("namespace") != NAMESPACE:
        return refused(f"{path} has a signature of another kind than {METHOD}")
    with tempfile.TemporaryDirectory(prefix="geoproxy-verify-") as directory:
        signers, signed = Path(directory, "allowed_signers"), Path(directory, "plan.sig")
        signers.write_text(allowed, encoding="utf-8")
        signed.write_text(str(signature.get("signature", "")), encoding="ascii", errors="replace")
        command = [_ssh_keygen(), "-Y", "verify", "-f", str(signers), "-I", PRINCIPAL]
        try:
            done = subprocess.run(
                [*command, "-n", NAMESPACE, "-s", str(signed)],
                input=sealed,
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise PlanFileError(f"cannot run ssh-keygen to verify {path}: {error}") from None
    if done.returncode != 0:
        return refused(
            f"{path}: its signature does not verify with the key(s) in {verify_key} "
            "(signed by another key, or edited after it was signed)"
        )
    return []
