"""Crate tokens: 12 Crockford base32 characters (60 random bits), easy to type."""
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
LENGTH = 12
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def new_crate_token():
    """A fresh random token (60 bits from the OS CSPRNG)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise_token(text):
    """What a person typed or a scanner read -> the canonical token, or None.

    Accepts a full crate URL, lower case, spaces and dashes, and the usual
    misreadings (I/L -> 1, O -> 0).
    """
    if not text:
        return None
    text = text.strip()
    if "/c/" in text:
        text = text.rsplit("/c/", 1)[1].split("?")[0].split("#")[0]
    token = "".join(ch for ch in text.upper() if ch not in " -_.").translate(_READ_AS)
    if len(token) != LENGTH or any(ch not in ALPHABET for ch in token):
        return None
    return token


def display_token(token):
    """ABCD-EFGH-JKMN: grouped for reading aloud and typing."""
    return "-".join(token[i:i + 4] for i in range(0, len(token), 4))
