"""Word lists the replica's content is drawn from.

Community slugs and names are those of STRUCTURE.md section 5; every description
except The Swamp's, and the slugs of Psyche, BookClub, Beat, Confessions and
Wheel, are INVENTED (the real ones are unknown).
"""

from __future__ import annotations

SWAMP_DESCRIPTION = ("The Swamp examines the crazy but true world of Politics. Discover its "
                     "history, corruption, politicians, activists, and more.")

# (slug, name, description, relative weight of stories)
COMMUNITIES: list[tuple[str, str, str, int]] = [
    ("theSwamp", "The Swamp", SWAMP_DESCRIPTION, 8),
    ("fiction", "Fiction", "Short stories, serials and flash fiction from every genre.", 10),
    ("poets", "Poets", "Verse of every form, from haiku to free verse.", 9),
    ("humans", "Humans", "Stories about people, relationships and what connects us.", 6),
    ("geeks", "Geeks", "Games, comics, films and the fandoms around them.", 5),
    ("horror", "Horror", "Things that go bump in the night, and worse.", 4),
    ("journal", "Journal", "Personal essays and everyday life, written down.", 5),
    ("writers", "Writers", "The craft and business of writing.", 4),
    ("chapters", "Chapters", "Serialised novels, one chapter at a time.", 2),
    ("interview", "Interview", "Conversations with creators, makers and experts.", 1),
    ("fyi", "FYI", "Explainers and useful facts for curious readers.", 3),
    ("futurism", "Futurism", "Science, technology and the shape of things to come.", 3),
    ("01", "01", "Technology, software and the people who build it.", 3),
    ("motivation", "Motivation", "Stories that push you forward.", 3),
    ("families", "Families", "Parenting, siblings, grandparents and home.", 2),
    ("wander", "Wander", "Travel writing from near and far.", 2),
    ("lifehack", "Lifehack", "Tips and tricks for a smoother life.", 2),
    ("education", "Education", "Learning, teaching and schools.", 2),
    ("earth", "Earth", "Nature, climate and the planet we live on.", 2),
    ("humor", "Humor", "Satire, parody and things that made us laugh.", 2),
    ("longevity", "Longevity", "Health, fitness and living well for longer.", 2),
    ("critique", "Critique", "Reviews of books, films, music and art.", 2),
    ("history", "History", "The past, retold.", 2),
    ("styled", "Styled", "Fashion, beauty and personal style.", 1),
    ("psyche", "Psyche", "Mental health and the mind.", 2),
    ("book-club", "BookClub", "Readers talking about books.", 1),
    ("beat", "Beat", "Music, musicians and the stories behind the songs.", 1),
    ("confessions", "Confessions", "Things people never told anyone.", 1),
    ("wheel", "Wheel", "Cars, bikes and life on the road.", 1),
    ("resources", "Resources", "News, guides and announcements from the Vocal team.", 1),
]

TAGS: list[tuple[str, str]] = [
    ("politics", "politics"), ("democrat", "democrat"), ("republican", "republican"),
    ("Challenge", "Challenge"), ("short-story", "short story"), ("fantasy", "fantasy"),
    ("love-poems", "love poems"), ("sad-poetry", "sad poetry"), ("family", "family"),
    ("travel", "travel"), ("science", "science"), ("history", "history"),
    ("health", "health"), ("humanity", "humanity"), ("how-to", "how to"),
    ("movie", "movie"), ("review", "review"), ("tech", "tech"), ("nature", "nature"),
    ("psychology", "psychology"), ("horror", "horror"), ("sci-fi", "sci fi"),
    ("Vocal", "Vocal"), ("career", "career"), ("satire", "satire"), ("mystery", "mystery"),
]

FIRST_NAMES = ["Aarif", "Maya", "José", "Zoë", "Łukasz", "Søren", "Amélie", "Chidi", "Priya",
               "Liam", "Olivia", "Noah", "Emma", "Sibca", "Mohammed", "Yuki", "Hannah",
               "Mateo", "Isabella", "Kwame", "Ana", "Dmitri", "Fatima", "Ethan", "Grace",
               "Björn", "Chloé", "Rahul", "Aisha", "Tomás", "Leah", "Oscar", "Nia", "Rory"]
LAST_NAMES = ["Lashari", "Awan", "Smith", "O'Brien", "García", "Nowak", "Müller", "Okafor",
              "Sharma", "Nguyen", "Johnson", "Kowalski", "Haddad", "Tanaka", "Rossi",
              "Dubois", "McAllister", "Fernández", "Andersen", "Patel", "Moore", "Khan",
              "Brown", "D'Angelo", "Silva", "Ivanova", "Walker", "Lee"]

ADJECTIVES = ["quiet", "broken", "golden", "last", "hidden", "secret", "strange", "bright",
              "forgotten", "endless", "little", "wild", "silent", "electric", "lonely", "true",
              "crazy", "ancient", "perfect", "invisible", "restless", "naïve", "brave"]
NOUNS = ["river", "election", "garden", "city", "letter", "machine", "heart", "winter",
         "promise", "storm", "house", "voice", "dream", "border", "summer", "mirror",
         "island", "library", "senate", "forest", "café", "signal", "ghost", "road"]
VERBS = ["found", "lost", "learned", "built", "left", "remember", "miss", "stopped",
         "started", "forgave", "chased", "wrote", "burned", "kept"]
PLACES = ["Paris", "Zürich", "Lagos", "São Paulo", "Kyiv", "Ohio", "the Midwest", "Tokyo",
          "Montréal", "the Swamp", "Reykjavík", "Karachi"]
EMOJI = ["🌙", "🔥", "❤️", "🌊", "✨", "🗳️", "📚", "🌍"]

TITLE_TEMPLATES = [
    "The {Adj} {Noun}", "Why I {verb} the {noun}", "{First}'s {Noun}",
    "What the {Noun} Taught Me", "A {Noun} in {Place}", "The {Noun} Doesn’t Wait",
    "{Adj} {Noun}s of {Place}", "I {verb} a {noun} and it changed everything",
    "Notes from a {Adj} {Noun}", "How to Survive a {Noun}", "When the {Noun} Came Back",
    "It’s Not the {Noun}, It’s You", "{Noun} {emoji}", "The {Noun} We Didn't Choose",
]

SENTENCE_WORDS = ("the a of and to in that it was for on with as at by from this they we "
                  "but had not what all were when there can more if out so said up its about "
                  "into them then than some could time would people only over new also after "
                  "years first way even because many most long where much before through back "
                  "still own world public state city night morning letter government policy "
                  "river storm voice house garden memory village council vote family street "
                  "window promise silence history future water light question answer moment "
                  "reason season heart border machine engine signal summer winter country "
                  "story writer reader paper crowd leader market bridge forest mountain").split()

UNSPLASH_PHOTOGRAPHERS = ["Annie Spratt", "Nathan Dumlao", "Jon Tyson", "Clay Banks",
                          "Markus Spiske", "Joshua Sukoff", "Priscilla Du Preez", "Ales Krivec"]

BADGES = ["Finalist in 2023 Vocal Writing Awards - Science Fiction",
          "Runner-Up in Fable Frenzy Challenge", "Runner-Up in Unbound Love Challenge",
          "Finalist in 2024 Vocal Writing Awards - Poetry"]
CARD_LABELS = ["AI-Generated", "Content Warning"]

BIO_TEMPLATES = [
    "Writer, reader and {noun} enthusiast from {Place}.",
    "I write about {noun}s, {noun}s and everything in between. ☕",
    "Poet. Teacher. Still learning what the {noun} means.",
    "Journalist covering politics and the {noun}. Views my own.",
    "Mum of two, lover of {noun}s, writing from {Place} 🌿",
]
