"""Languages: one place for what a language code means to the course file, Whisper, tags, video and pages.

The course file writes BCP 47 tags ("en", "sv", "en-GB", "se"), or "auto" for an
episode whose language Whisper should detect. `langcodes` (with its data package)
knows every registered tag, its ISO 639-2 code and its own name, so nothing here
is a hand-kept table except the list of languages Whisper was trained on.
"""
from __future__ import annotations

import functools

import langcodes

AUTO = "auto"  # an episode's language, detected by Whisper and recorded in its transcript
UNDETERMINED = "und"  # ISO 639-2 for a language nobody knows yet

# The languages Whisper transcribes, by its own codes (whisper.tokenizer.LANGUAGES; a test keeps them equal).
WHISPER_LANGUAGES = (
    "en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv", "it", "id", "hi",
    "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no", "th", "ur", "hr", "bg", "lt", "la",
    "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr", "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy",
    "ne", "mn", "bs", "kk", "sq", "sw", "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc", "ka", "be",
    "tg", "sd", "gu", "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl",
    "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su", "yue",
)
_TO_WHISPER = {"jv": "jw", "nb": "no", "iw": "he"}  # registered tag -> the code Whisper uses for it


@functools.lru_cache(maxsize=None)
def _language(tag: str) -> langcodes.Language | None:
    try:
        language = langcodes.Language.get(tag)
    except (ValueError, LookupError):
        return None
    return language if language.is_valid() and language.language else None


def problem(tag: str, *, auto: bool = False) -> str | None:
    """What is wrong with a language tag from the course file, with the fix; None when it is fine."""
    if auto and tag == AUTO:
        return None
    if not isinstance(tag, str) or _language(tag) is None:
        also = ', or "auto" to detect it' if auto else ""
        return f"{tag!r} is not a language tag; write e.g. 'en', 'sv' or 'en-GB'{also}"
    return None


def primary(tag: str) -> str:
    """'en-GB' -> 'en'; 'auto' stays 'auto'."""
    if tag == AUTO:
        return AUTO
    language = _language(tag)
    return language.language if language else tag.split("-")[0].lower()


def whisper_code(tag: str) -> str | None:
    """The code Whisper knows the language by ('sv-FI' -> 'sv', 'jv' -> 'jw'); None when Whisper lacks it."""
    if tag == AUTO:
        return AUTO
    code = primary(tag)
    code = _TO_WHISPER.get(code, code)
    return code if code in WHISPER_LANGUAGES else None


def iso_639_2(tag: str) -> tuple[str, str]:
    """'sv' -> ('swe', 'Svenska'): the ISO 639-2/T code MP4 and ID3 store, and the language's own name."""
    language = _language(tag)
    if language is None:
        raise ValueError(f"language {tag!r} is not a registered language tag; write e.g. 'sv' or 'en-GB'")
    base = langcodes.Language.get(language.language)
    own = base.autonym()
    return base.to_alpha3(), own[:1].upper() + own[1:]


def alpha3(tag: str) -> str:
    """ISO 639-2/T code of a tag, 'und' when it is not a registered language."""
    try:
        return iso_639_2(tag)[0]
    except ValueError:
        return UNDETERMINED


def normalised(tag: str) -> str:
    """The tag as BCP 47 writes it ('en_US' -> 'en-US', 'SV-fi' -> 'sv-FI'); unchanged when it is no tag
    ('auto', or a mistake `problem` names)."""
    if not isinstance(tag, str) or tag == AUTO or _language(tag) is None:
        return tag
    try:
        return langcodes.standardize_tag(tag)
    except (ValueError, LookupError):
        return tag
