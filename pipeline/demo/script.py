"""The demo course's script: who speaks, with which synthetic voice, and what they say.

Pure data, read by `pipeline.demo`. Every recording is a list of items in the
order they were "recorded": lines the course keeps, and material a producer
cuts out (a false start, studio chatter, a long silence, a 1 kHz line-up tone).
The keep ranges in demo/course.toml are computed from where these items land.
Nordic names and places (Sørensen, Aarhus, Malmö, Tampere, Øvergaard) are there
on purpose: the speech engine misspells some of them, which is what the
glossary and proofreading round trip are for.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Voice:
    espeak: str  # espeak-ng voice+variant, e.g. "en-gb+m3"
    speed: int  # words per minute (espeak-ng -s)
    pitch: int  # 0-99 (espeak-ng -p)
    level_db: float  # dB gain on the voice: people sit at different distances from the mic


@dataclass(frozen=True)
class Person:
    id: str  # roster id in course.toml
    name: str
    role: str  # a course.SPEAKER_ROLES value
    affiliation: str
    bio: str
    voice: Voice


@dataclass(frozen=True)
class Say:
    speaker: str  # roster id
    text: str
    chapter: str = ""  # a chapter of the episode starts with this line
    cut: bool = False  # the producer cuts it (false start, chatter)


@dataclass(frozen=True)
class Silence:
    seconds: float  # digital silence (a dropped line, a long search for notes); cut


@dataclass(frozen=True)
class Tone:
    seconds: float  # 1 kHz line-up tone at the start of a take; cut


Item = Say | Silence | Tone


@dataclass(frozen=True)
class Recording:
    file: str  # path under raw_interviews/; the extension picks the format (.wav, .flac, .mp4)
    seed: int  # room-noise seed
    items: tuple[Item, ...]
    channels: tuple[str, str] = ()  # (left, right) speaker ids: a stereo, one-voice-per-side take
    gain_db: float = 0.0  # dB on the whole take (a recorder whose input gain was set far too low)
    title: str = ""  # video only: the title drawn on the picture


@dataclass(frozen=True)
class DemoEpisode:
    slug: str
    module: int
    number: int
    title: str
    summary: str
    date: dt.date
    speakers: tuple[str, ...]  # roster ids, host first
    recordings: tuple[Recording, ...]  # more than one: the episode is assembled from several takes


COURSE = {
    "title": "Smart cities for city officials (demo)",
    "subtitle": "A short generated demo of the course, with synthetic voices",
    "author": "Smart Cities Course Team",
    "owner_name": "Smart Cities Course Team",
    "owner_email": "course-team@example.org",
    "language": "en",
    "base_url": "https://example.org/coursecast-demo/",
    "website": "https://example.org/coursecast-demo/",
    "copyright": "© 2026 Smart Cities Course Team, CC BY 4.0",
    "categories": ["Education > Courses", "Government"],
    "translations": ["es"],  # issue 23: one translated language end to end (Apertium eng-spa drafts)
}

MODULES = (
    (1, "ontology", "Ontology: definitions",
     "What do we mean by a smart city? Definitions, histories and the words we use."),
    (2, "governance", "Governance: participation and democracy",
     "Who decides in a smart city, and how citizens take part."),
    (3, "privacy-security", "Privacy and security",
     "Data about citizens: protection, security and trust."),
)

PEOPLE = (
    Person("lindqvist", "Mikael Lindqvist", "host", "Smart Cities Course Team",
           "Mikael Lindqvist hosts the course's interviews and worked for ten years in municipal IT in Umeå.",
           Voice("en-gb+m3", 165, 40, 0.0)),
    Person("sorensen", "Dr. Ingrid Sørensen", "guest", "Aarhus University",
           "Ingrid Sørensen is an associate professor of urban informatics at Aarhus University.",
           Voice("en-us+f2", 150, 62, -2.0)),
    Person("virtanen", "Aino Virtanen", "guest", "City of Tampere",
           "Aino Virtanen coordinates citizen participation for the City of Tampere.",
           Voice("en-us+f4", 155, 55, -1.0)),
    Person("bergstrom", "Astrid Bergström", "guest", "City of Malmö",
           "Astrid Bergström leads the participatory budgeting programme of the City of Malmö.",
           Voice("en-us+f3", 150, 70, -1.5)),
    Person("overgaard", "Lars Øvergaard", "guest", "Datatilsynet, Oslo",
           "Lars Øvergaard is a senior adviser on privacy by design at the Norwegian data protection authority.",
           Voice("en-us+m2", 145, 25, -0.5)),
)

H, S, V, B, O = "lindqvist", "sorensen", "virtanen", "bergstrom", "overgaard"

M1E1 = Recording("module1/sorensen-interview.wav", 11, (
    Say(H, "Welcome to Smart cities for city officials. I'm Mikael Lindqvist, and with me today is "
           "Dr. Ingrid Sørensen from Aarhus University. Ingrid, welcome.", chapter="Introduction"),
    Say(S, "Thank you, Mikael. It's a pleasure to be here."),
    Say(H, "So let's start with the, the basic, er. Sorry, can I start that question again?", cut=True),
    Say(H, "Let's start with the basics. What do we actually mean when we say smart city?",
        chapter="Defining the smart city"),
    Say(S, "That is harder than it sounds. The term has been used since the nineteen nineties, mostly by "
           "technology companies. For them a smart city was a city full of sensors, networks and dashboards. "
           "In our research in Aarhus we prefer a broader definition. A smart city uses data and digital tools "
           "to make life better for the people who live there, and it lets those people take part in deciding how."),
    Say(H, "So it is not only about technology."),
    Say(S, "Exactly. Technology is a means, not the goal. If a new sensor network does not change a decision "
           "or a service, it is just an expensive decoration."),
    Say(H, "Can you give us an example from a Nordic city?", chapter="Examples from the Nordic countries"),
    Silence(6.0),
    Say(S, "Yes. Tampere, in Finland, opened its public transport data, and local developers built better "
           "journey planners than the city could have built alone. And in Malmö, the city measured how "
           "residents of a new district actually used energy, and then it changed the building rules."),
    Say(H, "And what do the critics say?"),
    Say(S, "They are important. Some researchers say that smart city is mostly a sales term. I think they are "
           "partly right, which is why officials should always ask who owns the data, who pays, and who benefits."),
    Say(H, "That is a good place to stop. In the next episode we look at the words we use. "
           "Ingrid Sørensen, thank you.", chapter="Closing"),
    Say(S, "Thank you, Mikael."),
))

M1E2_PART1 = Recording("module1/sorensen-words-part1.wav", 12, (
    Tone(3.0),
    Say(H, "Welcome back. Ingrid Sørensen from Aarhus University is still with me, and today we talk about "
           "the words we use for smart cities.", chapter="Introduction"),
    Say(S, "Good to be back. Words matter here, because they decide what officials think they are buying."),
    Say(H, "Let's take digital twin. I hear it in every meeting in Copenhagen and Oslo.",
        chapter="Digital twins and platforms"),
    Say(S, "A digital twin is a model of the city that is kept up to date with data from the real city. "
           "It can be very useful for planning traffic or flood protection. But a model is always a simplification. "
           "Someone decides what is left out, and that choice is political."),
    Say(H, "And platform?"),
    Say(S, "Platform usually means that the city provides the data and the rules, and others build services "
           "on top. It works well when the city keeps control of the rules."),
    Say(H, "Let's take a short break there. I need to change the batteries.", cut=True),
))

M1E2_PART2 = Recording("module1/sorensen-words-part2.flac", 13, (
    Say(H, "Are we recording again?", cut=True),
    Say(S, "I think so. The red light is on.", cut=True),
    Say(H, "Before the break we talked about platforms. Are there words that exclude people?",
        chapter="Words that exclude"),
    Say(S, "Yes, many. When we write smart citizen, we often mean a young person with a phone and a bank "
           "account. Older residents, newcomers who are learning Swedish or Danish, and people without "
           "a smartphone disappear from the picture."),
    Say(H, "What would you tell an official who is writing a strategy right now?"),
    Say(S, "Write the strategy in plain language, and test every word on the residents it is meant for. "
           "In Aarhus we read drafts aloud at the public library, and we changed a lot."),
    Say(H, "Ingrid Sørensen, thank you for two very clear conversations.", chapter="Closing"),
    Say(S, "Thank you. It was fun."),
))

M2E1 = Recording("module2/virtanen-remote-stereo.wav", 21, channels=(H, V), items=(
    Say(H, "Hello and welcome. Today I am talking to Aino Virtanen, who coordinates citizen participation "
           "for the City of Tampere. Aino, welcome.", chapter="Introduction"),
    Say(V, "Thank you, it's nice to be here, even if only over the internet."),
    Say(H, "How did participation start in Tampere?", chapter="Participation in Tampere"),
    Say(V, "It started with complaints, honestly. Residents said that decisions about their streets were made "
           "far away. So in twenty eighteen we began to open our planning meetings and to publish the maps "
           "and the data before the meetings, not after."),
    Say(H, "Did people come?"),
    Say(V, "At first only the usual people came. Then we went to them instead. We held meetings in schools, "
           "in shopping centres and in the bus depot at Hervanta, and we used a simple online map where "
           "anyone could drop a pin and write a comment."),
    Say(H, "What changed in the decisions?", chapter="What changed"),
    Say(V, "Several things. A planned car park became a playground. Cycle lanes were moved to where "
           "people really ride. And the council now receives a short report of what residents said, "
           "with every planning decision."),
    Say(H, "Aino Virtanen, thank you.", chapter="Closing"),
    Say(V, "Thank you. Kiitos."),
    Say(H, "Great, I think we have it. I'll stop the recording now.", cut=True),
))

M2E2 = Recording("module2/bergstrom-video.mp4", 22, title="A citizens' budget in Malmö", items=(
    Tone(3.0),
    Say(H, "Recording in three, two, one.", cut=True),
    Say(H, "Welcome. I am in Malmö with Astrid Bergström, who leads the participatory budgeting programme "
           "of the city. Astrid, what is a citizens' budget?", chapter="Introduction"),
    Say(B, "It is a part of the city budget that residents decide on directly. In Malmö it is a small part, "
           "a few million kronor each year, but it is real money and the decisions are binding."),
    Say(H, "How does it work in practice?", chapter="How it works"),
    Say(B, "Residents propose projects online or on paper at the library. Our staff check that each proposal "
           "is legal and costed. Then everyone over twelve who lives in the district can vote, online or "
           "at a polling table in the square."),
    Say(H, "Where does the technology come in?"),
    Say(B, "Mostly in the voting and in publishing the results. We learned from Helsinki and from Reykjavik. "
           "The most important lesson was to keep paper voting, so that nobody is left out."),
    Say(H, "What surprised you?", chapter="Surprises"),
    Say(B, "How many young people took part. In Rosengård, a third of the votes came from people under "
           "twenty. And the winning project there was not high technology at all. It was better lighting "
           "on the way to the football pitch."),
    Say(H, "Astrid Bergström, thank you.", chapter="Closing"),
    Say(B, "Thank you for coming to Malmö."),
))

M3E1 = Recording("module3/overgaard-quiet.wav", 31, gain_db=-17.5, items=(
    Say(H, "Welcome to the module on privacy and security. My guest is Lars Øvergaard from Datatilsynet, "
           "the Norwegian data protection authority, in Oslo. Lars, welcome.", chapter="Introduction"),
    Say(O, "Thank you. And sorry, I think my microphone is a little quiet today."),
    Say(H, "We will fix it later. What does privacy by design mean for a city?",
        chapter="Privacy by design"),
    Say(O, "It means that you think about privacy before you buy or build anything, not after. "
           "If a city wants to count cyclists, it can count them with a simple sensor that never "
           "records a face or a number plate. Then there is nothing to leak."),
    Say(H, "That sounds almost too simple."),
    Say(O, "It is simple, but it is not easy. Vendors often offer cameras because cameras can do many things. "
           "The city has to ask: what is the one question we need answered, and what is the least data "
           "that answers it?"),
    Say(H, "And the law?", chapter="The law"),
    Say(O, "The General Data Protection Regulation requires data protection by design and by default. "
           "So for a city in Norway, Sweden or Finland, this is not a choice. It is the law."),
    Say(H, "Lars Øvergaard, thank you.", chapter="Closing"),
    Say(O, "Thank you."),
))

M3E2 = Recording("module3/overgaard-security.wav", 32, (
    Say(H, "Lars Øvergaard is back with me to talk about security and trust. Lars, welcome back.",
        chapter="Introduction"),
    Say(O, "Thank you, Mikael."),
    Say(H, "What is the biggest security risk for a smart city?", chapter="Risks"),
    Say(O, "Honestly, it is the old systems. Many, er, many city. No, let me say that again.", cut=True),
    Say(O, "Honestly, it is the old systems. Many cities connect old equipment, like traffic lights or water "
           "pumps, to the internet without updating it. An attacker does not need to be clever to get in."),
    Say(H, "What should an official do about it?"),
    Say(O, "Keep a list of everything that is connected, and who is responsible for it. Put security "
           "requirements in every contract. And practise what you will do on the day something goes wrong."),
    Say(H, "Is that realistic for a small municipality?"),
    Say(O, "Yes, if they work together. In Denmark and Finland, small municipalities share one security "
           "team, and they buy through joint contracts. A town of ten thousand people cannot do it alone."),
    Say(H, "How does security connect to trust?", chapter="Trust"),
    Say(O, "Residents forgive a city that makes a mistake and tells them openly. They do not forgive a city "
           "that hides it. In Norway and in Denmark, trust in public institutions is high, and it is a resource "
           "that is easy to lose."),
    Say(H, "Lars Øvergaard, thank you.", chapter="Closing"),
    Say(O, "Thank you. Goodbye."),
))

EPISODES = (
    DemoEpisode("what-is-a-smart-city", 1, 1, "What is a smart city?",
                "Dr. Ingrid Sørensen of Aarhus University on definitions of the smart city, "
                "with examples from Tampere and Malmö.",
                dt.date(2026, 9, 1), (H, S), (M1E1,)),
    DemoEpisode("the-words-we-use", 1, 2, "The words we use",
                "Digital twins, platforms and smart citizens: Ingrid Sørensen on the words that shape "
                "what cities buy, and the words that exclude.",
                dt.date(2026, 9, 8), (H, S), (M1E2_PART1, M1E2_PART2)),
    DemoEpisode("participation-in-tampere", 2, 1, "Participation in Tampere",
                "Aino Virtanen on how the City of Tampere opened planning to its residents, "
                "and what changed in the decisions.",
                dt.date(2026, 9, 15), (H, V), (M2E1,)),
    DemoEpisode("citizens-budget-malmo", 2, 2, "A citizens' budget in Malmö",
                "Video: Astrid Bergström explains Malmö's participatory budget, where residents decide "
                "on real money.",
                dt.date(2026, 9, 22), (H, B), (M2E2,)),
    DemoEpisode("privacy-by-design", 3, 1, "Privacy by design",
                "Lars Øvergaard of Datatilsynet on collecting the least data that answers the question, "
                "and what the law requires.",
                dt.date(2026, 9, 29), (H, O), (M3E1,)),
    DemoEpisode("security-and-trust", 3, 2, "Security and trust",
                "Lars Øvergaard on old connected equipment, security in contracts, and why openness "
                "keeps residents' trust.",
                dt.date(2026, 10, 6), (H, O), (M3E2,)),
)
