"""Per-language word lists for the site's search: stop words and the suffixes a query word loses.

The search matches a query word as the *prefix* of a word of a sentence, after both
are folded (lower case, diacritics removed: "Malmo" finds "Malmö"). A light stemmer
for the query is then enough: it strips one inflectional ending ("budgeting" ->
"budget", "kommunerna" -> "kommun") and the prefix match finds every form that
starts with what is left ("budget", "budgets", "budgeted"). So no stemmer has to
exist twice (Python to build, JavaScript to query) and agree: these lists travel
inside the index, and the browser applies them (assets/search.js).

A language not listed here is searched with no stop words and no suffixes
(plain prefix match on folded words), which still finds every form that starts
with the query.
"""
from __future__ import annotations

from dataclasses import dataclass

MIN_STEM_CHARS = 3  # a suffix is stripped only when at least this many characters remain


@dataclass(frozen=True)
class SearchLanguage:
    stop_words: frozenset[str]  # folded words a query ignores (unless it has nothing else)
    suffixes: tuple[str, ...]  # folded endings stripped from a query word, longest first


def _language(stop: str, suffixes: str) -> SearchLanguage:
    return SearchLanguage(frozenset(stop.split()), tuple(sorted(suffixes.split(), key=len, reverse=True)))


LANGUAGES = {  # ISO 639-1 -> its lists; folded as search.js folds (no diacritics)
    "en": _language(
        "a an and are as at be but by do for from had has have he her his i if in into is it its me my no not of "
        "on or our she so that the their them then there these they this to too us was we were what when which "
        "who will with you your",
        "ations ation ings ing edly ed ies es s ly"),
    "sv": _language(
        "och att det som en pa ar av for med till den har de inte om ett han men var jag sig fran vi sa kan man "
        "nar ska eller nu da dar hon mig du hade vad dem oss er",
        "heterna heten heter arnas ernas ornas andet andes arna erna orna ande ende aste het are ast ens ern "
        "ar er or en et na a e s"),
    "da": _language(
        "og i jeg det at en den til er som pa de med han af for ikke der var mig sig men et har om vi min havde "
        "ham hun nu over da fra du ud sin dem os op man",
        "erne ene ets en er et e s"),
    "nb": _language(
        "og i jeg det at en et den til er som pa de med han av ikke der var meg seg men har om vi min hadde "
        "hun na over da ved fra du ut sin dem oss opp man kan",
        "ene ane er en et e a s"),
    "de": _language(
        "der die das und in zu den von mit sich des auf fur ist im dem nicht ein eine als auch es an er so dass "
        "wir sie ich du aber am bei um oder wie was",
        "ungen ung ern em en er es e s n"),
    "fr": _language(
        "le la les de des du un une et en a au aux pour par sur dans que qui ne pas est sont il elle nous vous "
        "ils elles ce cette ces se son sa ses on y",
        "ements ement ations ation euses euse eux es e s x"),
    "es": _language(
        "el la los las de del un una y en a que por para con no es son se su sus al lo como mas pero o",
        "aciones acion mente ientos iento es os as o a s"),
    "nl": _language(
        "de het een en van in is op te dat die voor met zijn niet aan er om ook als bij of door naar wat we ik "
        "je ze",
        "heden heid ingen ing en s e"),
}


def language(code: str) -> SearchLanguage | None:
    """The lists for a BCP 47 code ('sv-SE' -> Swedish; 'no' is read as Bokmål); None for a language without."""
    base = code.split("-")[0].lower()
    return LANGUAGES.get("nb" if base in ("no", "nn") else base)
