"""A small, fixed demo: two brands, four campaigns, thirty participants and their entries.

Everything here is deterministic. Each picture and each plan is drawn from its own
`random.Random` seeded with `DEMO_SEED` and a stable key (a slug, an email address), never from
shared state, so a partial re-run draws exactly what a full run would have drawn, and the demo
looks the same on every machine. Rows are keyed on email addresses and slugs (entries on
campaign and author): what exists is left untouched, only what is missing is created.
"""

from __future__ import annotations

import io
import math
import random
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageColor, ImageDraw, ImageFilter, ImageFont, ImageOps, TiffImagePlugin

from accounts.models import Brand, BrandMembership, User
from accounts.services import brand_create, brand_membership_set, user_create
from campaigns.models import Campaign
from campaigns.services import campaign_create
from submissions.models import Submission
from submissions.services import submission_create

DEMO_SEED = 1962
DEMO_PASSWORD = "passaparola-demo"  # noqa: S105 - published on purpose: it is the demo's login
ADMIN_EMAIL = "admin@passaparola.local"
ADMIN_PASSWORD = "passaparola-admin"  # noqa: S105 - created only when DEBUG is on

Color = tuple[int, int, int]
Size = tuple[int, int]


# --- Who -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoPerson:
    email: str
    display_name: str
    language: str


@dataclass(frozen=True)
class DemoBrand:
    slug: str
    name: str
    description: str
    website: str
    time_zone: str
    team: tuple[tuple[DemoPerson, str], ...]  # (person, role); the first is the owner

    @property
    def owner(self) -> DemoPerson:
        return self.team[0][0]


def _person(display_name: str, email: str, language: str) -> DemoPerson:
    return DemoPerson(email=email, display_name=display_name, language=language)


BRANDS: tuple[DemoBrand, ...] = (
    DemoBrand(
        slug="torrefazione-aurora",
        name="Torrefazione Aurora",
        description=(
            "Dal 1962 tostiamo a legna, in piccoli lotti, nel cuore di Bologna. Miscele per moka "
            "ed espresso, monorigine tracciati fino alla cooperativa, e una regola sola: il caffè "
            "si beve con calma."
        ),
        website="https://torrefazione-aurora.example.com",
        time_zone="Europe/Rome",
        team=(
            (_person("Francesca Moretti", "francesca.moretti@aurora.example.com", "it"), "owner"),
            (_person("Davide Ferrari", "davide.ferrari@aurora.example.com", "it"), "manager"),
            (_person("Sara Colombo", "sara.colombo@aurora.example.com", "it"), "analyst"),
        ),
    ),
    DemoBrand(
        slug="northwind-outdoor",
        name="Northwind Outdoor",
        description=(
            "Weatherproof shells, packs and tents designed in Edinburgh and tested in the "
            "Highlands. Repaired free for life, because the greenest jacket is the one you "
            "already own."
        ),
        website="https://northwind.example.org",
        time_zone="Europe/London",
        team=(
            (_person("Fiona MacLeod", "fiona.macleod@northwind.example.org", "en"), "owner"),
            (_person("Tom Ashworth", "tom.ashworth@northwind.example.org", "en"), "manager"),
            (_person("Priya Shah", "priya.shah@northwind.example.org", "en"), "analyst"),
        ),
    ),
)

PARTICIPANTS: tuple[DemoPerson, ...] = tuple(
    _person(name, email, language)
    for name, email, language in (
        ("Giulia Rossi", "giulia.rossi@example.com", "it"),
        ("Marco B.", "marco.bianchi@example.com", "it"),
        ("Chiara Esposito", "chiara.esposito@example.com", "it"),
        ("Alessandro Romano", "alessandro.romano@example.com", "it"),
        ("Elena Ricci", "elena.ricci@example.com", "it"),
        ("Luca Marino", "luca.marino@example.com", "it"),
        ("Sofia G.", "sofia.greco@example.com", "it"),
        ("Matteo Bruno", "matteo.bruno@example.com", "it"),
        ("Martina Gallo", "martina.gallo@example.com", "it"),
        ("Lorenzo Conti", "lorenzo.conti@example.com", "it"),
        ("Valentina De Luca", "valentina.deluca@example.com", "it"),
        ("Andrea Mancini", "andrea.mancini@example.com", "it"),
        ("Federica Costa", "federica.costa@example.com", "it"),
        ("Simone Giordano", "simone.giordano@example.com", "it"),
        ("Bea Rizzo", "beatrice.rizzo@example.com", "it"),
        ("Emily Carter", "emily.carter@example.com", "en"),
        ("James Walsh", "james.walsh@example.com", "en"),
        ("Olivia B.", "olivia.bennett@example.com", "en"),
        ("Harry Thompson", "harry.thompson@example.com", "en"),
        ("Chloe Evans", "chloe.evans@example.com", "en"),
        ("Jack Robinson", "jack.robinson@example.com", "en"),
        ("Amelia Hughes", "amelia.hughes@example.com", "en"),
        ("Oliver Wright", "oliver.wright@example.com", "en"),
        ("Isla Campbell", "isla.campbell@example.com", "en"),
        ("Noah Fraser", "noah.fraser@example.com", "en"),
        ("Grace Murphy", "grace.murphy@example.com", "en"),
        ("Ethan C.", "ethan.clarke@example.com", "en"),
        ("Hannah Patel", "hannah.patel@example.com", "en"),
        ("Samuel Reid", "samuel.reid@example.com", "en"),
        ("Lucy Morgan", "lucy.morgan@example.com", "en"),
    )
)


# --- What ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoCampaign:
    slug: str
    brand_slug: str
    title: str
    brief: str
    rules: str
    hashtag: str
    phase: Campaign.Phase  # DRAFT, SCHEDULED or OPEN when first created
    starts_in_days: int  # negative: started that many days ago
    lasts_days: int
    palette: tuple[str, ...]
    art_styles: tuple[str, ...] = ()
    photo_entries: int = 0
    text_entries: int = 0
    pending_entries: int = 0
    captions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    texts: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)


DEMO_PRIZES: dict[str, tuple[tuple[int, str], ...]] = {
    "aurora-rito-della-moka": (
        (1, "A copper moka pot and a year of Aurora espresso"),
        (2, "A tasting morning at the Bologna roastery for two"),
        (3, "Six months of single-origin beans"),
    ),
    "northwind-trail-snapshots": (
        (1, "A four-season tent and a guided weekend in the Cairngorms"),
        (2, "A waterproof shell jacket of your choice"),
    ),
    "northwind-winter-camp-stories": ((1, "A winter sleeping system, bag and mat"),),
    "aurora-latte-art-cup": ((1, "A home espresso machine"),),
}
DEMO_TERMS = {
    "torrefazione-aurora": (
        "Your entry must be your own work and show no one who has not agreed to appear in it. "
        "Torrefazione Aurora may show your entry, with your display name, on its website and "
        "social channels for the duration of the campaign and twelve months after it."
    ),
    "northwind-outdoor": (
        "Entries must be your own photos or stories. By entering you allow Northwind Outdoor "
        "to show your entry, credited with your display name, on its channels until the end of "
        "next season. Winners are chosen by the community's votes as described in the rules."
    ),
}
DEMO_VIDEO_CAMPAIGNS = frozenset({"northwind-trail-snapshots"})
DEMO_POST_MODERATED = frozenset({"northwind-trail-snapshots"})

COFFEE_PALETTES = (
    ("#3b1f14", "#7a4a2a", "#c98b4f", "#f2d7b0", "#e8613c"),
    ("#1d2b36", "#c4553b", "#f0b35c", "#f7ecd9", "#5e8c7a"),
    ("#2e1a12", "#a0522d", "#deb887", "#fff3e0", "#b5413a"),
    ("#402218", "#865439", "#c68b59", "#f4e1c1", "#2f6f73"),
    ("#1b1b2f", "#e43f5a", "#f6c667", "#fbe8d3", "#8a5a44"),
)
TRAIL_PALETTES = (
    ("#0b3c49", "#2a7f62", "#8fc0a9", "#f4e9cd", "#f08a4b"),
    ("#16213e", "#0f4c75", "#3282b8", "#bbe1fa", "#f9a26c"),
    ("#283618", "#606c38", "#dda15e", "#fefae0", "#bc6c25"),
    ("#2b2d42", "#8d99ae", "#edf2f4", "#ef233c", "#5c7c8a"),
    ("#1a3c40", "#417d7a", "#edb458", "#f6e7cb", "#c15f3c"),
)

CAMPAIGNS: tuple[DemoCampaign, ...] = (
    DemoCampaign(
        slug="aurora-rito-della-moka",
        brand_slug="torrefazione-aurora",
        title="Il rito della moka",
        hashtag="#RitoDellaMoka",
        brief=(
            "Ogni caffè ha il suo momento: la moka che borbotta la domenica mattina, l'espresso "
            "al bancone prima del treno, la tazzina condivisa sul balcone. Mostraci il tuo rito "
            "con una foto, oppure raccontacelo in poche righe.\n\n"
            "Le partecipazioni più amate dalla community vincono una fornitura di sei mesi del "
            "nostro Blend Aurora, tostato a legna a Bologna."
        ),
        rules=(
            "1. Partecipazione gratuita, riservata ai maggiorenni.\n"
            "2. Una partecipazione a persona: una tua foto, oppure un racconto di massimo 1.000 "
            "caratteri.\n"
            "3. Niente loghi di altri marchi, niente volti di minori, niente contenuti offensivi: "
            "ogni partecipazione è moderata prima di essere pubblicata.\n"
            "4. Vincono le tre partecipazioni con il punteggio più alto alla chiusura; a parità "
            "di punteggio vince chi lo ha raggiunto per primo.\n"
            "5. Premi: al primo posto sei mesi di Blend Aurora (1 kg al mese), al secondo una "
            "moka da sei tazze e 1 kg di caffè, al terzo un kit degustazione."
        ),
        phase=Campaign.Phase.OPEN,
        starts_in_days=-12,
        lasts_days=30,
        palette=COFFEE_PALETTES[0],
        art_styles=("rings", "bokeh", "bauhaus", "waves", "rings", "bokeh"),
        photo_entries=13,
        text_entries=5,
        pending_entries=3,
        captions={
            "it": (
                "La moka della domenica, sul fornello della nonna.",
                "Primo espresso della giornata, ore 6:40.",
                "Caffè in terrazza, con vista sui tetti di Bologna.",
                "Il borbottio della moka è la mia sveglia.",
                "Pausa in ufficio: due minuti solo per me.",
                "Colazione lenta: cornetto, caffè e il giornale.",
                "Dopo il pranzo della domenica, in dodici a tavola.",
                "Tazzina sbeccata, caffè perfetto.",
                "Il caffè del rifugio sa sempre di più.",
                "Moka da tre, ma siamo in quattro.",
                "Macinato al momento, come insegnava papà.",
            ),
            "en": (
                "Sunday moka pot, before anyone else is awake.",
                "Espresso at the counter, Italian style, in a London station.",
                "Cold morning, warm cup.",
                "My grandmother's cups, my Aurora beans.",
                "The 4 pm reset.",
                "First brew in the new flat.",
                "Balcony, sunrise, moka. That's the whole plan.",
                "Coffee and a crossword, every single Saturday.",
                "Learning the moka the proper way: low flame, lid open.",
                "Two cups, one slow morning.",
                "The hiss that means the day can start.",
            ),
        },
        texts={
            "it": (
                (
                    "La moka di papà",
                    "Ogni mattina mio padre preparava la moka prima di svegliarci: il profumo "
                    "arrivava in camera prima di lui. Adesso vivo da sola a Torino e la prima "
                    "cosa che faccio, ancora prima di guardare il telefono, è svitare la "
                    "caffettiera. È il mio modo di dire buongiorno a casa.",
                ),
                (
                    "Il caffè del turno di notte",
                    "Faccio l'infermiere e il mio rito è alle tre di notte, in reparto, con una "
                    "moka elettrica che ha visto tempi migliori. Dieci minuti in cui il corridoio "
                    "tace e ci raccontiamo com'è andata. Quel caffè tiene insieme il turno.",
                ),
                (
                    "Domenica dai nonni",
                    "La nonna non ha mai voluto la macchinetta a capsule. 'Il caffè deve salire', "
                    "dice, e resta lì davanti al fornello ad aspettarlo. Noi nipoti facciamo a "
                    "gara per portarle la tazzina più bella della credenza.",
                ),
                (
                    "Caffè in stazione",
                    "Faccio la pendolare da undici anni, Modena-Bologna. Il barista del binario 1 "
                    "mi vede arrivare e il caffè è già sul bancone, ristretto e in tazza calda. "
                    "Trenta secondi, un sorriso, e la giornata può cominciare.",
                ),
                (
                    "Il primo caffè da sposati",
                    "Il giorno dopo il matrimonio non avevamo ancora una moka: ce l'ha prestata "
                    "il vicino, con un biglietto di auguri attaccato al manico. Tre anni dopo "
                    "è ancora da noi, e il vicino ha smesso di chiederla indietro.",
                ),
            ),
            "en": (
                (
                    "The stovetop in the bothy",
                    "We carried a three-cup moka up to a bothy in the Cairngorms. Wet wood, wind "
                    "through the door, and then that gurgle. Nobody said anything for a minute. "
                    "Best coffee of my life, and I still can't tell you if it was any good.",
                ),
                (
                    "Learning from Nonna",
                    "My partner's grandmother taught me the moka on my first visit to Puglia: "
                    "never tamp, never boil the water dry, take it off the heat as soon as it "
                    "starts to sputter. I failed twice. She drank both cups anyway.",
                ),
                (
                    "Quiet before the school run",
                    "Six fifteen, the house is still asleep, and I get exactly one cup in the "
                    "garden before the chaos. Rain or shine. It's the only meeting in my diary "
                    "that never gets moved.",
                ),
                (
                    "The office moka",
                    "Our office banned the capsule machine after a vote (eleven to two). Now "
                    "there is a rota for the moka, a tin of Aurora beans and a rule that whoever "
                    "makes the last cup makes the next one. Meetings have never been shorter.",
                ),
                (
                    "Espresso for two strangers",
                    "Missed train in Bologna, the café by the station was closing, and the barista "
                    "made one last espresso for me and another stranded traveller. We talked "
                    "about coffee for an hour. We still send each other a photo of our morning "
                    "cup.",
                ),
            ),
        },
    ),
    DemoCampaign(
        slug="aurora-latte-art-cup",
        brand_slug="torrefazione-aurora",
        title="Latte Art Cup",
        hashtag="#AuroraLatteArt",
        brief=(
            "Hearts, tulips, rosettas, swans: pour your best latte art on an Aurora espresso and "
            "share a photo of the cup from above. Baristas and home brewers are equally welcome. "
            "A jury of our roasters picks ten finalists; the community picks the winner."
        ),
        rules=(
            "1. Open to anyone over 18; one entry per person.\n"
            "2. The photo must show a cup you poured yourself, seen from above, without filters "
            "that change the pattern.\n"
            "3. Entries are moderated before they appear in the gallery.\n"
            "4. Prizes: a day at our roastery in Bologna for the winner, a milk jug and 1 kg of "
            "coffee for the other finalists."
        ),
        phase=Campaign.Phase.DRAFT,
        starts_in_days=30,
        lasts_days=28,
        palette=COFFEE_PALETTES[3],
    ),
    DemoCampaign(
        slug="northwind-trail-snapshots",
        brand_slug="northwind-outdoor",
        title="Trail Snapshots",
        hashtag="#NorthwindTrails",
        brief=(
            "Where did your boots take you this season? Share one photo from the trail (a "
            "summit, a misty loch, a tent pitched at dusk) or tell us about the walk in a few "
            "lines.\n\n"
            "Every approved entry plants a tree with our reforestation partners, and the three "
            "highest scorers win a Northwind Stormline kit: shell, pack and a two-person tent."
        ),
        rules=(
            "1. Free to enter, for anyone aged 18 or over.\n"
            "2. One entry per person: a photo you took yourself, or a story of up to 1,000 "
            "characters.\n"
            "3. Leave no trace: no photos of off-limits areas, wildlife disturbed for a shot, "
            "or fires where they are not allowed. Entries are moderated before publication.\n"
            "4. The three highest scores when the campaign closes win; on a tie, whoever "
            "reached the score first ranks higher.\n"
            "5. Winners are contacted by email within seven days of the close."
        ),
        phase=Campaign.Phase.OPEN,
        starts_in_days=-5,
        lasts_days=35,
        palette=TRAIL_PALETTES[0],
        art_styles=("mountains", "mosaic", "waves", "mountains", "bokeh", "rings"),
        photo_entries=12,
        text_entries=4,
        pending_entries=3,
        captions={
            "en": (
                "Ridge line above Glencoe, twenty minutes before the rain.",
                "Wild camp by Loch Etive, 5 am light.",
                "Fog rolling off Ben Lomond.",
                "Sunrise from the tent door.",
                "The last stile before the pub.",
                "Snow on the Cuillin in May. Of course.",
                "West Highland Way, day three, feet still speaking to me.",
                "Found the only dry rock on the whole hill.",
                "Golden hour on the Pentlands, ten minutes from the city.",
                "Stream crossing number eleven. Lost count after that.",
                "The view that made the bog worth it.",
            ),
            "it": (
                "Rifugio raggiunto, tramonto sulle Pale di San Martino.",
                "Alta Via 1, quarto giorno: ginocchia stanche, cuore felice.",
                "Nebbia in Val d'Orcia, scarponi bagnati, sorriso enorme.",
                "Tenda montata giusto prima del temporale.",
                "Lago di Sorapis alle sei del mattino, tutto per noi.",
                "Cresta del Monte Rosa vista dal bivacco.",
                "Il sentiero dei Fiori, ancora neve ai bordi.",
                "Colazione con vista sul Sassolungo.",
                "Ultimi metri prima della vetta, il vento urlava.",
                "Faggeta delle Foreste Casentinesi, luce d'autunno.",
                "Il bivacco più bello delle Alpi? Secondo me sì.",
            ),
        },
        texts={
            "en": (
                (
                    "The bothy with the broken door",
                    "Three of us, one bothy, a door that would not shut. We wedged it with a "
                    "rucksack and told ghost stories until the wind dropped. In the morning the "
                    "whole glen was white and silent. I have never slept worse or been happier.",
                ),
                (
                    "My dad's first Munro",
                    "Dad turned seventy and decided he wanted a Munro. We picked Ben Vorlich, "
                    "took it slow, and stopped for every view. At the cairn he cried a little and "
                    "blamed the wind. Next year: number two.",
                ),
                (
                    "Sunrise on Schiehallion",
                    "Alarm at 3 am, head torches up the path, and the summit all to ourselves as "
                    "the sky went from navy to pink. We had packed a flask and two squashed "
                    "pastries. Sitting there in every layer we owned, it felt like a feast.",
                ),
                (
                    "Lost, then found",
                    "Cloud came down on the plateau and the path vanished. Compass out, pacing "
                    "counted aloud, both of us pretending to be calm. When the cairn loomed out "
                    "of the mist exactly where it should be, we cheered like we had won the cup.",
                ),
            ),
            "it": (
                (
                    "La prima notte in tenda",
                    "Avevo paura del buio e del freddo, e in effetti ho dormito poco. Ma alle "
                    "cinque ho aperto la zip e c'era un camoscio a venti metri che mi guardava. "
                    "Siamo rimasti fermi tutti e due. Adesso in tenda ci torno ogni mese.",
                ),
                (
                    "Il sentiero di mio nonno",
                    "Mio nonno faceva il pastore in Abruzzo e saliva ogni estate verso gli "
                    "stazzi. Quest'anno ho rifatto il suo sentiero con la sua vecchia borraccia. "
                    "Era più ripido di come lo raccontava, e molto più bello.",
                ),
                (
                    "Il rifugio chiuso",
                    "Arrivati al rifugio dopo sette ore di salita, lo abbiamo trovato chiuso per "
                    "fine stagione. Cena con quello che restava negli zaini, seduti sulla panca "
                    "fuori, sotto più stelle di quante ne avessi mai viste.",
                ),
                (
                    "Pioggia in Val Grande",
                    "Doveva essere una giornata di sole. Abbiamo preso acqua per sei ore, "
                    "guadato due torrenti e mangiato panini fradici sotto un larice. Nessuno ha "
                    "protestato. Certe giornate storte diventano le preferite.",
                ),
            ),
        },
    ),
    DemoCampaign(
        slug="northwind-winter-camp-stories",
        brand_slug="northwind-outdoor",
        title="Winter Camp Stories",
        hashtag="#NorthwindWinterCamp",
        brief=(
            "Snow on the flysheet, frozen laces, the best cup of tea of your life. Tell us about "
            "your coldest, happiest night out, in a photo or a short story. We will share our "
            "favourites with tips from our gear lab on staying warm and safe in winter."
        ),
        rules=(
            "1. Free to enter, for anyone aged 18 or over; one entry per person.\n"
            "2. Photos must be your own and taken outdoors in winter conditions.\n"
            "3. Entries are moderated before they appear. Unsafe practices (stoves inside a "
            "closed tent, avalanche terrain without kit) are not published.\n"
            "4. The top three scores win a Northwind Polar sleeping bag each."
        ),
        phase=Campaign.Phase.SCHEDULED,
        starts_in_days=9,
        lasts_days=42,
        palette=TRAIL_PALETTES[1],
    ),
)


@dataclass(frozen=True)
class DemoEntry:
    author: DemoPerson
    kind: Submission.Kind
    state: Submission.State
    caption: str
    text: str
    art_style: str
    art_seed: str
    size: Size
    age: float  # where between the campaign's start and now the entry was made, 0..1


_PHOTO_SIZES: tuple[Size, ...] = ((1200, 900),) * 6 + ((1080, 1080), (900, 1200))


def entries_plan(campaign: DemoCampaign) -> list[DemoEntry]:
    """The entries a demo campaign receives: who, what kind, which words, which picture."""
    rng = random.Random(f"{DEMO_SEED}:{campaign.slug}:entries")
    count = campaign.photo_entries + campaign.text_entries
    authors = rng.sample(PARTICIPANTS, count)
    kinds = [Submission.Kind.PHOTO] * campaign.photo_entries
    kinds += [Submission.Kind.TEXT] * campaign.text_entries
    rng.shuffle(kinds)
    pending = set(rng.sample(range(count), campaign.pending_entries))
    # Shuffled once; each entry takes the next unused line in its author's language, or in the
    # other language when that runs out, so no words repeat inside a campaign.
    captions = [(lang, line) for lang, lines in campaign.captions.items() for line in lines]
    texts = [(lang, item) for lang, items in campaign.texts.items() for item in items]
    rng.shuffle(captions)
    rng.shuffle(texts)
    plan = []
    for index, (author, kind) in enumerate(zip(authors, kinds, strict=True)):
        pool: list[tuple[str, str]] | list[tuple[str, tuple[str, str]]]
        pool = captions if kind == Submission.Kind.PHOTO else texts
        position = next((i for i, (lang, _item) in enumerate(pool) if lang == author.language), 0)
        _lang, pick = pool.pop(position)
        caption, text = (pick, "") if isinstance(pick, str) else pick
        plan.append(
            DemoEntry(
                author=author,
                kind=kind,
                state=Submission.State.PENDING if index in pending else Submission.State.APPROVED,
                caption=caption,
                text=text,
                art_style=rng.choice(campaign.art_styles),
                art_seed=f"{DEMO_SEED}:{campaign.slug}:{author.email}",
                size=rng.choice(_PHOTO_SIZES),
                age=rng.uniform(0.05, 0.95),
            )
        )
    return plan


def campaign_dates(
    campaign: DemoCampaign, *, brand: DemoBrand, now: datetime
) -> tuple[datetime, datetime]:
    """Start at 09:00 and end at 21:00 in the brand's time zone, counted in days from `now`."""
    zone = ZoneInfo(brand.time_zone)
    today = now.astimezone(zone).date()

    def at(day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=zone)

    start_day = today + timedelta(days=campaign.starts_in_days)
    return at(start_day, 9), at(start_day + timedelta(days=campaign.lasts_days), 21)


# --- Pictures ------------------------------------------------------------------------------------


def _rgb(value: str) -> Color:
    red, green, blue = ImageColor.getrgb(value)[:3]
    return red, green, blue


def _mix(a: Color, b: Color, t: float) -> Color:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _gradient(size: Size, start: Color, end: Color, angle: float) -> Image.Image:
    # Drawn at a quarter of the size: a smooth ramp loses nothing when scaled up.
    width, height = (max(1, side // 4) for side in size)
    side = math.ceil(math.hypot(width, height)) + 2
    mask = Image.linear_gradient("L").resize((side, side), Image.Resampling.BILINEAR)
    mask = mask.rotate(angle, resample=Image.Resampling.BILINEAR)
    left, top = (side - width) // 2, (side - height) // 2
    mask = mask.crop((left, top, left + width, top + height))
    return ImageOps.colorize(mask.resize(size, Image.Resampling.BILINEAR), start, end)


def _blur(layer: Image.Image, radius: float, factor: int = 4) -> Image.Image:
    """A wide Gaussian blur, computed on a smaller copy (wide blurs are slow)."""
    small = layer.reduce(factor).filter(ImageFilter.GaussianBlur(radius / factor))
    return small.resize(layer.size, Image.Resampling.BILINEAR)


def _bokeh(img: Image.Image, rng: random.Random, palette: list[Color]) -> Image.Image:
    width, height = img.size
    for blur, count in ((9, 35), (0, 25)):
        layer = Image.new("RGBA", img.size)
        draw = ImageDraw.Draw(layer)
        for _ in range(count):
            radius = rng.uniform(0.02, 0.14 if blur else 0.05) * width
            x, y = rng.uniform(0, width), rng.uniform(0, height)
            alpha = rng.randint(50, 150) if blur else rng.randint(120, 220)
            draw.ellipse(
                (x - radius, y - radius, x + radius, y + radius),
                fill=(*rng.choice(palette), alpha),
            )
        if blur:
            layer = _blur(layer, blur)
        img = Image.alpha_composite(img, layer)
    return img


def _rings(img: Image.Image, rng: random.Random, palette: list[Color]) -> Image.Image:
    width, height = img.size
    layer = Image.new("RGBA", img.size)
    draw = ImageDraw.Draw(layer)
    for _ in range(rng.randint(1, 3)):
        cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        radius = rng.uniform(0.3, 0.55) * max(width, height)
        while radius > 8:
            colour = rng.choice(palette)
            draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=(*colour, 235))
            radius -= rng.uniform(0.02, 0.07) * width
    return Image.alpha_composite(img, layer)


def _bauhaus(img: Image.Image, rng: random.Random, palette: list[Color]) -> Image.Image:
    width, height = img.size
    cols, rows = rng.choice(((4, 3), (3, 3), (5, 4)))
    cell_w, cell_h = width / cols, height / rows
    draw = ImageDraw.Draw(img)
    for row in range(rows):
        for col in range(cols):
            box = (col * cell_w, row * cell_h, (col + 1) * cell_w, (row + 1) * cell_h)
            back, fore = rng.sample(palette, 2)
            draw.rectangle(box, fill=back)
            x0, y0, x1, y1 = box
            shape = rng.choice(("circle", "quarter", "half", "triangle", "stripes", "dot"))
            if shape == "circle":
                pad = min(cell_w, cell_h) * 0.1
                side = min(cell_w, cell_h) - 2 * pad
                cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
                draw.ellipse((cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), fore)
            elif shape == "quarter":
                corner = rng.randrange(4)
                cx = x0 if corner in (0, 3) else x1
                cy = y0 if corner in (0, 1) else y1
                r = min(cell_w, cell_h)
                start = 90 * corner  # the quadrant of the circle that lies inside the cell
                draw.pieslice((cx - r, cy - r, cx + r, cy + r), start, start + 90, fill=fore)
            elif shape == "half":
                r = min(cell_w, cell_h) / 2
                cx, cy = (x0 + x1) / 2, y1
                draw.pieslice((cx - r, cy - r, cx + r, cy + r), 180, 360, fill=fore)
            elif shape == "triangle":
                points = [(x0, y1), (x1, y1), (rng.uniform(x0, x1), y0)]
                draw.polygon(points, fill=fore)
            elif shape == "stripes":
                step = cell_h / rng.choice((6, 8, 10))
                y = y0
                while y < y1:
                    draw.rectangle((x0, y, x1, min(y + step / 2, y1)), fill=fore)
                    y += step
            else:
                r = min(cell_w, cell_h) * 0.18
                cx, cy = rng.uniform(x0 + r, x1 - r), rng.uniform(y0 + r, y1 - r)
                draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=fore)
    return img


def _waves(img: Image.Image, rng: random.Random, palette: list[Color]) -> Image.Image:
    width, height = img.size
    layer = Image.new("RGBA", img.size)
    draw = ImageDraw.Draw(layer)
    bands = rng.randint(6, 9)
    for band in range(bands):
        base = height * (0.2 + 0.8 * band / bands)
        amplitude = rng.uniform(0.02, 0.08) * height
        frequency = rng.uniform(1.0, 3.0) * 2 * math.pi / width
        phase = rng.uniform(0, 2 * math.pi)
        points = [
            (x, base + amplitude * math.sin(frequency * x + phase))
            for x in range(0, width + 21, 20)
        ]
        points += [(width, height), (0, height)]
        draw.polygon(points, fill=(*rng.choice(palette), rng.randint(170, 235)))
    return Image.alpha_composite(img, layer)


def _ridge(rng: random.Random, width: int, base: float, roughness: float) -> list[float]:
    """Midpoint displacement: a mountain skyline of 2**7 + 1 heights."""
    heights = [base + rng.uniform(-roughness, roughness) for _ in range(2)]
    spread = roughness
    while len(heights) < 129:
        spread *= 0.55
        refined = []
        for left, right in pairwise(heights):
            refined += [left, (left + right) / 2 + rng.uniform(-spread, spread)]
        heights = [*refined, heights[-1]]
    return heights


def _mountains(img: Image.Image, rng: random.Random, palette: list[Color]) -> Image.Image:
    width, height = img.size
    sky_top, sky_bottom = palette[0], palette[3]
    img = _gradient(img.size, sky_top, sky_bottom, 0).convert("RGBA")
    glow = Image.new("RGBA", img.size)
    sun_x, sun_y = rng.uniform(0.2, 0.8) * width, rng.uniform(0.25, 0.45) * height
    sun_r = rng.uniform(0.05, 0.09) * width
    ImageDraw.Draw(glow).ellipse(
        (sun_x - 2.2 * sun_r, sun_y - 2.2 * sun_r, sun_x + 2.2 * sun_r, sun_y + 2.2 * sun_r),
        fill=(*palette[4], 90),
    )
    glow = _blur(glow, 40)
    ImageDraw.Draw(glow).ellipse(
        (sun_x - sun_r, sun_y - sun_r, sun_x + sun_r, sun_y + sun_r), fill=(*palette[4], 255)
    )
    img = Image.alpha_composite(img, glow)
    ranges = rng.randint(3, 5)
    for index in range(ranges):
        depth = index / max(1, ranges - 1)
        colour = _mix(_mix(palette[2], palette[1], depth), (10, 14, 20), depth * 0.55)
        base = height * (0.45 + 0.4 * depth)
        heights = _ridge(rng, width, base, height * 0.16)
        step = width / (len(heights) - 1)
        points = [(i * step, y) for i, y in enumerate(heights)] + [(width, height), (0, height)]
        ImageDraw.Draw(img).polygon(points, fill=(*colour, 255))
        if index < ranges - 1:
            mist = Image.new("RGBA", img.size)
            ImageDraw.Draw(mist).rectangle(
                (0, base - 20, width, base + 60), fill=(255, 255, 255, 40)
            )
            img = Image.alpha_composite(img, _blur(mist, 25))
    return img


def _mosaic(img: Image.Image, rng: random.Random, palette: list[Color]) -> Image.Image:
    width, height = img.size
    cols, rows = rng.randint(9, 14), rng.randint(7, 10)
    jitter = 0.35
    points = [
        [
            (
                (col + (rng.uniform(-jitter, jitter) if 0 < col < cols else 0)) * width / cols,
                (row + (rng.uniform(-jitter, jitter) if 0 < row < rows else 0)) * height / rows,
            )
            for col in range(cols + 1)
        ]
        for row in range(rows + 1)
    ]
    corners = rng.sample(palette, 4)
    draw = ImageDraw.Draw(img)
    for row in range(rows):
        for col in range(cols):
            a, b = points[row][col], points[row][col + 1]
            c, d = points[row + 1][col + 1], points[row + 1][col]
            for triangle in (
                ((a, b, c), (a, c, d)) if rng.random() < 0.5 else ((a, b, d), (b, c, d))
            ):
                cx = sum(p[0] for p in triangle) / 3 / width
                cy = sum(p[1] for p in triangle) / 3 / height
                top = _mix(corners[0], corners[1], cx)
                bottom = _mix(corners[2], corners[3], cx)
                colour = _mix(top, bottom, cy)
                colour = _mix(colour, (255, 255, 255), rng.uniform(0, 0.18))
                draw.polygon(triangle, fill=colour)
    return img


ART_STYLES: dict[str, Callable[[Image.Image, random.Random, list[Color]], Image.Image]] = {
    "bokeh": _bokeh,
    "rings": _rings,
    "bauhaus": _bauhaus,
    "waves": _waves,
    "mountains": _mountains,
    "mosaic": _mosaic,
}


def art_draw(
    *, style: str, seed: str, palettes: Sequence[Sequence[str]], size: Size = (1200, 900)
) -> io.BytesIO:
    """Paint an abstract picture as a phone would deliver it: a JPEG with camera and GPS EXIF.

    The metadata is there on purpose, so the demo goes through the same stripping as any upload.
    """
    rng = random.Random(seed)
    palette = [_rgb(c) for c in rng.choice(palettes)]
    start, end = rng.sample(palette, 2)
    img = _gradient(size, start, end, rng.uniform(0, 360)).convert("RGBA")
    img = ART_STYLES[style](img, rng, palette).convert("RGB")
    # Film grain from our own generator (Pillow's effect_noise is not seeded by it).
    grain = Image.frombytes("L", size, rng.randbytes(size[0] * size[1])).convert("RGB")
    img = Image.blend(img, grain, 0.04)

    exif = Image.Exif()
    exif[0x010F] = "Passaparola"  # Make
    exif[0x0110] = "Demo Camera"  # Model
    exif[0x0131] = "seed_demo"  # Software
    gps = exif.get_ifd(0x8825)
    latitude, longitude = rng.uniform(44.0, 57.0), rng.uniform(-5.0, 12.0)
    gps[1], gps[2] = "N", _dms(latitude)
    gps[3], gps[4] = ("E", _dms(longitude)) if longitude >= 0 else ("W", _dms(-longitude))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=90, exif=exif)
    out.seek(0)
    return out


def _dms(degrees: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    whole = int(degrees)
    minutes = int((degrees - whole) * 60)
    seconds = round(((degrees - whole) * 60 - minutes) * 60, 2)
    return (
        TiffImagePlugin.IFDRational(whole),
        TiffImagePlugin.IFDRational(minutes),
        TiffImagePlugin.IFDRational(seconds),
    )


def _typeable(text: str) -> str:
    """Spell `text` with glyphs the font has; an accented vowel becomes the Italian "e'" form.

    Pillow's built-in font covers ASCII only, and a missing glyph renders as a box.
    """
    if all(ord(char) < 128 for char in text):
        return text
    out = []
    for char in unicodedata.normalize("NFD", text):
        if unicodedata.combining(char):
            if char in "\u0300\u0301" and out and out[-1] != "'":
                out.append("'")
        elif ord(char) < 128:
            out.append(char)
    return "".join(out)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and font.getlength(candidate) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


def cover_draw(
    *, title: str, brand_name: str, hashtag: str, palette: Sequence[str], seed: str
) -> io.BytesIO:
    """Paint a 1600x900 campaign cover: the brand's colours, some shapes, the title."""
    rng = random.Random(seed)
    colours = [_rgb(c) for c in palette]
    size = (1600, 900)
    img = _gradient(size, colours[0], colours[1], rng.uniform(20, 70)).convert("RGBA")
    img = ART_STYLES[rng.choice(("bokeh", "rings", "waves"))](img, rng, colours[1:])

    # Shade the left side so white text reads on any palette.
    shade = _gradient(size, (0, 0, 0), (255, 255, 255), 90).convert("L")
    shade = shade.point(lambda v: int(190 * (1 - v / 255) ** 1.4))
    dark = Image.new("RGBA", size, (*_mix(colours[0], (0, 0, 0), 0.6), 255))
    dark.putalpha(shade)
    img = Image.alpha_composite(img, dark)

    title_font = ImageFont.load_default(size=120)
    small_font = ImageFont.load_default(size=44)
    lines = _wrap(_typeable(title), title_font, 1050)
    line_height = 132
    y = size[1] - 150 - line_height * len(lines)
    texts = [((90, 80), brand_name.upper(), small_font)]
    texts += [((90, y + i * line_height), line, title_font) for i, line in enumerate(lines)]
    texts += [((94, size[1] - 130), hashtag, small_font)]

    shadow = Image.new("RGBA", size)
    shadow_draw = ImageDraw.Draw(shadow)
    for (x, ty), text, font in texts:
        shadow_draw.text((x + 4, ty + 5), _typeable(text), font=font, fill=(0, 0, 0, 150))
    img = Image.alpha_composite(img, _blur(shadow, 6, factor=2))
    draw = ImageDraw.Draw(img)
    for (x, ty), text, font in texts:
        draw.text((x, ty), _typeable(text), font=font, fill=(255, 255, 255, 255))
    draw.rectangle((92, y - 40, 92 + 120, y - 30), fill=(*colours[-1], 255))

    out = io.BytesIO()
    img.convert("RGB").save(out, format="PNG", compress_level=1)
    out.seek(0)
    return out


# --- Seeding -------------------------------------------------------------------------------------


@dataclass
class SeedReport:
    created: Counter[str] = field(default_factory=Counter)
    existing: Counter[str] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)


LABELS = ("users", "email addresses", "brands", "memberships", "campaigns", "entries")


def _people(*, include_admin: bool) -> list[DemoPerson]:
    staff = [person for brand in BRANDS for person, _role in brand.team]
    admin = [DemoPerson(ADMIN_EMAIL, "Passaparola admin", "en")] if include_admin else []
    return staff + list(PARTICIPANTS) + admin


def demo_step_count(*, include_admin: bool) -> int:
    """How many steps `demo_seed` reports, for a progress bar."""
    return (
        len(_people(include_admin=include_admin))
        + len(BRANDS)
        + sum(len(brand.team) for brand in BRANDS)
        + len(CAMPAIGNS)
        + sum(len(entries_plan(campaign)) for campaign in CAMPAIGNS)
    )


def _noop(label: str) -> None:
    return None


def _seed_users(
    *, include_admin: bool, now: datetime, report: SeedReport, step: Callable[[str], None]
) -> dict[str, User]:
    people = _people(include_admin=include_admin)
    users = {user.email: user for user in User.objects.filter(email__in=[p.email for p in people])}
    created: list[User] = []
    for person in people:
        step(person.email)
        if person.email in users:
            report.existing["users"] += 1
            continue
        if person.email == ADMIN_EMAIL:
            user = User.objects.create_superuser(
                ADMIN_EMAIL, ADMIN_PASSWORD, display_name=person.display_name, language="en"
            )
        else:
            user = user_create(
                email=person.email,
                password=None,
                display_name=person.display_name,
                language=person.language,
            )
            created.append(user)
        users[person.email] = user
        report.created["users"] += 1
    if created:
        # One hash for every demo account: hashing thirty-six times would take most of the run.
        password = make_password(DEMO_PASSWORD)
        for user in created:
            rng = random.Random(f"{DEMO_SEED}:{user.email}:joined")
            user.password = password
            user.date_joined = now - timedelta(days=rng.uniform(20, 200))
        User.objects.bulk_update(created, ["password", "date_joined"])

    have = set(EmailAddress.objects.filter(user__in=users.values()).values_list("user_id", "email"))
    with_primary = set(
        EmailAddress.objects.filter(user__in=users.values(), primary=True).values_list(
            "user_id", flat=True
        )
    )
    missing = [
        EmailAddress(
            user=user, email=user.email, primary=user.pk not in with_primary, verified=True
        )
        for user in users.values()
        if (user.pk, user.email) not in have
    ]
    EmailAddress.objects.bulk_create(missing)
    report.created["email addresses"] += len(missing)
    report.existing["email addresses"] += len(users) - len(missing)
    return users


def _seed_brands(
    *, users: dict[str, User], report: SeedReport, step: Callable[[str], None]
) -> dict[str, Brand]:
    brands = Brand.objects.in_bulk([b.slug for b in BRANDS], field_name="slug")
    have = set(
        BrandMembership.objects.filter(brand__in=brands.values()).values_list("brand_id", "user_id")
    )
    new_brands: set[str] = set()
    for demo in BRANDS:
        step(demo.slug)
        if demo.slug in brands:
            report.existing["brands"] += 1
            continue
        brands[demo.slug] = brand_create(
            owner=users[demo.owner.email],
            name=demo.name,
            slug=demo.slug,
            time_zone=demo.time_zone,
            description=demo.description,
            website=demo.website,
        )
        new_brands.add(demo.slug)
    report.created["brands"] += len(new_brands)
    for demo in BRANDS:
        brand = brands[demo.slug]
        for index, (person, role) in enumerate(demo.team):
            step(f"{demo.slug}: {role}")
            user = users[person.email]
            if (brand.pk, user.pk) in have:
                report.existing["memberships"] += 1
                continue
            if not (index == 0 and demo.slug in new_brands):  # brand_create added the owner
                brand_membership_set(brand=brand, user=user, role=role)
            report.created["memberships"] += 1
    return brands


def _seed_campaigns(
    *,
    brands: dict[str, Brand],
    users: dict[str, User],
    now: datetime,
    report: SeedReport,
    step: Callable[[str], None],
) -> dict[str, Campaign]:
    campaigns = Campaign.objects.in_bulk([c.slug for c in CAMPAIGNS], field_name="slug")
    demo_brands = {brand.slug: brand for brand in BRANDS}
    for demo in CAMPAIGNS:
        step(demo.slug)
        if demo.slug in campaigns:
            report.existing["campaigns"] += 1
            continue
        demo_brand = demo_brands[demo.brand_slug]
        starts_at, ends_at = campaign_dates(demo, brand=demo_brand, now=now)
        manager = next(p for p, role in demo_brand.team if role == BrandMembership.Role.MANAGER)
        campaigns[demo.slug] = campaign_create(
            brand=brands[demo.brand_slug],
            title=demo.title,
            slug=demo.slug,
            starts_at=starts_at,
            ends_at=ends_at,
            brief=demo.brief,
            rules=demo.rules,
            hashtag=demo.hashtag,
            cover=cover_draw(
                title=demo.title,
                brand_name=demo_brand.name,
                hashtag=demo.hashtag,
                palette=demo.palette,
                seed=f"{DEMO_SEED}:{demo.slug}:cover",
            ),
            cover_name=f"{demo.slug}.png",
            created_by=users[manager.email],
            publish=demo.phase != Campaign.Phase.DRAFT,
            prizes=DEMO_PRIZES.get(demo.slug, ()),
            terms=DEMO_TERMS[demo.brand_slug],
            allow_video=demo.slug in DEMO_VIDEO_CAMPAIGNS,
            moderation_mode=(
                Campaign.ModerationMode.POST
                if demo.slug in DEMO_POST_MODERATED
                else Campaign.ModerationMode.PRE
            ),
        )
        report.created["campaigns"] += 1
    return campaigns


def _seed_entries(
    *,
    campaigns: dict[str, Campaign],
    users: dict[str, User],
    now: datetime,
    report: SeedReport,
    step: Callable[[str], None],
) -> None:
    for demo in CAMPAIGNS:
        plan = entries_plan(demo)
        if not plan:
            continue
        campaign = campaigns[demo.slug]
        entered = set(campaign.submissions.values_list("author_id", flat=True))
        palettes = COFFEE_PALETTES if demo.brand_slug == "torrefazione-aurora" else TRAIL_PALETTES
        is_open = campaign.phase_at(timezone.now()) == Campaign.Phase.OPEN
        created: list[Submission] = []
        for entry in plan:
            step(f"{demo.slug}: {entry.author.email}")
            author = users[entry.author.email]
            if author.pk in entered:
                report.existing["entries"] += 1
                continue
            if not is_open:
                report.skipped.append(f"{demo.slug}: {entry.author.email} (campaign not open)")
                continue
            image = None
            if entry.kind == Submission.Kind.PHOTO:
                image = art_draw(
                    style=entry.art_style, seed=entry.art_seed, palettes=palettes, size=entry.size
                )
            submission = submission_create(
                campaign=campaign,
                author=author,
                kind=entry.kind,
                caption=entry.caption,
                text=entry.text,
                image=image,
                image_name="photo.jpg" if image else "",
                accept_terms=True,
                state=entry.state,
            )
            # Spread the entries over the days the campaign has been open, so the gallery's
            # order and its "3 days ago" read like a real campaign.
            moment = (
                campaign.starts_at + (min(now, campaign.ends_at) - campaign.starts_at) * entry.age
            )
            submission.created_at = submission.updated_at = moment
            created.append(submission)
        Submission.objects.bulk_update(created, ["created_at", "updated_at"])
        report.created["entries"] += len(created)


@transaction.atomic
def demo_seed(
    *, include_admin: bool, now: datetime | None = None, step: Callable[[str], None] = _noop
) -> SeedReport:
    """Create whatever of the demo is missing, leaving every existing row as it is.

    `include_admin` adds the staff superuser with a published password: only for DEBUG. `step`
    is called once per person, brand, membership, campaign and entry (see `demo_step_count`).
    """
    moment = now or timezone.now()
    report = SeedReport()
    users = _seed_users(include_admin=include_admin, now=moment, report=report, step=step)
    brands = _seed_brands(users=users, report=report, step=step)
    campaigns = _seed_campaigns(brands=brands, users=users, now=moment, report=report, step=step)
    _seed_entries(campaigns=campaigns, users=users, now=moment, report=report, step=step)
    return report
