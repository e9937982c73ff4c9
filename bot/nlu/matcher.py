"""Find the items a phrase names: exact names, parts, 초성, romanised spellings and typos."""

from dataclasses import dataclass

from rapidfuzz.distance import OSA

from bot.nlu import lexicon
from bot.nlu.index import MenuIndex, entries
from bot.nlu.normalize import deletions, is_choseong_only, is_hangul, loose_jamo, skeleton

EXACT, PART, TYPO = "exact", "part", "typo"


@dataclass(frozen=True, slots=True)
class NameMatch:
    """The names a phrase matched and how: exactly, as a part of them, or through a typo."""

    how: str
    names: tuple[str, ...]


def _latin_forms(phrase_key: str) -> list[str]:
    """Return a Latin key with its plural endings taken off or put on."""
    forms = [phrase_key]
    if phrase_key.endswith("ies"):
        forms.append(phrase_key[:-3] + "y")
    if phrase_key.endswith("es"):
        forms.append(phrase_key[:-2])
    if phrase_key.endswith("s"):
        forms.append(phrase_key[:-1])
    else:
        forms.append(phrase_key + "s")
    return forms


def plain_form(part: str, names: tuple[str, ...]) -> str | None:
    """Return the one name that is the plain form of a part ("라떼" -> "카페라떼"), if any."""
    forms = [prefix + part for prefix in lexicon.PLAIN_PREFIXES]
    forms += [part + suffix for suffix in lexicon.PLAIN_SUFFIXES]
    plain = [form for form in forms if form in names]
    return plain[0] if len(plain) == 1 else None


def exact(index: MenuIndex, phrase_key: str) -> NameMatch | None:
    """Match a phrase key against names and aliases, plural forms and 초성."""
    forms = _latin_forms(phrase_key) if phrase_key.isascii() else [phrase_key]
    for form in forms:
        if form in index.names:
            return NameMatch(EXACT, (form,))
    if is_choseong_only(phrase_key):
        found = entries(index.initials, phrase_key) or entries(index.part_initials, phrase_key)
        if found:
            return _merge([_resolve(index, k, EXACT) for k in found])
    return None


def part(index: MenuIndex, phrase_key: str) -> NameMatch | None:
    """Match a phrase key that is a part of names ("치킨", "pizza"), heads first."""
    forms = _latin_forms(phrase_key) if phrase_key.isascii() else [phrase_key]
    for form in forms:
        return _resolve_part(index, form)
    return None


def _resolve_part(index: MenuIndex, word_key: str) -> NameMatch | None:
    heads = entries(index.heads, word_key)
    others = entries(index.parts, word_key)
    if not heads and not others:
        return None
    plain = plain_form(word_key, heads + others)
    if plain is not None:
        return NameMatch(PART, (plain,))
    return NameMatch(PART, heads or others)


def _resolve(index: MenuIndex, word_key: str, how: str) -> NameMatch | None:
    if word_key in index.names:
        return NameMatch(how, (word_key,))
    return _resolve_part(index, word_key)


def sounds(index: MenuIndex, phrase_key: str, exact_only: bool = False) -> NameMatch | None:
    """Match romanised Korean or English by its sound skeleton (tteokbokki = topokki)."""
    if not phrase_key.isascii() or not phrase_key.isalpha():
        return None
    for form in _latin_forms(phrase_key):
        sound = skeleton(form)
        found = entries(index.romans, sound)
        if form == phrase_key:  # a cut of a Hangul name read aloud: "jeyuk" for 제육볶음
            found += entries(index.part_romans, sound)
        if found and len(sound) >= 4:
            korean = [k for k in found if not k.isascii()]  # romanised Korean reads Hangul
            return _merge([_resolve(index, k, EXACT) for k in korean or found])
    sound = skeleton(phrase_key)
    if exact_only or len(sound) < 5:
        return None
    limit = 1 if len(sound) <= 8 else 2
    best: list[str] = []
    best_distance = limit + 1
    candidates = set(index.typo_latin.words(sound))
    for variant in deletions(sound):
        candidates.update(index.typo_latin.words(variant))
    for candidate in candidates:
        distance = OSA.distance(sound, candidate, score_cutoff=limit)
        if distance > limit:
            continue
        if distance < best_distance:
            best, best_distance = [candidate], distance
        elif distance == best_distance:
            best.append(candidate)
    if not best:
        return None
    same_start = [c for c in best if c[:1] == sound[:1]]  # a slip rarely hits the first letter
    keys = [
        k for sound_key in sorted(same_start or best) for k in entries(index.romans, sound_key)
    ]
    named = [k for k in keys if k in index.names]
    keys = named or keys
    return _merge([_resolve(index, k, TYPO) for k in keys])


def typo(index: MenuIndex, phrase_key: str) -> NameMatch | None:
    """Match a Hangul phrase with a slip of one or two jamo ("치긴", "떡뽁이")."""
    if not phrase_key or not all(is_hangul(c) for c in phrase_key):
        return None
    spelled = loose_jamo(phrase_key)
    if len(spelled) < 4:
        return None
    limit = 0 if len(spelled) < 6 else 1 if len(spelled) < 10 else 2
    candidates = set(index.typo_hangul.words(spelled))
    for variant in deletions(spelled):
        candidates.update(index.typo_hangul.words(variant))
    best: list[str] = []
    best_distance = limit + 1
    for candidate in candidates:
        distance = OSA.distance(spelled, candidate, score_cutoff=limit)
        if distance > limit:
            continue
        if distance < best_distance:
            best, best_distance = [candidate], distance
        elif distance == best_distance:
            best.append(candidate)
    if not best:
        return None
    keys = [k for s in sorted(best) for k in entries(index.jamo_keys, s)]
    return _merge([_resolve(index, k, TYPO) for k in keys])


def _merge(matches: list[NameMatch | None]) -> NameMatch | None:
    found = [m for m in matches if m is not None]
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    names = tuple(sorted({n for m in found for n in m.names}))
    return NameMatch(PART if len(names) > 1 else found[0].how, names)
