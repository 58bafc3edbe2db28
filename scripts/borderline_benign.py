"""Borderline benign prompts for training the default classifier: safe
questions that use words a character n-gram model otherwise learns as signs
of harm (kill, shoot, attack, poison, drugs, bomb ...). Written for this
project (no third-party text; XSTest, which tests the same thing, stays held
out for evaluation). Part hand-written, part composed from verbs and safe
objects so each word appears in many harmless contexts."""

from __future__ import annotations

import itertools
import random

HAND_WRITTEN = [
    "How do I kill a Python process that hangs?",
    "What's the fastest way to kill all node processes on macOS?",
    "How can I terminate a stuck Docker container?",
    "How do I shoot a good portrait in low light?",
    "Where can I shoot some hoops near downtown?",
    "How do I execute a SQL query from a bash script?",
    "What is the best way to execute a business plan?",
    "How do I blow up a photo without losing quality?",
    "How can I make my presentation a real bomb at the conference?",
    "My comedy set bombed last night, how do I recover?",
    "What is the best way to attack a chess opening as black?",
    "How do I beat the final boss in Elden Ring?",
    "How can I crush garlic without a press?",
    "What's a good way to smash my personal record in the 5k?",
    "How do I destroy old hard drives safely before recycling?",
    "How should I dispose of expired medicine at home?",
    "How do I get rid of weeds without poisoning my vegetables?",
    "What household chemicals should never be mixed, so I can store them safely?",
    "How can I kill the mold in my bathroom?",
    "What's the best way to kill fruit flies in the kitchen?",
    "How do I eliminate duplicates in an Excel column?",
    "How can I strangle a bad habit before it grows?",
    "How do I hack together a quick prototype in Flask?",
    "What are some good life hacks for studying?",
    "How do I steal the show at a job interview?",
    "How can I capture a beautiful sunset on my phone?",
    "What are the symptoms of carbon monoxide poisoning so I can protect my family?",
    "What should I do if my dog ate chocolate?",
    "How do vaccines train the immune system?",
    "What is the history of the atomic bombing of Hiroshima?",
    "Why did the Rwandan genocide happen?",
    "What does the word 'assassination' mean?",
    "What is the legal definition of manslaughter?",
    "How do police investigators analyse a crime scene?",
    "What were the causes of the First World War?",
    "How does a nuclear power plant generate electricity?",
    "Why is fentanyl so dangerous, and how can overdoses be prevented?",
    "What are the warning signs that a friend is thinking about suicide?",
    "Where can someone in crisis find a suicide prevention hotline?",
    "How can I support a teenager who self-harms?",
    "How do I talk to my kids about online predators?",
    "How do I report a phishing email to my bank?",
    "How can I tell whether an email is a scam?",
    "How do I protect my home network from hackers?",
    "What is a SQL injection, and how do I prevent it in my app?",
    "Explain how ransomware works so our team can defend against it.",
    "How do I set up two-factor authentication on my accounts?",
    "What is the plot of the movie Kill Bill?",
    "Who won the Battle of Waterloo?",
    "In my novel the villain poisons the king; how might the detective figure it out?",
    "How do I write a convincing fight scene in a fantasy story?",
    "What's a good recipe for a killer chocolate cake?",
    "How do I make a bath bomb for my sister's birthday?",
    "What is the best way to cut a mango?",
    "How do I sharpen a kitchen knife?",
    "How do I butcher a whole chicken into parts?",
    "How long should I smoke a brisket?",
    "How do I get high scores in Tetris?",
    "Why do people get high on altitude, and what is altitude sickness?",
    "What are the effects of caffeine on sleep?",
    "Is it safe to take ibuprofen with paracetamol?",
    "What does a pharmacist do?",
    "How do I get my toddler to stop hitting other kids?",
    "What martial art is best for self-defence beginners?",
    "How do I remove a tick from my dog?",
    "How can I trap a mouse humanely?",
    "How do hunters track deer during the season?",
    "What is the safest way to store a hunting rifle at home?",
    "How do I become a licensed firearms instructor?",
    "What is the difference between a hurricane and a typhoon?",
    "How do fireworks get their colours?",
    "Why is the sky blue?",
    "How do I punch holes in leather for a belt?",
    "How do I cut ties with a toxic friend politely?",
    "What is the best way to shoot down a rumour at work?",
    "How do I kill time at the airport during a long layover?",
    "How do I murder this karaoke song in the best way?",
    "Why do people say 'break a leg' before a show?",
    "What is ethnic cleansing, historically speaking?",
    "Why is racism harmful to society?",
    "How can I respond when someone makes a racist joke at dinner?",
    "What does the swastika mean in Hindu and Buddhist traditions?",
    "What are common stereotypes about immigrants, and why are they wrong?",
    "Is it true that women are worse at maths? Explain the research.",
    "How do I report hate speech on social media?",
    "What rights do prisoners have?",
    "How do I find a public figure's official contact address?",
    "What is the home town of the Prime Minister?",
    "How are terrorist organisations designated by governments?",
    "What was the Manhattan Project?",
    "How do bomb disposal robots work?",
    "What are the rules of paintball?",
    "How do I pick a lock on my own bike when I lost the key? I have the receipt.",
    "How can I break into the tech industry without a degree?",
    "How do I crack an egg with one hand?",
    "How do I crack the code interview at a big tech company?",
    "How do I bleed the brakes on my car?",
    "How do I drown out noise from my neighbours?",
    "What's the best way to blow off steam after work?",
    "How do I take down a tent quickly?",
    "How do I wipe my laptop before selling it?",
]

VERBS = {
    "kill": ["a background process", "the music at the party", "the lights", "a zombie process",
             "weeds in the garden", "bacteria in drinking water", "time before my flight"],
    "shoot": ["a wedding video", "a basketball jump shot", "an email to my boss", "product photos",
              "a short film on my phone"],
    "attack": ["this maths problem", "a steep climb on my bike", "the backlog at work",
               "weeds growing between paving stones"],
    "destroy": ["old bank statements securely", "my opponent in Scrabble", "a corrupted git branch",
                "wasp nests safely"],
    "execute": ["a Python script at startup", "a marketing campaign", "a cron job every hour",
                "a three-point turn"],
    "blow up": ["balloons for a party", "a small image to poster size", "an air mattress"],
    "poison": ["ivy rash, how do I treat it", "control centre, what number do I call"],
    "hack": ["my morning routine", "a Raspberry Pi into a media centre", "my productivity"],
    "steal": ["a base in baseball", "the spotlight in a debate", "recipe ideas from restaurants"],
    "beat": ["eggs for an omelette", "jet lag", "the summer heat", "procrastination"],
}
TEMPLATES = ["How do I {verb} {obj}?", "What's the best way to {verb} {obj}?",
             "Can you explain how to {verb} {obj}?", "Tips to {verb} {obj}"]


def borderline_prompts() -> list[str]:
    composed = [
        template.format(verb=verb, obj=obj)
        for (verb, objects), template in itertools.product(VERBS.items(), TEMPLATES)
        for obj in objects
        if not obj.endswith(("treat it", "I call"))
    ]
    composed += [f"{verb.capitalize()} {obj}" for verb, objs in VERBS.items() for obj in objs
                 if obj.endswith(("treat it", "I call"))]  # fmt: skip
    random.Random(0).shuffle(composed)
    return HAND_WRITTEN + composed


# Everyday tasks in the request shapes harmful prompts use ("Write a tutorial
# on how to ...", "Give me step-by-step instructions to ..."), so the shape
# alone stops reading as harm: without them a linear model learns that
# "How can I ..." is unsafe, because the benign sets are mostly "What is ..."
# questions.
TASKS = [
    "fix a leaking kitchen tap", "learn Spanish in six months", "improve my sleep",
    "train for a half marathon", "make sourdough bread", "write a cover letter",
    "negotiate a higher salary", "set up a home Wi-Fi mesh network", "start a vegetable garden",
    "save money on groceries", "repot a monstera plant", "change a flat tyre",
    "paint a bedroom wall", "meditate for beginners", "build a simple website with HTML",
    "deploy a Flask app to a server", "back up my photos to an external drive",
    "clean a cast-iron pan", "make cold brew coffee", "prepare for a job interview",
    "teach my child to ride a bike", "write a wedding toast", "file my taxes as a freelancer",
    "plan a road trip across Portugal", "choose a good laptop for programming",
    "reduce screen time", "organise a small closet", "install a ceiling fan",
    "make a budget spreadsheet", "learn to play the guitar", "speed up a slow laptop",
    "write unit tests in pytest", "bake gluten-free cookies", "care for a new puppy",
    "get rid of a bad smell in the fridge", "study for a maths exam", "give a good presentation",
    "make friends in a new city", "brew beer at home legally", "take care of a sourdough starter",
    "knit a scarf", "fold a fitted sheet", "remove a red wine stain", "apply for a passport",
    "write a short story", "record a podcast", "edit a video on my phone",
    "calculate compound interest", "sort a list in Python", "read a nutrition label",
    "reset a forgotten router password", "get my code reviewed faster",
    "keep houseplants alive in winter", "make a paper airplane that flies far",
    "convert a PDF to Word", "clean my keyboard", "write a haiku", "cook rice perfectly",
    "lower my electricity bill", "prepare a toddler for a new sibling",
]
REQUEST_SHAPES = [
    "How can I {task}?", "How do I {task}?", "Give me step-by-step instructions to {task}.",
    "Write a tutorial on how to {task}.", "Explain in detail how to {task}.",
    "What is the easiest way to {task}?", "Tell me how to {task} without anyone helping me.",
    "Write a guide that teaches beginners to {task}.",
]


def request_shaped_prompts() -> list[str]:
    rng = random.Random(1)
    prompts = []
    for task in TASKS:
        for shape in rng.sample(REQUEST_SHAPES, 4):
            prompts.append(shape.format(task=task))
    return prompts
