"""Password policy: what a new password must be, and the one form it is checked and hashed in.

* **Normalised first** (Unicode NFKC): a full-width ``Ａ１`` typed with a Chinese input method is the ``A1`` of a
  half-width keyboard, and a password is checked in the very form that is hashed (:func:`prepare_password`).
* **No control or invisible characters** (Unicode categories Cc, Cf, Cs, Co, Cn: NUL, escapes, zero-width and
  direction marks, lone surrogates, private-use and unassigned code points): they cannot be typed reliably, and
  NUL or invisible padding made a weak password look long.
* **At least 10 characters** after normalisation.
* **Strength by zxcvbn** (Dropbox's estimator; its dictionaries hold the common/breached password lists, names,
  English words, keyboard walks, repeats, sequences and dates) extended with :data:`LOCAL_WORDS` (Taizhou's
  places and this system's vocabulary) and :data:`COMMON_PASSWORDS` (common Chinese choices), and given the
  account's username, display name and organisations as user inputs. Required: score ≥ 3 of 4 **and** an
  estimate of at least 10⁹ guesses. Score 3 starts at 10⁸, which ``hailing2026!!`` (district + year + two
  symbols) just reaches through zxcvbn's penalty for the number of pieces; 10⁹ refuses such a shape while a
  random 10-character password (≈10¹⁰) or two uncommon words and a number pass. Out of reach of online guessing
  (the sign-in throttle allows 5 per 15 minutes per account) and costly offline against Argon2id. Score 4
  (10¹⁰) would refuse too many memorable passphrases.
* **Not the demo pattern** ``Demo-<username>-2026`` (the demo accounts' seeded passwords, public in the README).
* No composition rule (upper/lower/digit/symbol classes): NIST SP 800-63B §5.1.1.2 advises against them, and
  zxcvbn already sees through ``P@ssw0rd1234``.

Existing hashes were made from the password exactly as typed; :func:`candidates` lets verification try the typed
form first and then its NFKC form, so accounts set before normalisation still sign in, and new ones (hashed
normalised) sign in whatever width the input method produces.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from zxcvbn import zxcvbn
from zxcvbn.matching import add_frequency_lists

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
#: zxcvbn's score (0–4) a new password needs (3: at least 10⁸ estimated guesses) ...
MIN_SCORE = 3
#: ... and its estimate of guesses, at least 10⁹ (see the module docstring).
MIN_GUESSES_LOG10 = 9.0
#: zxcvbn refuses longer input (its matching is quadratic); the first 72 characters are judged.
ZXCVBN_MAX_LENGTH = 72

#: Words an attacker of this system tries first: Taizhou's city, districts and towns, the province, the
#: offices, this system's names, pinyin that Chinese users put in passwords. Ranked: earlier is commoner.
LOCAL_WORDS = (
    "taizhou",
    "jiangsu",
    "hailing",
    "gaogang",
    "jiangyan",
    "xinghua",
    "jingjiang",
    "taixing",
    "gaoxin",
    "minzheng",
    "minzhengju",
    "jiuzhu",
    "shehuijiuzhu",
    "demo",
    "admin",
    "zhengfu",
    "renmin",
    "zhongguo",
    "china",
    "beijing",
    "shanghai",
    "nanjing",
    "woaini",
    "aini",
    "mima",
    "yonghu",
    "guanliyuan",
    "goumai",
    "fuwu",
    "shehui",
    "shequ",
    "gongsi",
    "zuzhi",
    "caizheng",
    "tzmz",
    "tzs",
    "mzj",
)

#: Refused whatever zxcvbn thinks (compared case-insensitively), and a dictionary for it: the passwords
#: people here pick first.
COMMON_PASSWORDS = frozenset(
    p.lower()
    for p in (
        "Password123",
        "Password123!",
        "Password@123",
        "P@ssw0rd123",
        "P@ssword123",
        "Passw0rd!23",
        "Admin@123456",
        "Admin123456",
        "Aa123456789",
        "Aa1234567890",
        "Abc@12345678",
        "Abcd@1234567",
        "Qwerty@12345",
        "Qwerty123456",
        "Qwe123456789",
        "1qaz@WSX3edc",
        "1qaz2wsx3edc",
        "1Qaz2wsx3edc",
        "Zaq1@wsx3edc",
        "Zaq12wsx!@#",
        "Welcome@123",
        "Welcome12345",
        "Woaini@1314",
        "Woaini131452",
        "Iloveyou@123",
        "Taizhou@2026",
        "Taizhou@123",
        "Taizhou12345",
        "Jiuzhu@2026",
        "Jiuzhu@12345",
        "Minzheng@123",
        "Changeme@123",
        "Test@1234567",
        "Root@1234567",
        "Huawei@12345",
        "Sangfor@123",
        "1234567890",
        "12345678910",
        "0123456789",
        "1234567890abc",
        "abc1234567890",
        "woaini1314",
        "5201314",
        "1314520",
        "a123456789",
    )
)

add_frequency_lists({"jiuzhu_local": list(LOCAL_WORDS), "jiuzhu_common": sorted(COMMON_PASSWORDS)})

_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
_PARTS = re.compile(r"[\s_.\-@]+")

#: What each kind of zxcvbn match says, in the words the message uses (one reason per kind).
_DICTIONARY_REASONS = {
    "passwords": "含常见或已泄露的密码",
    "jiuzhu_common": "含常见或已泄露的密码",
    "english_wikipedia": "含常见英文单词",
    "us_tv_and_film": "含常见英文单词",
    "surnames": "含常见人名",
    "male_names": "含常见人名",
    "female_names": "含常见人名",
    "user_inputs": "含用户名、姓名或单位名称",
    "jiuzhu_local": "含地名或本系统常用词（如泰州、各区名、民政、救助、演示）",
}
_PATTERN_REASONS = {
    "spatial": "含键盘上相邻的按键（如 qwerty、1qaz）",
    "repeat": "含重复的字符或片段（如 aaa、abcabc）",
    "sequence": "含连续的字母或数字（如 abc、123、6543）",
    "regex": "含年份",
    "date": "含日期或年份",
}


def normalise_password(password: str) -> str:
    """The form a new password is checked and hashed in (Unicode NFKC)."""
    return unicodedata.normalize("NFKC", password)


def candidates(password: str) -> tuple[str, ...]:
    """The forms to verify a typed password in: as typed (hashes made before normalisation), then NFKC."""
    normal = normalise_password(password)
    return (password,) if normal == password else (password, normal)


def user_inputs(username: str, others: Iterable[str] = ()) -> list[str]:
    """Words of the account a password must not lean on: the username, its parts, display name, organisations."""
    words = [username, *_PARTS.split(username)]
    for other in others:
        words.append(other)
        words.extend(_PARTS.split(other))
    return [w for w in dict.fromkeys(w.strip().lower() for w in words) if len(w) >= 2]


_DEMO = re.compile(r"demo[-_. ]*[0-9a-z_.-]+?[-_. ]*(?:19|20)\d\d[!.]*")


def _is_demo_pattern(password: str) -> bool:
    """``Demo-<a username>-<year>`` whatever the case and separators: the published demo passwords' pattern."""
    return _DEMO.fullmatch(password.lower()) is not None


def password_weaknesses(password: str, username: str, context: Iterable[str] = ()) -> list[str]:
    """Why ``password`` (already normalised) is not good enough for ``username``; empty when it is.

    ``context``: more words of the account (display name, organisation names) to refuse leaning on."""
    reasons: list[str] = []
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in password):
        reasons.append("不能包含控制字符或不可见字符（如空字符、零宽字符）")
    if len(password) < MIN_PASSWORD_LENGTH:
        reasons.append(f"长度至少{MIN_PASSWORD_LENGTH}个字符（当前{len(password)}个）")
    name = username.strip().lower()
    if len(name) >= 3 and name in password.lower():
        reasons.append("不能包含用户名")
    if _is_demo_pattern(password):
        reasons.append("不能使用演示账号的密码格式（Demo-用户名-年份）")
    if password.lower() in COMMON_PASSWORDS:
        reasons.append("属于常见密码，容易被猜中")
    if reasons:
        return reasons
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=user_inputs(name, context))
    if result["score"] >= MIN_SCORE and float(result["guesses_log10"]) >= MIN_GUESSES_LOG10:
        return []
    for match in result["sequence"]:
        pattern = match.get("pattern")
        if pattern == "dictionary":
            reason = _DICTIONARY_REASONS.get(match.get("dictionary_name", ""), "含常见词语")
            if match.get("l33t"):
                reasons.append("用符号或数字替换字母（如 @ 代 a、0 代 o）并不能增加强度")
        else:
            reason = _PATTERN_REASONS.get(pattern or "", "")
        if reason:
            reasons.append(reason)
    reasons.append("整体太容易被猜中：请用更长的、由几个不相关的词组成的密码")
    return list(dict.fromkeys(reasons))
