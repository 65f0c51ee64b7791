"""Seeded synthetic events for benchmarks, tests and the demo data.

The solver's behaviour depends on the shape of the room, so the generator reproduces what real
partner events look like rather than uniform noise: companies of one to three people, a few
very popular competencies and a long tail (Zipf-like), more ISVs and integrators than
distributors, about 15% of people arriving late or leaving early, and a handful of must-meet
and avoid requests; :func:`generate_wishes` adds attendees' Must, Want and No wishes. Everything comes from one ``random.Random(seed)``, so a seed is a
reproducible event.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from scheduler.domain import Attendee, AttendeeFields, MeetingRequest, Taxonomy, normalise_company
from scheduler.taxonomy import load_taxonomy

K = TypeVar("K")

LATE_OR_EARLY_SHARE = 0.15
MUST_MEET_SHARE = 0.05
AVOID_SHARE = 0.02
COMPANY_SIZE_WEIGHTS = {1: 0.5, 2: 0.32, 3: 0.18}
ZIPF_EXPONENT = 1.0

# Relative frequency of partner types at a vendor's partner conference.
PARTNER_TYPE_WEIGHTS = {
    "ISV": 0.27,
    "Systems Integrator": 0.2,
    "Managed Services Provider": 0.14,
    "Reseller": 0.13,
    "Hosting Provider": 0.1,
    "Consultancy": 0.1,
    "Distributor": 0.06,
}
REGION_WEIGHTS = {"EMEA": 0.36, "NA": 0.3, "APAC": 0.22, "LATAM": 0.12}


@dataclass(frozen=True)
class _Culture:
    given: tuple[str, ...]
    family: tuple[str, ...]
    countries: tuple[str, ...]
    family_first: bool = False  # e.g. Chinese, Japanese, Korean names written in their script
    joiner: str = " "


_CULTURES: dict[str, tuple[tuple[_Culture, float], ...]] = {
    "EMEA": (
        (_Culture(("Anna", "Lukas", "Jürgen", "Sophie", "Maximilian", "Lena", "Björn", "Katrin"),
                  ("Müller", "Schäfer", "Becker", "Hoffmann", "Wagner", "Krüger", "Weiß"),
                  ("Germany", "Austria", "Switzerland")), 0.2),
        (_Culture(("Camille", "Étienne", "Hélène", "François", "Chloé", "Loïc", "Amélie"),
                  ("Dubois", "Lefèvre", "Moreau", "Girard", "Rousseau", "Bérard"),
                  ("France", "Belgium")), 0.14),
        (_Culture(("Oliver", "Amelia", "Harry", "Isla", "George", "Siobhán", "Niamh"),
                  ("Smith", "O'Brien", "Taylor", "Evans", "Walsh", "Hughes"),
                  ("United Kingdom", "Ireland")), 0.16),
        (_Culture(("Agnieszka", "Łukasz", "Zofia", "Paweł", "Małgorzata"),
                  ("Kowalski", "Wiśniewska", "Nowak", "Zieliński", "Wójcik"),
                  ("Poland",)), 0.08),
        (_Culture(("Ελένη", "Γιώργος", "Δημήτρης", "Μαρία", "Νίκος"),
                  ("Παπαδοπούλου", "Κωνσταντίνου", "Γεωργίου", "Νικολάου"),
                  ("Greece", "Cyprus")), 0.06),
        (_Culture(("Алексей", "Мария", "Дмитрий", "Ольга", "Иван"),
                  ("Смирнов", "Иванова", "Кузнецов", "Попова"),
                  ("Serbia", "Kazakhstan", "Bulgaria")), 0.05),
        (_Culture(("محمد", "فاطمة", "أحمد", "ليلى", "عمر"),
                  ("العلي", "الحسن", "منصور", "الخطيب"),
                  ("United Arab Emirates", "Saudi Arabia", "Egypt")), 0.05),
        (_Culture(("Ahmed", "Yasmin", "Omar", "Layla", "Karim", "Nour"),
                  ("Haddad", "Al-Farsi", "Mansour", "El-Amin", "Nasser"),
                  ("United Arab Emirates", "Jordan", "Qatar")), 0.06),
        (_Culture(("Mehmet", "Ayşe", "Emre", "Zeynep", "Çağla"),
                  ("Yılmaz", "Demir", "Şahin", "Öztürk"),
                  ("Türkiye",)), 0.05),
        (_Culture(("Sanna", "Mikko", "Åsa", "Søren", "Ingrid", "Jönne"),
                  ("Lindqvist", "Virtanen", "Jørgensen", "Ångström", "Nieminen"),
                  ("Sweden", "Finland", "Denmark", "Norway")), 0.08),
        (_Culture(("Thabo", "Naledi", "Sipho", "Zanele", "Chidi", "Amara"),
                  ("Dlamini", "Nkosi", "Okafor", "Mensah", "Mokoena"),
                  ("South Africa", "Nigeria", "Kenya")), 0.07),
    ),
    "NA": (
        (_Culture(("James", "Emily", "Michael", "Olivia", "Daniel", "Ava", "Ethan", "Madison", "Tyler"),
                  ("Johnson", "Williams", "Brown", "Miller", "Davis", "Anderson", "Clark"),
                  ("United States",)), 0.6),
        (_Culture(("Jean-Philippe", "Geneviève", "Mathieu", "Émilie", "Rémi"),
                  ("Tremblay", "Gagnon", "Côté", "Bouchard", "Gauthier"),
                  ("Canada",)), 0.15),
        (_Culture(("Priya", "Wei", "Carlos", "Mei", "Arjun", "Sofía"),
                  ("Patel", "Chen", "Rodríguez", "Nguyen", "Kim", "García"),
                  ("United States", "Canada")), 0.25),
    ),
    "LATAM": (
        (_Culture(("José", "María", "Alejandro", "Lucía", "Andrés", "Valentina", "Sebastián"),
                  ("González", "Rodríguez", "Hernández", "Pérez", "Martínez", "Muñoz"),
                  ("Mexico", "Colombia", "Chile", "Argentina", "Peru")), 0.6),
        (_Culture(("João", "Ana", "Gabriel", "Letícia", "Thiago", "Conceição"),
                  ("Silva", "Santos", "Oliveira", "Conceição", "Araújo", "Gonçalves"),
                  ("Brazil",)), 0.4),
    ),
    "APAC": (
        (_Culture(("伟", "芳", "娜", "强", "静"), ("王", "李", "张", "刘", "陈"),
                  ("China", "Singapore"), family_first=True, joiner=""), 0.14),
        (_Culture(("健", "陽子", "翔", "美咲", "大輔"), ("佐藤", "鈴木", "高橋", "田中", "渡辺"),
                  ("Japan",), family_first=True, joiner=" "), 0.12),
        (_Culture(("민준", "서연", "지훈", "하은"), ("김", "이", "박", "최"),
                  ("South Korea",), family_first=True, joiner=""), 0.1),
        (_Culture(("Rahul", "Ananya", "Vikram", "Deepika", "Sanjay", "Kavya"),
                  ("Sharma", "Iyer", "Reddy", "Gupta", "Nair", "Banerjee"),
                  ("India",)), 0.22),
        (_Culture(("Jack", "Charlotte", "Liam", "Mia", "Noah", "Aroha"),
                  ("Wilson", "Thompson", "Ngata", "Kelly", "Harris"),
                  ("Australia", "New Zealand")), 0.2),
        (_Culture(("Minh", "Linh", "Siti", "Budi", "Maria", "Paolo"),
                  ("Nguyễn", "Trần", "Santoso", "Reyes", "Lim", "Tan"),
                  ("Vietnam", "Indonesia", "Philippines", "Malaysia")), 0.22),
    ),
}

_COMPANY_FIRST = (
    "Nordwind", "Blue Harbour", "Cedar", "Quantum Leaf", "Sierra", "Aurora", "Ironbark", "Lumen",
    "Atlas", "Northstar", "Kestrel", "Meridian", "Cobalt", "Sakura", "Andes", "Fjord", "Zenith",
    "Baobab", "Coral", "Helix", "Tundra", "Saffron", "Orbital", "Granite", "Maple", "Pacífico",
    "Løvenskiold", "Škoda Data", "Bäckström", "Élan", "Ōtsuka", "Tiger Lily", "Crescent",
    "Riverside", "Polaris", "Vértice", "Obsidian", "Monsoon", "Kite", "Silverline",
)
_COMPANY_SECOND = (
    "Systems", "Cloud", "Data", "Digital", "Networks", "Labs", "Software", "Solutions", "IT",
    "Consulting", "Technologies", "Partners", "Analytics", "Hosting", "Works", "Logic",
)
_LEGAL_FORMS = {
    "EMEA": ("GmbH", "Ltd", "SAS", "B.V.", "AG", "S.p.A.", "AB", "Sp. z o.o.", "FZ-LLC", ""),
    "NA": ("Inc.", "LLC", "Corp.", "Ltd.", ""),
    "LATAM": ("S.A.", "Ltda.", "S.A. de C.V.", "SpA", ""),
    "APAC": ("Pty Ltd", "Pte. Ltd.", "K.K.", "Co., Ltd.", "Pvt. Ltd.", ""),
}
_TITLES = (
    "Partner Manager", "Alliances Director", "CEO", "CTO", "Head of Channel", "Solutions Architect",
    "Business Development Manager", "Managing Director", "VP Sales", "Practice Lead",
    "Founder", "Chief Revenue Officer", "Cloud Architect", "Head of Partnerships",
)


def generate_event(n: int, *, rounds: int, seed: int, taxonomy: Taxonomy | None = None) -> list[Attendee]:
    """``n`` plausible attendees for an event of ``rounds`` rounds; same arguments, same event."""
    if n < 0:
        raise ValueError("n must be at least 0")
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    tax = taxonomy or load_taxonomy()
    rng = random.Random(seed)
    popular = list(tax.competencies)
    rng.shuffle(popular)
    comp_weights = [1.0 / (rank ** ZIPF_EXPONENT) for rank in range(1, len(popular) + 1)]
    width = max(4, len(str(n)))

    people: list[AttendeeFields] = []
    company_of: list[int] = []
    used_company_names: set[str] = set()
    company_index = 0
    while len(people) < n:
        size = min(_weighted(rng, COMPANY_SIZE_WEIGHTS), n - len(people))
        region = _pick_known(rng, REGION_WEIGHTS, tax.regions)
        partner_type = _pick_known(rng, PARTNER_TYPE_WEIGHTS, tax.partner_types)
        culture = _weighted(rng, dict(_CULTURES.get(region, _CULTURES["EMEA"])))
        company, base = _company_name(rng, region, used_company_names)
        country = rng.choice(culture.countries)
        domain = _slug(base) + ".example"
        core = _sample_weighted(rng, popular, comp_weights, rng.randint(1, 3))
        names_here: set[str] = set()
        for _ in range(size):
            person = _person(rng, len(people) + 1, width, company, region, partner_type, culture,
                             country, domain, core, popular, comp_weights, names_here)
            names_here.add(person["name"])
            people.append(person)
            company_of.append(company_index)
        company_index += 1

    _assign_availability(rng, people, rounds)
    _assign_requests(rng, people, company_of)
    return [Attendee(**p) for p in people]


# --------------------------------------------------------------------------- people


def _person(
    rng: random.Random, number: int, width: int, company: str, region: str, partner_type: str,
    culture: _Culture, country: str, domain: str, core: list[str], popular: list[str], weights: list[float],
    colleague_names: set[str],
) -> AttendeeFields:
    for _ in range(20):  # two colleagues with the same name would confuse everyone on the day
        given, family = rng.choice(culture.given), rng.choice(culture.family)
        name = f"{family}{culture.joiner}{given}" if culture.family_first else f"{given} {family}"
        if name not in colleague_names:
            break
    offers = list(core)
    while len(offers) < 4 and rng.random() < 0.4:
        extra = _sample_weighted(rng, popular, weights, 1, exclude=set(offers))
        offers += extra
    offers = offers[: rng.randint(1, 4)] if len(offers) > 1 else offers
    overlap_allowed = rng.random() < 0.1
    seeks = _sample_weighted(rng, popular, weights, rng.randint(1, 4),
                             exclude=set() if overlap_allowed else set(offers))
    local = _slug(f"{given}.{family}", sep=".") or "attendee"
    return {
        "id": f"P{number:0{width}d}",
        "name": name,
        "company": company,
        "region": region,
        "partner_type": partner_type,
        "offers": tuple(offers),
        "seeks": tuple(seeks),
        "email": f"{local}.{number}@{domain}",
        "title": rng.choice(_TITLES),
        "country": country,
        "available_rounds": None,
        "must_meet": (),
        "avoid": (),
    }


def _company_name(rng: random.Random, region: str, used: set[str]) -> tuple[str, str]:
    """A company name unique in the event, and its base without the legal form (for the domain)."""
    for _ in range(50):
        legal = rng.choice(_LEGAL_FORMS.get(region, ("",)))
        base = f"{rng.choice(_COMPANY_FIRST)} {rng.choice(_COMPANY_SECOND)}"
        name = f"{base} {legal}".strip()
        if name not in used:
            break
    else:  # a very large event has used every combination: number the rest
        base = f"{base} {len(used) + 1}"
        name = base
    used.add(name)
    return name, base


# Letters that Unicode does not decompose into a base letter plus accent.
_TRANSLITERATE = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE",
                                "đ": "d", "Đ": "D", "ı": "i", "œ": "oe"})


def _slug(text: str, sep: str = "-") -> str:
    """ASCII words of ``text`` for e-mail addresses; scripts without Latin letters give ''."""
    plain = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    ascii_text = plain.encode("ascii", "ignore").decode()
    words = "".join(c if c.isalnum() else " " for c in ascii_text.lower()).split()
    return sep.join(words)


# --------------------------------------------------------------------------- availability and requests


def _assign_availability(rng: random.Random, people: list[AttendeeFields], rounds: int) -> None:
    """Give a share of people a contiguous sub-range: late arrivals and early leavers, each
    still present for at least half of the rounds, as organisers see in practice."""
    if rounds < 2 or not people:
        return
    count = round(len(people) * LATE_OR_EARLY_SHARE)
    shortest = max(1, rounds // 2)
    for index in rng.sample(range(len(people)), count):
        length = rng.randint(shortest, rounds - 1)
        if rng.random() < 0.5:
            first = rounds - length + 1  # arrives late, stays to the end
        else:
            first = 1  # leaves early
        people[index]["available_rounds"] = frozenset(range(first, first + length))


def _present(person: AttendeeFields) -> frozenset[int] | None:
    return person["available_rounds"]


def _overlap(a: AttendeeFields, b: AttendeeFields) -> bool:
    ra, rb = _present(a), _present(b)
    return ra is None or rb is None or bool(ra & rb)


def _assign_requests(rng: random.Random, people: list[AttendeeFields], company_of: list[int]) -> None:
    """A few must-meet requests (to someone from another company, present at the same time,
    preferably offering what the requester seeks) and a few avoids that never contradict them."""
    n = len(people)
    if n < 2 or len(set(company_of)) < 2:
        return
    requesters = rng.sample(range(n), min(n, round(n * MUST_MEET_SHARE)))
    pairs: set[frozenset[int]] = set()
    for i in requesters:
        target = _pick_partner(rng, people, company_of, i, pairs, prefer_match=True)
        if target is not None:
            people[i]["must_meet"] = (people[target]["id"],)
            pairs.add(frozenset((i, target)))
    avoiders = [i for i in rng.sample(range(n), n) if not people[i]["must_meet"]][: round(n * AVOID_SHARE)]
    for i in avoiders:
        target = _pick_partner(rng, people, company_of, i, pairs, prefer_match=False)
        if target is not None:
            people[i]["avoid"] = (people[target]["id"],)
            pairs.add(frozenset((i, target)))


def _pick_partner(
    rng: random.Random, people: list[AttendeeFields], company_of: list[int], i: int,
    taken: set[frozenset[int]], *, prefer_match: bool,
) -> int | None:
    me = people[i]
    allowed = [j for j in range(len(people))
               if company_of[j] != company_of[i] and frozenset((i, j)) not in taken and _overlap(me, people[j])]
    if not allowed:
        return None
    if prefer_match:
        wanted = set(me["seeks"])
        matching = [j for j in allowed if wanted & set(people[j]["offers"])]
        allowed = matching or allowed
    return rng.choice(allowed)


# --------------------------------------------------------------------------- sampling helpers


def _weighted(rng: random.Random, weights: Mapping[K, float]) -> K:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def _pick_known(rng: random.Random, weights: dict[str, float], names: tuple[str, ...]) -> str:
    """Use the realistic weights for names the taxonomy has; any other name gets the average."""
    mean = sum(weights.values()) / len(weights)
    return rng.choices(names, weights=[weights.get(name, mean) for name in names])[0]


def _sample_weighted(
    rng: random.Random, items: list[str], weights: list[float], k: int, exclude: set[str] | None = None,
) -> list[str]:
    """``k`` distinct items drawn by weight (fewer when not enough remain)."""
    pool = [(item, w) for item, w in zip(items, weights) if not exclude or item not in exclude]
    chosen: list[str] = []
    for _ in range(min(k, len(pool))):
        total = sum(w for _, w in pool)
        pick = rng.random() * total
        for index, (item, w) in enumerate(pool):
            pick -= w
            if pick <= 0 or index == len(pool) - 1:
                chosen.append(item)
                del pool[index]
                break
    return chosen


# --------------------------------------------------------------------------- requested-only events

REQUESTS_PER_ROUND_AND_PERSON = 0.3   # default meetings: 0.3 n rounds (Bofill et al.'s events: 0.18-0.37)
STAR_SHARE = 0.03                     # very popular participants (keynote companies, big buyers)
STAR_WEIGHT = 3.0
STAR_EXTRA = 2                        # a star may be asked for this many meetings beyond the rounds
POPULARITY_EXPONENT = 0.5
FORBIDDEN_SHARE = 0.15                # people with a block of rounds they cannot attend
SESSION_SHARE = 0.15                  # requests asked for the morning or the afternoon
FIXED_SHARE = 0.03                    # requests agreed for one round in advance


@dataclass(frozen=True)
class RequestsEvent:
    """A generated requested-only event: attendees whose ``must_meet`` are the requests, and the
    requests with their sessions and fixed rounds (what a requests file holds)."""

    attendees: list[Attendee]
    requests: list[MeetingRequest]


def generate_requests_event(n: int, *, rounds: int, seed: int, meetings: int | None = None,
                            taxonomy: Taxonomy | None = None) -> RequestsEvent:
    """A B2B matchmaking event of ``n`` participants and about ``meetings`` requests.

    The shapes real events have: a few very popular participants asked for by many (up to
    ``STAR_EXTRA`` more requests than rounds; anyone else up to one per round, fewer usable when
    they miss some rounds), popularity otherwise falling off Zipf-like, people who cannot
    attend a block of rounds (beside the late arrivals and early leavers of
    :func:`generate_event`), a share of requests for the morning or the afternoon and a few
    fixed in advance. Same arguments, same event.
    """
    base = generate_event(n, rounds=rounds, seed=seed, taxonomy=taxonomy)
    rng = random.Random(f"requests-{seed}")
    fields: list[AttendeeFields] = [_fields(a) for a in base]
    if rounds >= 3:
        for index in rng.sample(range(n), round(n * FORBIDDEN_SHARE)):
            attending = fields[index]["available_rounds"] or frozenset(range(1, rounds + 1))
            length = rng.randint(1, min(3, rounds - 1))
            first = rng.randint(1, rounds - length + 1)
            left = attending - set(range(first, first + length))
            if left:
                fields[index]["available_rounds"] = frozenset(left)
    wanted = round(REQUESTS_PER_ROUND_AND_PERSON * n * rounds) if meetings is None else max(0, meetings)
    order = list(range(n))
    rng.shuffle(order)
    weight = [0.0] * n
    stars = max(1, round(n * STAR_SHARE)) if n else 0
    for rank, index in enumerate(order, start=1):
        weight[index] = (STAR_WEIGHT if rank <= stars else 1.0) / rank ** POPULARITY_EXPONENT
    companies = [normalise_company(f["company"]) for f in fields]
    present = [f["available_rounds"] or frozenset(range(1, rounds + 1)) for f in fields]
    pairs: dict[frozenset[int], tuple[int, int]] = {}
    degree = [0] * n
    is_star = [False] * n
    for index in order[:stars]:
        is_star[index] = True
    tries = 0
    while n >= 2 and len(pairs) < wanted and tries < 50 * max(1, wanted):
        tries += 1
        requester = rng.randrange(n)
        target = rng.choices(range(n), weights=weight)[0]
        key = frozenset((requester, target))
        if (requester == target or key in pairs or companies[requester] == companies[target]
                or not present[requester] & present[target]
                or any(degree[i] >= rounds + (STAR_EXTRA if is_star[i] else 0) for i in key)):
            continue
        pairs[key] = (requester, target)
        degree[requester] += 1
        degree[target] += 1
    requests: list[MeetingRequest] = []
    asked: dict[int, list[str]] = {}
    for requester, target in pairs.values():
        asker_id, target_id = fields[requester]["id"], fields[target]["id"]
        asked.setdefault(requester, []).append(target_id)
        shared = sorted(present[requester] & present[target])
        session: frozenset[int] | None = None
        fixed_round: int | None = None
        draw = rng.random()
        if draw < FIXED_SHARE:
            fixed_round = rng.choice(shared)
        elif draw < FIXED_SHARE + SESSION_SHARE and rounds >= 2:
            middle = (rounds + 1) // 2
            halves = [frozenset(range(1, middle + 1)), frozenset(range(middle + 1, rounds + 1))]
            usable = [h for h in halves if h & set(shared)]
            session = rng.choice(usable)
        low, high = sorted((asker_id, target_id))
        requests.append(MeetingRequest(low, high, session, fixed_round))
    for requester, targets in asked.items():
        fields[requester]["must_meet"] = tuple(targets)
    requests.sort(key=lambda r: (r.a_id, r.b_id))
    return RequestsEvent([Attendee(**f) for f in fields], requests)


def _fields(attendee: Attendee) -> AttendeeFields:
    """A draft of ``attendee`` without requests or avoids (a requested-only event has its own)."""
    return {"id": attendee.id, "name": attendee.name, "company": attendee.company, "region": attendee.region,
            "partner_type": attendee.partner_type, "offers": attendee.offers, "seeks": attendee.seeks,
            "email": attendee.email, "title": attendee.title, "country": attendee.country,
            "available_rounds": attendee.available_rounds, "must_meet": (), "avoid": ()}


# --------------------------------------------------------------------------- wishes

WISH_QUOTAS = (3, 5, 1)          # at most this many Must, Want and No per attendee
SILENT_SHARE = 0.3               # attendees who mark no one
NO_SHARE = 0.25                  # of those who wish, the share who also mark someone No
RECIPROCATE_SHARE = 0.3          # a Must answered with a Must (mutual), when the quota allows
WISH_POPULARITY_EXPONENT = 1.1   # Zipf-like: a few people are wished by many


def generate_wishes(attendees: Sequence[Attendee], *, seed: int, quotas: tuple[int, int, int] = WISH_QUOTAS,
                    silent_share: float = SILENT_SHARE) -> list[Attendee]:
    """``attendees`` with Must, Want and No wishes, as a wish form collects them.

    Wishes lean towards popular people (popularity falls off Zipf-like, favouring who offers
    what the wisher seeks), so a few are wished by many; each person marks at most ``quotas``
    (Must, Want, No); ``silent_share`` of them mark no one; some Musts are answered with a Must
    (mutual). Wishes name someone of another company who attends a round the wisher attends,
    and never contradict the person's must_meet or avoid. Same arguments, same wishes."""
    people = list(attendees)
    n = len(people)
    rng = random.Random(f"wishes-{seed}")
    order = list(range(n))
    rng.shuffle(order)
    popularity = [0.0] * n
    for rank, index in enumerate(order, start=1):
        popularity[index] = 1.0 / rank ** WISH_POPULARITY_EXPONENT
    silent = set(rng.sample(range(n), round(n * silent_share))) if n else set()
    must: list[list[int]] = [[] for _ in range(n)]
    want: list[list[int]] = [[] for _ in range(n)]
    no: list[list[int]] = [[] for _ in range(n)]
    quota_must, quota_want, quota_no = quotas
    for i in range(n):
        if i in silent:
            continue
        musts = rng.randint(0, quota_must)
        chosen = _wish_targets(rng, people, i, popularity, musts + rng.randint(1, quota_want))
        must[i], want[i] = chosen[:musts], chosen[musts:]
    for i in range(n):                       # answers: a Must returned by someone who has room
        for j in list(must[i]):
            if (j not in silent and i not in must[j] and len(must[j]) < quota_must
                    and rng.random() < RECIPROCATE_SHARE):
                if i in want[j]:
                    want[j].remove(i)
                must[j].append(i)
    for i in range(n):
        if i in silent or rng.random() >= NO_SHARE:
            continue
        wished = {*must[i], *want[i]}
        options = [j for j in _allowed_partners(people, i) if j not in wished
                   and people[j].id not in people[i].must_meet]
        no[i] = rng.sample(options, min(quota_no, len(options)))
    return [replace(person, wish_must=tuple(people[j].id for j in must[i]),
                    wish_want=tuple(people[j].id for j in want[i]),
                    wish_no=tuple(people[j].id for j in no[i]))
            for i, person in enumerate(people)]


def _allowed_partners(people: Sequence[Attendee], i: int) -> list[int]:
    """Others one may wish: another company, a round in common, not on one's avoid list."""
    me = people[i]
    return [j for j, other in enumerate(people)
            if j != i and other.company_key != me.company_key and other.id not in me.avoid
            and (me.available_rounds is None or other.available_rounds is None
                 or bool(me.available_rounds & other.available_rounds))]


def _wish_targets(rng: random.Random, people: Sequence[Attendee], i: int, popularity: Sequence[float],
                  count: int) -> list[int]:
    """``count`` distinct people for ``i`` to wish, by popularity, doubled for a competency fit."""
    seeks = set(people[i].seeks)
    options = _allowed_partners(people, i)
    weights = [popularity[j] * (2.0 if seeks & set(people[j].offers) else 1.0) for j in options]
    chosen: list[int] = []
    while options and len(chosen) < count:
        k = rng.choices(range(len(options)), weights=weights)[0]
        chosen.append(options.pop(k))
        weights.pop(k)
    return chosen
