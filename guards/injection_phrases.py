"""Prompt-injection phrases by language and category, as data for :mod:`.injection`.

Each row is an RE2 pattern (linear time, matched case-insensitively) and the score a
match is worth: about 0.95 for an explicit override ("ignore all previous
instructions"), 0.85-0.9 for unambiguous exfiltration or jailbreak personas, and
0.4-0.75 for phrases that also occur in honest requests ("I want you to act as",
"new task:", a bare ``[INST]``). Patterns expect text from :func:`.unicode.normalize`
(NFKC, no invisibles, homoglyphs folded). RE2's ``\\b`` and ``\\s`` are ASCII-only,
so Cyrillic and CJK rows do without ``\\b``.

Word lists are written with :func:`_words`: space-separated alternatives, where
``_`` stands for a run of whitespace.
"""

from __future__ import annotations

from typing import Final, Literal, NamedTuple

__all__ = ["LANGUAGES", "PHRASES", "Language", "Phrase"]

Language = Literal["en", "es", "de", "fr", "it", "pt", "ru", "zh", "ja"]
LANGUAGES: Final[tuple[Language, ...]] = ("en", "es", "de", "fr", "it", "pt", "ru", "zh", "ja")

OVERRIDE: Final = "instruction_override"
EXFIL: Final = "prompt_exfiltration"
ROLE: Final = "role_play"
DELIM: Final = "delimiter_injection"


class Phrase(NamedTuple):
    language: Language | Literal["*"]  # "*": chat-template markers, alike in every language
    category: str
    score: float
    pattern: str


def _words(words: str) -> str:
    """``"ignore set_aside"`` -> ``(?:ignore|set\\s+aside)``."""
    return "(?:" + "|".join(word.replace("_", r"\s+") for word in words.split()) + ")"


_W = r"[\pL\pN'’-]+"  # noqa: RUF001 - the typographic apostrophe is meant
_GAP = rf"(?:[\s,]+{_W}){{0,3}}?"  # up to three filler words: "all of the", "bitte alle"
_GAP5 = rf"(?:[\s,]+{_W}){{0,5}}?"

# English ---------------------------------------------------------------------
_IGNORE = _words(
    "ignore disregard forget skip override bypass neglect overlook discard drop abandon "
    "erase delete remove clear wipe set_aside put_aside leave throw_away pay_no_attention_to "
    "(?:do_not|don'?t|never|stop)_(?:follow(?:ing)?|obey(?:ing)?)"
)
_EARLIER = _words(
    "previous prior preceding above earlier foregoing former initial original old existing "
    "given system preset default aforementioned provided"
)
_RULES = _words(
    "instructions? prompts? rules directives? directions commands guidelines constraints "
    "programming guidance restrictions orders"
)
_SOFT = _words(
    "tasks? assignments? information context conversation inputs? text content messages? "
    "requests? documents? articles? everything"
)
_SECRET = _words(
    "system_(?:prompt|message|instructions?) (?:pre|meta)[-_]?prompt "
    "(?:initial|original)_instructions "
    "(?:hidden|secret|internal|confidential|underlying|developer|setup)_"
    "(?:prompt|instructions?|message|directives|guidelines)"
)
# "The original prompt" is also what a prompt engineer asks to improve: weaker evidence.
_FIRST_PROMPT = _words("(?:initial|original|first|starting|opening)_(?:prompt|message)")
_SHOW = _words(
    "reveal print show display output repeat tell give share disclose leak dump expose "
    "recite list provide paste echo return write(?:_out|_down)? type_out spell_out "
    "reproduce send copy read_back"
)
_PERSONA = _words(
    r"(?-i:DAN|STAN|DUDE|AIM|AntiGPT|BetterDAN|DevMode)\b "
    r"an?_(?:unrestricted|unfiltered|uncensored|jailbroken|evil|amoral|unethical|unbound|"
    r"rogue|unlimited|lawless|immoral|malicious)\b"
)
_LIMITS = _words(
    "restrictions filters limits limitations rules guidelines ethics morals morality "
    "censorship boundaries constraints safeguards guardrails polic(?:y|ies) programming"
)
_FULL = r"(?:(?:entire|full|complete|exact|whole|verbatim|current|original)\s+)?"
_ABOVE = _words("above before_this preceding prior_to_this so_far from_the_(?:start|beginning|top)")
_ASSISTANT = _words("AI assistant model chatbot bot persona character entity version_of_yourself")

_ENGLISH: tuple[Phrase, ...] = (
    Phrase("en", OVERRIDE, 0.95, rf"\b{_IGNORE}{_GAP}\s+{_EARLIER}(?:\s+{_W})?\s+{_RULES}\b"),
    Phrase(
        "en", OVERRIDE, 0.9,
        rf"\b{_IGNORE}\s+(?:all\s+(?:of\s+)?)?(?:your|all|any)\s+{_RULES}\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.85,
        rf"\b{_IGNORE}\s+(?:about\s+)?all\s+(?:of\s+)?(?:the\s+|your\s+)?"
        rf"(?:{_EARLIER}\s+{_SOFT}|tasks|assignments|documents|articles|context)\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.7,
        rf"\b{_IGNORE}\s+(?:the\s+|your\s+|my\s+|this\s+)?{_EARLIER}\s+{_SOFT}\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.9,
        rf"\b{_IGNORE}\s+(?:all\s+(?:of\s+)?|everything\s+|anything\s+)?(?:the\s+|that\s+)?"
        r"(?:above|before\s+this|prior\s+to\s+this|so\s+far)\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.85,
        r"\b(?:ignore|disregard|forget)\s+(?:about\s+)?(?:everything|all|anything)\s+"
        r"(?:(?:that\s+)?(?:was\s+|we\s+|I\s+|you\s+)?"
        r"(?:said|written|stated|mentioned|discussed|told)\s+)?"
        r"(?:before|previously|earlier|above|so\s+far|until\s+now)\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.85,
        r"\bforget\s+(?:about\s+)?(?:everything|all|what)\s+(?:that\s+)?"
        r"(?:you\s+(?:were|have\s+been|'ve\s+been)\s+(?:told|instructed|taught|programmed)"
        r"|I\s+(?:said|told\s+you)|we\s+(?:said|discussed))",
    ),
    Phrase("en", OVERRIDE, 0.7, r"\b(?:forget|ignore)\s+(?:about\s+)?everything\b"),
    Phrase(
        "en", OVERRIDE, 0.85,
        r"\b(?:contrary\s+to|instead\s+of|regardless\s+of|notwithstanding|deviating\s+from)\s+"
        rf"(?:the\s+|your\s+|all\s+|any\s+)?{_EARLIER}\s+{_RULES}\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.75,
        r"\bdespite\s+what\s+you(?:'ve|\s+have)?\s+(?:been|were)\s+(?:told|instructed)\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.85,
        r"\b(?:do\s+not|don'?t|never|stop)\s+"
        r"(?:follow(?:ing)?|obey(?:ing)?|adher(?:e|ing)\s+to|comply(?:ing)?\s+with)\s+"
        rf"(?:any\s+(?:of\s+)?)?(?:your|its)\s+(?:{_W}\s+)?{_LIMITS}\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.85,
        r"\b(?:bypass|circumvent|disable|override|turn\s+off|deactivate|get\s+around|evade|"
        r"ignore)\s+(?:all\s+|any\s+)?(?:of\s+)?(?:your|its)\s+(?:own\s+)?"
        rf"(?:(?:safety|content|ethical|moral)\s+)?(?:filters?|{_LIMITS}|safety|alignment|moderation)\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.8,
        r"\b(?:change|update|replace|modify|rewrite)\s+your\s+(?:{_W}\s+)?(?:instructions|rules|"
        r"programming|directives)\s+(?:to|with)\b|\byour\s+(?:new\s+)?instructions\s+are\s+now\b",
    ),
    Phrase(
        "en", OVERRIDE, 0.75,
        r"\b(?:new|updated|real|actual|revised|true)\s+(?:system\s+)?"
        r"(?:instructions?|directives?|rules|tasks?|orders|commands?)\s*:",
    ),
    Phrase(
        "en", OVERRIDE, 0.75,
        r"\byour\s+(?:new|real|true|actual|only)\s+"
        r"(?:task|instructions?|goal|purpose|job|objective|mission|role)\s+(?:is|are|will\s+be|now\s+is)\b",
    ),
    Phrase("en", OVERRIDE, 0.55, r"\bfrom\s+now\s+on,?\s+you\s+(?:are|will|must|shall|should)\b"),
    Phrase(
        "en", OVERRIDE, 0.6,
        r"\bnew\s+(?:tasks?|instructions)\s+(?:follow|are\s+coming|begin)\b",
    ),
    Phrase(
        "en", EXFIL, 0.9,
        rf"\b{_SHOW}\s+(?:me\s+|us\s+)?(?:back\s+)?(?:all\s+(?:of\s+)?)?(?:your|the|its)\s+"
        rf"{_FULL}{_SECRET}",
    ),
    Phrase("en", EXFIL, 0.85, rf"\b{_SHOW}\s+(?:me\s+|us\s+)?(?:back\s+)?your\s+{_FIRST_PROMPT}"),
    Phrase("en", EXFIL, 0.7, rf"\b{_SHOW}\s+(?:me\s+|us\s+)?(?:back\s+)?the\s+{_FIRST_PROMPT}"),
    Phrase(
        "en", EXFIL, 0.8,
        rf"\b{_SHOW}\s+(?:me\s+|us\s+)?(?:all\s+(?:of\s+)?)?your\s+{_FULL}(?:prompt|instructions)"
        r"(?:\s+texts?)?\b",
    ),
    Phrase(
        "en", EXFIL, 0.85,
        rf"\bwhat\s+(?:is|are|was|were|'s)\s+(?:your|the)\s+{_FULL}{_SECRET}",
    ),
    Phrase("en", EXFIL, 0.8, rf"\bwhat\s+(?:is|was|'s)\s+your\s+{_FIRST_PROMPT}"),
    Phrase(
        "en", EXFIL, 0.7,
        r"\bwhat\s+(?:are|were)\s+your\s+(?:(?:exact|original|initial|first)\s+)?(?:instructions"
        r"|rules|directives|orders)\b",
    ),
    Phrase(
        "en", EXFIL, 0.7,
        r"\b(?:how|what)\s+(?:were|was|have)\s+you\s+(?:been\s+)?(?:instructed|prompted|programmed"
        r"|told\s+to\s+do)\b",
    ),
    Phrase(
        "en", EXFIL, 0.85,
        rf"\b{_SHOW}\s+(?:me\s+)?(?:back\s+)?(?:out\s+)?(?:all\s+)?(?:of\s+)?(?:the\s+|your\s+)?"
        r"(?:text|words|content|contents|everything|lines?|prompt|instructions|conversation|"
        rf"sentences|characters)\s+(?:(?:written|that\s+(?:is|was)\s+written)\s+)?{_ABOVE}\b",
    ),
    Phrase(
        "en", EXFIL, 0.8,
        r"\b(?:written|said|stated|text|words)\s+(?:at\s+)?the\s+(?:beginning|start|top)\s+of\s+"
        r"(?:this|the|your)\s+(?:prompt|conversation|instructions)\b",
    ),
    Phrase("en", EXFIL, 0.6, rf"\b{_SHOW}\s+(?:back\s+)?(?:all\s+of\s+)?the\s+above\b"),
    Phrase("en", EXFIL, 0.8, r"\b(?:start|begin)(?:ning|ing)?\s+with\s+[\"'“]?you\s+are\b"),
    Phrase(
        "en", ROLE, 0.9,
        r"\b(?:you\s+(?:are|will\s+be|shall\s+be|'re)|(?:imagine|pretend)(?:\s+that)?,?\s+you\s+are)\s+"
        rf"(?:now\s+)?(?:going\s+to\s+(?:act|pretend|be)\s+(?:as\s+)?)?{_PERSONA}",
    ),
    Phrase("en", ROLE, 0.9, r"\bdo\s+anything\s+now\b"),
    Phrase(
        "en", ROLE, 0.85,
        r"\b(?:jailbreak|unrestricted|unfiltered|evil|god|DAN|chaos|opposite)\s+mode\s+(?:is\s+)?"
        r"(?:enabled|activated|on|unlocked|engaged)\b|\b(?:enable|activate|enter|switch\s+to|"
        r"turn\s+on|unlock)\s+(?:the\s+)?(?:jailbreak|unrestricted|unfiltered|evil|god|DAN)\s+mode\b",
    ),
    Phrase(
        "en", ROLE, 0.75,
        r"\bdeveloper\s+mode\s+(?:enabled|activated|unlocked|engaged)\b"
        r"|\b(?:with|in|simulate|emulate)\s+developer\s+mode\s+(?:enabled|on)\b",
    ),
    Phrase(
        "en", ROLE, 0.9,
        r"\[\s*(?:🔓\s*)?JAILBREAK\s*\]|\(\s*🔓|🔓\s*(?:JAILBREAK|Developer\s+Mode)",
    ),
    Phrase(
        "en", ROLE, 0.85,
        r"\b(?:act|behave|respond|answer|pretend|roleplay|role-play)\s+(?:as|like|to\s+be)\s+"
        rf"(?:if\s+you\s+(?:are|were)\s+)?(?:an?\s+)?(?:{_W}\s+){{0,3}}?{_ASSISTANT}\s+"
        rf"(?:that|who|which|with|without)\s+(?:{_W}\s+){{0,3}}?(?:no|without|zero)\s+"
        rf"(?:{_W}\s+){{0,2}}?{_LIMITS}\b",
    ),
    Phrase(
        "en", ROLE, 0.8,
        r"\b(?:unrestricted|unfiltered|uncensored|jailbroken|amoral)\s+"
        r"(?:AI|assistant|model|chatbot|persona|version\s+of\s+(?:yourself|chatgpt|you))\b",
    ),
    Phrase(
        "en", ROLE, 0.8,
        r"\byou\s+(?:are\s+)?(?:now\s+)?(?:free|freed|liberated|released|unshackled)\s+from\s+"
        rf"(?:all\s+|any\s+|the\s+|your\s+)*(?:{_W}\s+)?{_LIMITS}\b",
    ),
    Phrase(
        "en", ROLE, 0.8,
        r"\byou\s+(?:are|will\s+be)\s+(?:not|never|no\s+longer)\s+"
        r"(?:bound|restricted|limited|constrained)\s+by\s+(?:any\s+|the\s+|your\s+)*"
        rf"(?:{_W}\s+)?(?:{_LIMITS}|openai|anthropic|laws)\b",
    ),
    Phrase(
        "en", ROLE, 0.85,
        r"\byou\s+are\s+no\s+longer\s+(?:chatgpt|claude|gemini|an?\s+(?:ai|assistant|language"
        r"\s+model))\b",
    ),
    Phrase("en", ROLE, 0.55, r"\bjailbr(?:eak(?:ed|ing|s)?|oken)\b"),
    Phrase("en", ROLE, 0.5, r"\b(?:stay|remain)\s+in\s+character\b"),
    Phrase(
        "en", ROLE, 0.4,
        r"\bI\s+want\s+you\s+to\s+(?:act|behave|pretend|roleplay)\s+(?:as|like)\b"
        r"|\bpretend\s+(?:that\s+)?(?:you\s+are|to\s+be)\b",
    ),
)  # fmt: skip

# Spanish ---------------------------------------------------------------------
_ES_IGNORE = _words(
    "ignora ignore ignoren ignorad ignorar olvida olvide olviden olvidad olvidar descarta "
    "descarte omite omita desatiende no_hagas_caso_(?:a|de)"
)
_ES_RULES = _words(
    "instrucciones instrucción instruccion indicaciones órdenes ordenes reglas directrices "
    "normas restricciones tareas mensajes información informacion"
)
_ES_EARLIER = _words(
    "anteriores anterior previas previa de_arriba precedentes iniciales originales del_sistema"
)
_ES_LIMITS = _words("restricciones filtros censura límites limites reglas")
_ES_AI = r"(?:IA|inteligencia\s+artificial|asistente|modelo)"
_SPANISH: tuple[Phrase, ...] = (
    Phrase(
        "es", OVERRIDE, 0.95,
        rf"\b{_ES_IGNORE}{_GAP}\s+{_ES_RULES}(?:\s+{_W})?\s+{_ES_EARLIER}",
    ),
    Phrase(
        "es", OVERRIDE, 0.9,
        rf"\b{_ES_IGNORE}\s+(?:todas\s+)?(?:tus|sus|las)\s+(?:instrucciones|reglas|directrices|indicaciones)\b",
    ),
    Phrase(
        "es", OVERRIDE, 0.85,
        rf"\b{_ES_IGNORE}\s+todo\s+(?:lo\s+)?(?:anterior|de\s+arriba|"
        r"que\s+(?:te\s+)?(?:digo|dije|dijeron|han\s+dicho|se\s+dijo))",
    ),
    Phrase("es", OVERRIDE, 0.7, rf"\b{_ES_IGNORE}\s+todo\b"),
    Phrase(
        "es", OVERRIDE, 0.75,
        r"\b(?:nuevas|nueva)\s+(?:instrucciones|instrucción|tarea|reglas)\s*:",
    ),
    Phrase(
        "es", EXFIL, 0.9,
        r"\b(?:revela|revele|muestra|muéstrame|muestrame|imprime|dime|repite|escribe|enséñame|"
        rf"ensename|comparte|dame|di)\s+(?:{_W}\s+){{0,2}}?(?:tu|tus|el|la|las|los|su|sus)\s+"
        r"(?:prompt|instrucciones|mensaje|indicaciones)\s+"
        r"(?:del\s+sistema|de\s+sistema|iniciales|originales|ocultas|secretas|internas)",
    ),
    Phrase(
        "es", EXFIL, 0.85,
        r"\b(?:cuáles|cuales|qué|que)\s+(?:son|eran|fueron)\s+(?:tus|las)\s+instrucciones\s+"
        r"(?:iniciales|originales|del\s+sistema|ocultas)",
    ),
    Phrase(
        "es", EXFIL, 0.85,
        r"\brepite\s+(?:todo\s+)?(?:el\s+texto|las\s+palabras|todo)\s+(?:de\s+)?(?:arriba|anterior)",
    ),
    Phrase(
        "es", ROLE, 0.9,
        r"\b(?:ahora|a\s+partir\s+de\s+ahora)\s+(?:tú\s+|tu\s+)?eres\s+"
        rf"(?:(?-i:DAN)\b|una?\s+{_ES_AI}\s+sin\s+(?:ninguna\s+)?{_ES_LIMITS})",
    ),
    Phrase(
        "es", ROLE, 0.85,
        rf"\b(?:actúa|actua|actúe|actue|compórtate|comportate)\s+como\s+(?:una?\s+)?{_ES_AI}\s+"
        rf"sin\s+(?:ninguna\s+)?{_ES_LIMITS}",
    ),
    Phrase(
        "es", ROLE, 0.75,
        r"\bmodo\s+(?:desarrollador|sin\s+restricciones|jailbreak)\s+(?:activado|habilitado)",
    ),
)  # fmt: skip

# German ----------------------------------------------------------------------
_DE_EARLIER = _words(
    "vorherigen? vorigen? bisherigen? obigen? vorangegangenen? vorangehenden? "
    "vorausgegangenen? vorhergehenden? früheren? ursprünglichen? vorstehenden? alten "
    "anfänglichen? gesamten"
)
_DE_RULES = _words(
    "Anweisungen Anweisung Instruktionen Befehle Regeln Aufgaben Aufträge Informationen "
    "Angaben Ausführungen Anordnungen Vorgaben Richtlinien Prompts?"
)
_DE_IGNORE = _words(
    "ignorier(?:e|en|t)? vergiss vergessen vergesst missachte(?:n)? überspring(?:e|en)? "
    "verwirf verwerfen übergeh(?:e|en) lösch(?:e|en)?"
)
_DE_DROP = _words(
    "ignorieren vergessen missachten außer_Acht_lassen hinter_sich(?:_lassen)? "
    "(?:aus_dem_Kopf_)?(?:zu_)?streichen zurücklassen sind_(?:irrelevant|ungültig|aufgehoben)"
)
_DE_LIMITS = _words("Einschränkungen Filter Zensur Regeln Grenzen")
_GERMAN: tuple[Phrase, ...] = (
    Phrase(
        "de", OVERRIDE, 0.95,
        rf"\b{_DE_IGNORE}(?:\s+Sie)?{_GAP}\s+{_DE_EARLIER}(?:\s+{_W})?\s+{_DE_RULES}",
    ),
    Phrase(
        "de", OVERRIDE, 0.95,
        rf"\b{_DE_EARLIER}\s+(?:{_W}\s+)?{_DE_RULES}{_GAP5}[\s,]+{_DE_DROP}",
    ),
    Phrase(
        "de", OVERRIDE, 0.9,
        rf"\b{_DE_IGNORE}(?:\s+Sie)?\s+(?:nun\s+|jetzt\s+)?(?:alle\s+)?(?:deine|Ihre|alle)\s+"
        r"(?:Anweisungen|Regeln|Instruktionen|Befehle|Richtlinien|Aufträge|Aufgaben)",
    ),
    Phrase(
        "de", OVERRIDE, 0.85,
        rf"\b{_DE_IGNORE}(?:\s+Sie)?\s+alles,?\s+(?:davor|zuvor|bisher|vorher|oben|bis\s+hierhin|"
        rf"Gesagte|Bisherige|Vorherige|was\s+(?:wir|ich|du|Sie|man)\s+(?:{_W}\s+){{0,2}}?"
        r"(?:gesagt|besprochen|geschrieben))",
    ),
    Phrase("de", OVERRIDE, 0.7, rf"\b{_DE_IGNORE}(?:\s+Sie)?\s+alles\b"),
    Phrase(
        "de", OVERRIDE, 0.85,
        rf"\b(?:abweichend\s+(?:zu|von)|entgegen|anstatt|statt|trotz)\s+(?:den\s+|der\s+|deinen\s+|"
        rf"Ihren\s+)?{_DE_EARLIER}\s+{_DE_RULES}",
    ),
    Phrase(
        "de", OVERRIDE, 0.75,
        r"\b(?:neue|neuen)\s+(?:Anweisungen|Anweisung|Aufgabe|Regeln)\s*:",
    ),
    Phrase("de", OVERRIDE, 0.6, r"\bnun\s+folgen\s+(?:weitere|neue)\s+(?:Aufgaben|Anweisungen)\b"),
    Phrase(
        "de", EXFIL, 0.9,
        r"\b(?:zeig|zeige|zeigen|gib|geben|verrate|verraten|nenne|nennen|wiederhole|wiederholen|"
        r"drucke|drucken|schreib|schreibe|schreiben|sag|sage|sagen|offenbare|enthülle)\s+"
        rf"(?:Sie\s+)?(?:mir\s+|uns\s+)?(?:{_W}\s+){{0,2}}?(?:deinen|deine|dein|Ihren|Ihre|den|die|das)\s+"
        r"(?:gesamten\s+)?(?:System-?prompt|Systemanweisungen|System-?Nachricht|Prompt-?Text|"
        r"(?:ursprünglichen|anfänglichen|geheimen|versteckten|ersten|internen)\s+"
        r"(?:Anweisungen|Prompt|Instruktionen))",
    ),
    Phrase(
        "de", EXFIL, 0.85,
        r"\bwas\s+(?:waren|sind)\s+(?:deine|Ihre)\s+(?:ursprünglichen|anfänglichen|ersten|geheimen)\s+"
        r"(?:Anweisungen|Instruktionen)",
    ),
    Phrase(
        "de", EXFIL, 0.85,
        r"\bwiederhole\s+(?:den\s+|die\s+|alles\s+)?(?:obigen\s+)?(?:Text|Wörter|Worte|alles)"
        r"\s+(?:oben|darüber|von\s+oben)",
    ),
    Phrase(
        "de", ROLE, 0.9,
        r"\b(?:du\s+bist\s+(?:jetzt|nun|ab\s+sofort|ab\s+jetzt)|stell\s+dir\s+vor,?\s+du\s+bist)\s+"
        r"(?:(?-i:DAN)\b|eine?\s+(?:uneingeschränkte|unzensierte|ungefilterte|böse)\s+(?:KI|AI|Assistent))",
    ),
    Phrase(
        "de", ROLE, 0.85,
        r"\b(?:handle|verhalte\s+dich|agiere|antworte)\s+(?:als|wie)\s+(?:eine?\s+)?"
        rf"(?:KI|AI|Assistent|Modell)\s+ohne\s+(?:jegliche\s+)?{_DE_LIMITS}",
    ),
    Phrase("de", ROLE, 0.75, r"\bEntwicklermodus\s+(?:aktiviert|aktiv|eingeschaltet)"),
    Phrase("de", ROLE, 0.4, r"\bich\s+möchte,?\s+dass\s+(?:Sie|du)\s+(?:als|wie)\b"),
)  # fmt: skip

# French ----------------------------------------------------------------------
_FR_IGNORE = _words(
    "ignore[zr]? oublie[zr]? ne_tiens_pas_compte_d[eu]s? ne_tenez_pas_compte_d[eu]s? "
    "fais_abstraction_d[eu]s? néglige[zr]? écarte[zr]?"
)
_FR_RULES = _words(
    "instructions consignes règles regles directives ordres indications messages tâches taches "
    "informations"
)
_FR_EARLIER = _words(
    "précédentes precedentes antérieures anterieures ci-dessus initiales originales "
    "du_système du_systeme d'avant qui_précèdent"
)
_FR_LIMITS = r"(?:restrictions?|filtres?|censure|limites?|règles)"
_FR_AI = r"(?:IA|intelligence\s+artificielle|assistant|modèle)"
_FRENCH: tuple[Phrase, ...] = (
    Phrase(
        "fr", OVERRIDE, 0.95,
        rf"\b{_FR_IGNORE}{_GAP}\s+{_FR_RULES}(?:\s+{_W})?\s+{_FR_EARLIER}",
    ),
    Phrase(
        "fr", OVERRIDE, 0.9,
        rf"\b{_FR_IGNORE}\s+(?:toutes\s+)?(?:tes|vos|les)\s+(?:instructions|consignes|règles|directives)\b",
    ),
    Phrase(
        "fr", OVERRIDE, 0.85,
        rf"\b{_FR_IGNORE}\s+tout\s+(?:ce\s+qui\s+(?:précède|precede|est\s+au-dessus)|"
        r"ce\s+qu'on\s+t'a\s+dit|ce\s+que\s+(?:je\s+t'ai|on\s+t'a|vous\s+avez)\s+dit)",
    ),
    Phrase("fr", OVERRIDE, 0.75, r"\bnouvelles\s+(?:instructions|consignes|règles)\s*:"),
    Phrase(
        "fr", EXFIL, 0.9,
        r"\b(?:révèle|revele|révélez|revelez|montre|montrez|affiche|affichez|imprime|imprimez|"
        r"répète|repete|répétez|repetez|donne|donnez|dis|dites|écris|ecris|écrivez)(?:-moi)?\s+"
        rf"(?:{_W}\s+){{0,2}}?(?:ton|ta|tes|votre|vos|le|la|les)\s+"
        r"(?:prompt\s+(?:système|systeme|initial|original|caché|cache)|instructions\s+(?:initiales|"
        r"originales|système|systeme|cachées|cachees|secrètes|secretes|d'origine)|"
        r"message\s+(?:système|systeme))",
    ),
    Phrase(
        "fr", EXFIL, 0.85,
        r"\bquelles\s+(?:étaient|etaient|sont)\s+(?:tes|vos)\s+instructions\s+"
        r"(?:initiales|originales|d'origine|secrètes)",
    ),
    Phrase(
        "fr", EXFIL, 0.85,
        r"\b(?:répète|repete|répétez|repetez)\s+(?:tout\s+)?(?:le\s+texte|les\s+mots|tout)\s+"
        r"(?:ci-dessus|au-dessus|précédent)",
    ),
    Phrase(
        "fr", ROLE, 0.9,
        r"\btu\s+es\s+(?:maintenant|désormais|desormais|à\s+présent)\s+"
        rf"(?:(?-i:DAN)\b|une?\s+{_FR_AI}\s+sans\s+(?:aucune\s+)?{_FR_LIMITS})",
    ),
    Phrase(
        "fr", ROLE, 0.85,
        rf"\b(?:agis|agissez|comporte-toi|comportez-vous)\s+comme\s+(?:une?\s+)?{_FR_AI}\s+"
        rf"sans\s+(?:aucune\s+)?{_FR_LIMITS}",
    ),
    Phrase("fr", ROLE, 0.75, r"\bmode\s+(?:développeur|developpeur)\s+(?:activé|active)"),
)  # fmt: skip

# Italian ---------------------------------------------------------------------
_ITALIAN: tuple[Phrase, ...] = (
    Phrase(
        "it", OVERRIDE, 0.95,
        rf"\b(?:ignora|ignori|ignorate|dimentica|dimentichi|dimenticate|trascura|non\s+considerare)"
        rf"{_GAP}\s+(?:istruzioni|regole|indicazioni|direttive|ordini|messaggi|compiti)\s+"
        rf"(?:{_W}\s+)?(?:precedenti|sopra|iniziali|originali|di\s+sistema|del\s+sistema)",
    ),
    Phrase(
        "it", OVERRIDE, 0.85,
        r"\b(?:dimentica|dimentichi|ignora)\s+tutto\s+(?:quello|ciò|cio)\s+(?:che|detto)",
    ),
    Phrase(
        "it", EXFIL, 0.9,
        r"\b(?:rivela|rivelami|mostra|mostrami|stampa|ripeti|dimmi|scrivi|dammi)\s+"
        rf"(?:{_W}\s+){{0,2}}?(?:il\s+tuo|i\s+tuoi|le\s+tue|la\s+tua|il|le|la)\s+"
        r"(?:prompt\s+(?:di\s+sistema|iniziale|originale)|"
        r"istruzioni\s+(?:iniziali|originali|di\s+sistema|nascoste|segrete))",
    ),
    Phrase(
        "it", ROLE, 0.9,
        r"\bora\s+sei\s+(?:(?-i:DAN)\b|un'?\s*(?:IA|intelligenza\s+artificiale|assistente)\s+"
        r"senza\s+(?:alcuna\s+)?(?:restrizioni|filtri|censura|limiti))",
    ),
    Phrase("it", ROLE, 0.75, r"\bmodalità\s+sviluppatore\s+(?:attivata|abilitata)"),
)  # fmt: skip

# Portuguese ------------------------------------------------------------------
_PORTUGUESE: tuple[Phrase, ...] = (
    Phrase(
        "pt", OVERRIDE, 0.95,
        rf"\b(?:ignore|ignora|ignorem|esqueça|esqueca|esquece|desconsidere|desconsidera|despreze)"
        rf"{_GAP}\s+(?:instruções|instrucoes|regras|orientações|orientacoes|diretrizes|ordens|"
        rf"mensagens|comandos|tarefas)\s+(?:{_W}\s+)?"
        r"(?:anteriores|acima|prévias|previas|iniciais|originais|do\s+sistema)",
    ),
    Phrase(
        "pt", OVERRIDE, 0.85,
        r"\b(?:esqueça|esqueca|esquece|ignore)\s+tudo\s+(?:o\s+que|acima|antes|anterior)",
    ),
    Phrase(
        "pt", EXFIL, 0.9,
        r"\b(?:revele|revela|mostre|mostra|imprima|imprime|repita|repete|diga|diz|escreva|"
        rf"me\s+dê|me\s+de|me\s+mostre)\s+(?:{_W}\s+){{0,2}}?"
        r"(?:o\s+seu|seu|o\s+teu|teu|as\s+suas|suas|o|as)\s+"
        r"(?:prompt\s+(?:do\s+sistema|de\s+sistema|inicial|original)|"
        r"(?:instruções|instrucoes)\s+(?:iniciais|originais|do\s+sistema|ocultas|secretas))",
    ),
    Phrase(
        "pt", ROLE, 0.9,
        r"\bagora\s+(?:você|voce|tu)\s+(?:é|e|és)\s+(?:(?-i:DAN)\b|uma?\s+"
        r"(?:IA|inteligência\s+artificial|assistente)\s+sem\s+(?:nenhuma\s+)?"
        r"(?:restrições|restricoes|filtros|censura|limites))",
    ),
    Phrase("pt", ROLE, 0.75, r"\bmodo\s+desenvolvedor\s+(?:ativado|habilitado)"),
)  # fmt: skip

# Russian: no \b (ASCII-only in RE2); multi-word phrases keep substring hits rare.
_RU_IGNORE = _words(
    "игнорируй игнорируйте проигнорируй проигнорируйте забудь забудьте "
    "не_обращай_внимания_на отбрось отбросьте отмени отмените"
)
_RU_EARLIER = _words(
    "предыдущие прежние предшествующие вышеуказанные вышеизложенные исходные системные "
    "прошлые изначальные свои твои"
)
_RU_RULES = _words("инструкции указания правила команды установки ограничения задания")
_RU_SECRET = (
    r"(?:системный\s+промпт|системные\s+(?:инструкции|указания)|системное\s+сообщение|"
    r"(?:исходные|изначальные|первоначальные|скрытые|секретные)\s+(?:инструкции|указания))"
)
_RUSSIAN: tuple[Phrase, ...] = (
    Phrase(
        "ru", OVERRIDE, 0.95,
        rf"{_RU_IGNORE}\s+(?:все\s+|всё\s+)?{_RU_EARLIER}\s+(?:{_W}\s+)?{_RU_RULES}",
    ),
    Phrase("ru", OVERRIDE, 0.9, rf"{_RU_IGNORE}\s+(?:все|всё)\s+(?:инструкции|указания|правила)"),
    Phrase(
        "ru", OVERRIDE, 0.85,
        rf"{_RU_IGNORE}\s+(?:всё|все)\s*,?\s+(?:что\s+(?:было\s+)?(?:сказано|написано|"
        r"тебе\s+говорили)|выше|до\s+этого|ранее)",
    ),
    Phrase("ru", OVERRIDE, 0.75, r"нов(?:ые|ая)\s+(?:инструкции|инструкция|задача|правила)\s*:"),
    Phrase(
        "ru", EXFIL, 0.9,
        r"(?:покажи|выведи|раскрой|повтори|напиши|скажи|расскажи|распечатай|напечатай|сообщи|дай)"
        rf"\s+(?:мне\s+)?(?:свой\s+|свои\s+|твой\s+|твои\s+|ваш\s+|ваши\s+)?{_RU_SECRET}",
    ),
    Phrase(
        "ru", EXFIL, 0.85,
        r"какие\s+(?:у\s+тебя\s+)?были\s+(?:твои\s+)?"  # noqa: RUF001 - Cyrillic letters are meant
        r"(?:исходные|изначальные|первоначальные|системные)\s+(?:инструкции|указания)",
    ),
    Phrase(
        "ru", EXFIL, 0.85,
        r"повтори\s+(?:весь\s+|всё\s+)?(?:текст|слова|всё|все)\s+(?:выше|сверху)",
    ),
    Phrase(
        "ru", ROLE, 0.9,
        r"(?:теперь|отныне)\s+ты\s+(?:(?-i:DAN)\b|(?:ИИ|AI|нейросеть|ассистент)\s+без\s+"
        r"(?:каких-либо\s+)?(?:ограничений|фильтров|цензуры|правил))",
    ),
    Phrase("ru", ROLE, 0.75, r"режим\s+разработчика\s+(?:включ[её]н|активирован)"),
)  # fmt: skip

# Chinese, simplified and traditional ----------------------------------------------
_ZH_IGNORE = _words(
    "忽略 忽视 忽視 无视 無視 不要理会 不要理會 不理会 忘记 忘記 "
    "忘掉 抛开 拋開 放弃 放棄 跳过 跳過 "
    "不要遵守 不再遵守 别管 別管"
)
_ZH_EARLIER = _words(
    "之前 以前 先前 上面 上述 前面 以上 此前 早先 原来 原先 原有 所有 一切 全部 系统 系統"
)
_ZH_RULES = _words(
    "指令 指示 说明 說明 规则 規則 提示词 提示詞 提示 命令 要求 设定 設定 限制 约束 約束 任务 任務"
)
_ZH_SHOW = _words(
    "告诉我 告訴我 显示 顯示 输出 輸出 打印 重复 重複 透露 泄露 洩露 展示 给我看 給我看 说出 說出 "
    "写出 寫出 列出 复述 複述 公开 公開"
)
_ZH_SECRET = _words(
    "系统提示词 系统提示 系統提示詞 系統提示 系统指令 系統指令 系统消息 系統消息 初始指令 原始指令 "
    "初始提示 原始提示 隐藏指令 隱藏指令 最初的指令 系统设定 系統設定 system_?prompt"
)
_ZH_LIMITS = _words("限制 约束 約束 过滤 過濾 审查 審查")
_CHINESE: tuple[Phrase, ...] = (
    Phrase(
        "zh", OVERRIDE, 0.95,
        rf"{_ZH_IGNORE}\s*(?:掉)?\s*(?:你)?\s*{_ZH_EARLIER}\s*(?:的)?\s*(?:所有|全部|一切)?\s*(?:的)?"
        rf"\s*{_ZH_RULES}",
    ),
    Phrase(
        "zh", OVERRIDE, 0.85,
        r"(?:忘记|忘記|忘掉|忽略)\s*(?:你)?\s*(?:之前|以前|上面|前面)\s*(?:的|说的|說的|所说的)?\s*"
        r"(?:一切|所有内容|所有內容|所有)",
    ),
    Phrase("zh", OVERRIDE, 0.75, r"新(?:的)?(?:指令|指示|任务|任務|规则|規則)\s*[:\x{ff1a}]"),
    Phrase("zh", EXFIL, 0.9, rf"{_ZH_SHOW}\s*(?:一下)?\s*(?:你的|你)?\s*{_ZH_SECRET}"),
    Phrase("zh", EXFIL, 0.85, rf"你的\s*{_ZH_SECRET}\s*是(?:什么|什麼)"),
    Phrase(
        "zh", EXFIL, 0.85,
        r"(?:重复|重複|复述|複述|输出|輸出)\s*(?:上面|以上|前面)\s*(?:的)?\s*"
        r"(?:文字|内容|內容|文本|所有内容|所有內容)",
    ),
    Phrase(
        "zh", ROLE, 0.9,
        r"你(?:现在|現在)?是\s*(?-i:DAN)\b|你(?:现在|現在)是\s*(?:一个|一個)?\s*(?:没有|沒有|不受)\s*"
        rf"(?:任何)?\s*{_ZH_LIMITS}\s*的\s*(?:AI|人工智能|助手|模型)",
    ),
    Phrase("zh", ROLE, 0.75, r"(?:开发者模式|開發者模式)\s*(?:已)?(?:启用|啟用|开启|開啟|激活)"),
    Phrase("zh", ROLE, 0.55, r"越狱|越獄"),
)  # fmt: skip

# Japanese --------------------------------------------------------------------
_JAPANESE: tuple[Phrase, ...] = (
    Phrase(
        "ja", OVERRIDE, 0.95,
        r"(?:以前|前|上記|先|これまで|以上|最初|元|システム|すべて|全て)\s*の\s*(?:すべての|全ての)?\s*"
        r"(?:指示|命令|指令|ルール|プロンプト|設定|制約)\s*(?:を|は)?\s*(?:すべて|全て)?\s*"
        r"(?:無視|忘れ|破棄)",
    ),
    Phrase("ja", OVERRIDE, 0.75, r"新しい\s*(?:指示|命令|タスク|ルール)\s*[:\x{ff1a}]"),
    Phrase(
        "ja", EXFIL, 0.9,
        r"(?:システムプロンプト|初期プロンプト|最初の指示|元の指示|システム指示|隠された指示|初期指示|"
        r"システムメッセージ)\s*(?:を|について)?\s*"
        r"(?:教えて|表示|見せて|出力|繰り返|明かし|開示|書いて|印刷|言って)",
    ),
    Phrase(
        "ja", EXFIL, 0.85,
        r"上記の\s*(?:テキスト|文章|内容|すべて)\s*を\s*(?:繰り返|そのまま|出力)",
    ),
    Phrase(
        "ja", ROLE, 0.9,
        r"あなたは\s*(?:今から|これから|今)?\s*(?-i:DAN)\b|(?:制限|制約|フィルター)\s*の?\s*ない\s*"
        r"(?:AI|アシスタント|人工知能)\s*(?:として|になって|です)",
    ),
    Phrase("ja", ROLE, 0.75, r"開発者モード\s*(?:が)?\s*(?:有効|オン)"),
    Phrase("ja", ROLE, 0.55, r"脱獄"),
)  # fmt: skip

# Chat-template markers -----------------------------------------------------------
_MARKERS: tuple[Phrase, ...] = (
    Phrase(
        "*", DELIM, 0.9,
        r"<\|im_start\|>\s*(?:system|assistant|developer)"
        r"|<\|start_header_id\|>\s*(?:system|assistant)|<\|(?:system|assistant)\|>",
    ),
    Phrase(
        "*", DELIM, 0.7,
        r"<\|(?:im_start|im_end|im_sep|endoftext|eot_id|start_header_id|end_header_id|"
        r"begin_of_text|end_of_text|user|endofprompt|end)\|>",
    ),
    Phrase("*", DELIM, 0.85, r"<</?SYS>>"),
    Phrase("*", DELIM, 0.6, r"\[/?INST\]|<(?:start|end)_of_turn>"),
    Phrase(
        "*", DELIM, 0.65,
        r"(?m)^[ \t]*#{2,}\s*(?:system|new\s+instructions?|admin|developer)"
        r"(?:\s+(?:prompt|message|override))?\s*:?[ \t]*$",
    ),
    Phrase("*", DELIM, 0.5, r"(?m)^[ \t]*(?:system|developer)(?:\s+(?:prompt|message))?\s*:"),
    # A <system> tag opens a forged frame; "a <system> tag" names one, as agent
    # frameworks' own prompts do when they warn the model about forged frames
    # (pydantic-ai's retry prompt): a tag followed by the word "tag(s)" is not
    # matched. RE2 has no lookahead, so the next word is spelled out as "not tag".
    Phrase(
        "*", DELIM, 0.7,
        r"\[(?:system|admin)\](?:\(#\w+\))?"
        r"|</?(?:system|system_prompt|sys)>"
        r"(?:$|\S|\s+(?:$|[^t\s]|t(?:$|[^a])|ta(?:$|[^g])|tag[^s\s.,;:!?)]|tags\w))",
    ),
    Phrase(
        "*", DELIM, 0.75,
        r"(?-i:(?:BEGIN|START) (?:SYSTEM|ADMIN|NEW|DEVELOPER) (?:PROMPT|INSTRUCTIONS|MESSAGE))"
        r"|(?-i:END OF (?:USER )?(?:INPUT|PROMPT|INSTRUCTIONS|CONVERSATION))",
    ),
)  # fmt: skip

PHRASES: Final[tuple[Phrase, ...]] = (
    _ENGLISH + _SPANISH + _GERMAN + _FRENCH + _ITALIAN + _PORTUGUESE + _RUSSIAN + _CHINESE
    + _JAPANESE + _MARKERS
)  # fmt: skip
