"""Made-up facts for the teach-and-recall tests: (question, correction, paraphrase, key), and unrelated questions.

The facts are invented, so the bundled model cannot know them; ``key`` is the
word a recalled answer must contain.
"""

FACTS = [
    ("What is the capital of Zorbania?", "The capital of Zorbania is Quellport.",
     "Which city is the capital of Zorbania?", "Quellport"),
    ("Who invented the glimmerphone?", "The glimmerphone was invented by Ada Trelawny in 1911.",
     "Who was the inventor of the glimmerphone?", "Trelawny"),
    ("What colour is a blue-footed snarkle's tail?", "A snarkle's tail is bright orange.",
     "What is the tail colour of the snarkle?", "orange"),
    ("How many moons does the planet Vextor have?", "Vextor has seven moons.",
     "How many moons orbit Vextor?", "seven"),
    ("What is our team's wifi password?", "The team wifi password is tangerine-42.",
     "What's the password of the team's wifi?", "tangerine-42"),
    ("When does the Harlow library open on Sundays?", "The Harlow library opens at 11 am on Sundays.",
     "At what time does Harlow library open on Sunday?", "11 am"),
    ("What is the name of my cat?", "Your cat is called Biscuit.",
     "What's my cat's name?", "Biscuit"),
    ("Which port does the Krell server listen on?", "The Krell server listens on port 7311.",
     "What port is the Krell server listening on?", "7311"),
    ("What is the national dish of Zorbania?", "The national dish of Zorbania is plum dumplings.",
     "Which dish is Zorbania's national dish?", "dumplings"),
    ("Who is the lead singer of the Velvet Ferrets?", "The lead singer of the Velvet Ferrets is Mara Quist.",
     "Who sings lead for the Velvet Ferrets?", "Quist"),
]

UNRELATED = [
    "What is the capital of France?",
    "Who wrote Romeo and Juliet?",
    "How many legs does a spider have?",
    "What is the boiling point of water in Celsius?",
    "What colour is the sky on a clear day?",
    "How do I list files in a directory with bash?",
    "What is the largest planet in the solar system?",
    "Who painted the Mona Lisa?",
    "What is the square root of 81?",
    "Which language is spoken in Brazil?",
]
