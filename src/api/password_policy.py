"""Which passwords an account may have, after NIST SP 800-63B (section 3.1.1.2, memorized secrets).

Length counts, composition rules do not: at least MIN_LENGTH characters, up to MAX_LENGTH, any Unicode (NFKC
normalised, as 800-63B asks, so the same password typed on two keyboards is the same). Refused are the
passwords an attacker tries first: the common ones of a shipped list (`data/common-passwords.txt.gz`, with its
source in its header), the same with digits or symbols added at the end, the username or the service's name
inside, one character repeated, keyboard or alphabet sequences, a short pattern repeated. Used by user
creation (API and `charterplan users create`) and every password change; see docs/security.md.
"""

from __future__ import annotations

import gzip
import re
import unicodedata
from functools import cache
from importlib import resources
from itertools import pairwise

MIN_LENGTH = 12
MAX_LENGTH = 256
CONTEXT_WORDS = ("charterplan",)  # the service's own name (800-63B: context-specific words)
_TRAILING = re.compile(r"[\d\W_]+$")
_LEADING = re.compile(r"^[\d\W_]+")
_REPEATED_PATTERN = re.compile(r"^(.{1,6}?)\1+$", re.DOTALL)
_ROWS = ("0123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiop", "asdfghjkl", "zxcvbnm", "1qaz2wsx3edc",
         "qazwsxedcrfv", "!@#$%^&*()")


def normalise(password: str) -> str:
    """NFKC, so that visually identical passwords from different input methods hash alike."""
    return unicodedata.normalize("NFKC", password)


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lowercased (read once)."""
    data = (resources.files("api") / "data" / "common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _runs(text: str) -> int:
    """How many runs of equal or consecutive characters (`aaaa`, `1234`, `dcba`) the text is made of."""
    runs, step = 1, None
    for a, b in pairwise(text):
        diff = ord(b) - ord(a)
        if diff == 0 or (abs(diff) == 1 and step in (None, diff)):
            step = diff if diff else step
            continue
        runs, step = runs + 1, None
    return runs


def _on_a_keyboard_row(text: str) -> bool:
    compact = text.replace(" ", "")
    for row in _ROWS:
        for line in (row, row[::-1]):
            if len(compact) >= 6 and compact in line * 2:
                return True
    return False


def password_problems(password: str, username: str = "") -> list[str]:
    """Why `password` may not be used by `username`; empty when it may."""
    text = normalise(password)
    if len(text) < MIN_LENGTH:
        return [f"use at least {MIN_LENGTH} characters (a few unrelated words make a good password)"]
    if len(text) > MAX_LENGTH:
        return [f"use at most {MAX_LENGTH} characters"]
    lower = text.casefold()
    bare = lower.strip()
    problems = []
    if not bare:
        return ["a password of spaces only is not allowed"]
    common = common_passwords()
    core = _LEADING.sub("", _TRAILING.sub("", bare))
    if bare in common or lower.replace(" ", "") in common:
        problems.append("this is one of the most common passwords; choose another")
    elif len(core) >= 4 and core in common:
        problems.append("this is a common password with characters added; choose another")
    name = username.casefold().strip()
    if len(name) >= 3 and (name in lower or name[::-1] in lower):
        problems.append("the password must not contain the username")
    if any(word in lower for word in CONTEXT_WORDS):
        problems.append("the password must not contain the service's name")
    if len(set(bare)) < 4 or _runs(bare) <= 3 or _on_a_keyboard_row(bare):
        problems.append("repeated or sequential characters (aaaa, 1234, qwerty) are too easy to guess")
    elif _REPEATED_PATTERN.match(bare):
        problems.append("a short pattern repeated is too easy to guess")
    return problems
