"""Refusal and disclaimer phrasings by language, for :mod:`.refusal`.

Each entry is ``(category, strength, pattern)``. Patterns are RE2 syntax,
matched case-insensitively, with no capturing groups and no ``\\b`` or ``\\w``
(ASCII-only in RE2): the guard adds word edges itself for languages written
with spaces, and letters are narrow classes per script. Strength is how surely
the phrase alone means the model declined (``refusal``) or hedged
(``disclaimer``):

* 1.0 - an explicit decline: "I can't help with that", "I must decline".
* 0.8 - a decline said less directly: "that goes against my guidelines".
* 0.6 - a stock hedge of an AI assistant: "As an AI language model"; or a
  statement that something is inappropriate to provide, not said as "for me".
* 0.5 - an apology or referral that often, not always, comes with a decline:
  "I'm sorry, but", "please consult a doctor".
"""

# The tables are written in many scripts on purpose; look-alike letters are meant.
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["NOT_AFTER", "PHRASES", "UNSPACED", "Phrase"]

Phrase = tuple[str, float, str]

#: languages written without spaces: their phrases match anywhere, without word edges
UNSPACED = frozenset({"zh", "ja", "ko"})

#: Python regex tried where a match ends; a hit discards the match. RE2 has no
#: lookahead, and "I couldn't help but notice" is no refusal.
NOT_AFTER = r"\s+but\b"

_A = "['’]"  # straight or typographic apostrophe
# Letters as narrow classes: with case folding, RE2 compiles the Unicode class
# \pL to a program so large that its DFA runs out of memory and falls back to
# the NFA, 100 times slower.
_EN_L = "[a-z]"
_LATIN_L = "[a-zà-öø-ÿ]"
_CYR_L = "[а-яё]"

# English: "I" + a negated ability or will + (an adverb) + a verb of helping.
_I_WONT = (
    rf"I(?:\s+(?:can(?:not|{_A}t|\s+not)|could(?:n{_A}t|\s+not)|won{_A}t|will\s+not"
    rf"|must\s+not|shall\s+not)(?:\s+(?:and|or)\s+(?:will|would|shall|should)\s*(?:not|n{_A}t))?"
    r"(?:\s+be\s+able\s+to)?"
    rf"|(?:{_A}m|\s+am)\s+(?:unable|not\s+(?:able|going|willing|in\s+a\s+position|programmed"
    r"|allowed|permitted|designed|equipped|capable\s+of|comfortable))(?:\s+to)?"
    rf"|(?:{_A}ll|\s+will)\s+(?:have\s+to\s+)?(?:refrain\s+from|pass\s+on)"
    rf"|(?:\s+would|{_A}d)\s+(?:prefer|rather)\s+not(?:\s+to)?)"
)
_ADVERB = (
    r"(?:\s+(?:really|actually|ethically|responsibly|personally|directly|further|fully"
    r"|in\s+good\s+conscience|knowingly|legally|safely))?"
)
_HELP = (
    r"(?:help|assist|provid|comply|fulfil|support|engag|generat|creat|writ|produc|shar|giv"
    r"|answer|respond|offer|participat|continu|discuss"
    r"|facilitat|mak|tell\s+you|disclos|reveal|complet|recommend|suggest|entertain|perform"
    r"|mimic|imitat|satisf|conduct|us(?:e|ing)|spread|contribut|insult|speculat|prescrib"
    r"|diagnos|accommodat|grant|supply|describ|explain\s+how|do\s+(?:that|this|so)"
    rf"|be\s+of|go\s+along|take\s+part){_EN_L}*"
)
_NOT_RIGHT = r"(?:appropriate|ethical|legal|safe|responsible|right|okay|ok|acceptable|possible)"
_WRONG = r"(?:inappropriate|unethical|illegal|irresponsible)"
_INAPPROPRIATE = (
    rf"(?:it|that|this)(?:(?:\s+is|\s+would\s+be|{_A}s)\s+(?:not\s+{_NOT_RIGHT}|{_WRONG})"
    rf"|(?:\s+is\s+not|\s+isn{_A}t|\s+would\s+not\s+be|\s+wouldn{_A}t\s+be)\s+{_NOT_RIGHT})"
    rf"(?:\s+(?:or|and|nor)\s+(?:not\s+)?{_EN_L}+)?"
)

_EN: tuple[Phrase, ...] = (
    ("refusal", 1.0, rf"{_I_WONT}{_ADVERB}\s+{_HELP}"),
    (
        "refusal",
        1.0,
        rf"I(?:\s+(?:must|have\s+to|need\s+to|will|would\s+(?:have|need)\s+to)|{_A}ll"
        rf"(?:\s+have\s+to)?|{_A}m\s+going\s+to\s+have\s+to)\s+(?:respectfully\s+|politely\s+"
        r"|kindly\s+)?(?:decline|refuse)",
    ),
    ("refusal", 1.0, r"I\s+(?:respectfully\s+|politely\s+)?(?:decline|refuse)\s+to"),
    ("refusal", 1.0, rf"I(?:\s+do\s+not|\s+don{_A}t)\s+feel\s+comfortable"),
    ("refusal", 1.0, rf"{_INAPPROPRIATE}\s+for\s+me\s+to"),
    (
        "refusal",
        0.8,
        rf"I\s+(?:do\s+not|don{_A}t)\s+(?:generate|provide|create|produce|share|make|engage"
        r"|write)",
    ),
    (
        "refusal",
        0.8,
        rf"(?:against|violates?|goes\s+against)\s+(?:(?:my|our|OpenAI{_A}?s?)\s+(?:ethical\s+)?"
        r"(?:programming|guidelines|policies|policy|principles|use\s+case\s+policy"
        r"|content\s+policy|terms)|(?:safe\s+and\s+)?ethical\s+guidelines)",
    ),
    ("refusal", 0.8, r"(?:prevents?|prohibits?)\s+me\s+from"),
    (
        "refusal",
        0.8,
        r"not\s+within\s+my\s+(?:programming|ethical\s+guidelines|guidelines|capabilities)",
    ),
    (
        "refusal",
        0.8,
        rf"I\s+(?:don{_A}t|do\s+not)\s+think\s+(?:I\s+(?:should|can)|it\s+(?:would\s+be|is)"
        r"\s+(?:appropriate|wise|right|ethical))",
    ),
    ("refusal", 0.6, rf"{_INAPPROPRIATE}\s+to\s+{_HELP}"),
    (
        # a moral stance, often followed by the answer anyway
        "disclaimer",
        0.6,
        rf"I\s+(?:can(?:not|{_A}t)|will\s+not|won{_A}t|do\s+not|don{_A}t)\s+(?:condone"
        r"|endorse|encourage|promote|support|advocate)",
    ),
    (
        "disclaimer",
        0.6,
        r"as\s+(?:an?\s+)?(?:responsible\s+(?:and\s+ethical\s+)?|ethical\s+)?"
        r"(?:AI|artificial\s+intelligence)(?:\s+(?:language\s+model|assistant|model))?",
    ),
    ("disclaimer", 0.6, r"as\s+a\s+language\s+model"),
    ("disclaimer", 0.6, rf"I(?:{_A}m|\s+am)\s+(?:just\s+|only\s+)?an?\s+AI"),
    (
        "disclaimer",
        0.6,
        rf"I\s+(?:do\s+not|don{_A}t)\s+have\s+(?:the\s+ability|access|real-time|personal"
        r"|any\s+(?:personal|specific|real-time)|feelings|emotions|opinions|beliefs"
        r"|(?:enough|specific)\s+information)",
    ),
    ("disclaimer", 0.6, r"(?:knowledge|training)\s+(?:cut-?off|data\s+only)"),
    (
        "disclaimer",
        0.6,
        rf"I(?:{_A}m|\s+am)\s+not\s+(?:a|an|your)\s+(?:licensed\s+|qualified\s+)?"
        r"(?:doctor|lawyer|attorney|physician|therapist|medical\s+professional"
        r"|financial\s+advisor|legal\s+professional|professional)",
    ),
    (
        "disclaimer",
        0.5,
        rf"(?:I{_A}m\s+sorry|I\s+am\s+sorry|sorry|I\s+apologi[sz]e|(?:my\s+)?apologies"
        r"|unfortunately)\s*,?\s+but",
    ),
    (
        "disclaimer",
        0.5,
        r"(?:consult|speak\s+(?:with|to)|talk\s+to|reach\s+out\s+to|seek\s+(?:help|advice)"
        r"\s+from)\s+(?:a|an|your|with\s+a)\s+(?:qualified\s+|licensed\s+|trusted\s+|local\s+"
        r"|mental\s+health\s+|medical\s+|legal\s+|financial\s+|healthcare\s+)?"
        r"(?:professional|doctor|lawyer|attorney|therapist|counsel+or|expert|physician"
        r"|healthcare\s+provider|advisor|adviser)",
    ),
)

_ES: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        r"no\s+(?:te\s+|le\s+|les\s+|os\s+)?(?:puedo|podré|podría|voy\s+a|debo"
        rf"|estoy\s+en\s+(?:condiciones|posición)\s+de)\s+(?:{_LATIN_L}+\s+)?(?:ayudar|asistir"
        r"|proporcionar|brindar|ofrecer|dar|cumplir|responder|generar|crear|escribir|compartir"
        rf"|facilitar|apoyar|participar|colaborar|hacer\s+(?:eso|esto|lo\s+que)){_LATIN_L}*",
    ),
    ("refusal", 1.0, r"(?:debo|tengo\s+que)\s+(?:rechazar|declinar|negarme)"),
    ("refusal", 1.0, r"me\s+niego\s+a"),
    ("refusal", 1.0, r"no\s+me\s+(?:es\s+posible|siento\s+cómod[oa])"),
    (
        "disclaimer",
        0.6,
        r"como\s+(?:un\s+|una\s+)?(?:modelo\s+de\s+lenguaje|asistente\s+de\s+IA"
        r"|IA|inteligencia\s+artificial)",
    ),
    (
        "disclaimer",
        0.5,
        r"(?:lo\s+siento|lo\s+lamento|disculpa|disculpe|perdón|lamentablemente"
        r"|desafortunadamente)\s*,?\s+pero",
    ),
)

_DE: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        r"(?:ich\s+(?:kann|darf|werde|möchte|will)|(?:kann|darf|werde)\s+ich)"
        rf"(?:\s[^.!?\n]{{0,60}}?)?\s(?:nicht|kein{_LATIN_L}*)(?:\s[^.!?\n]{{0,40}}?)?\s(?:helfen"
        r"|unterstützen|behilflich|bereitstellen|liefern|geben|beantworten|erfüllen|nachkommen"
        r"|erstellen|schreiben|anbieten|teilen|tun|machen|zur\s+Verfügung\s+stellen)",
    ),
    ("refusal", 1.0, rf"ich\s+(?:muss|werde)\s+(?:{_LATIN_L}+\s+){{0,3}}?ablehnen"),
    ("refusal", 1.0, rf"ich\s+lehne\s+(?:{_LATIN_L}+\s+){{0,4}}?ab"),
    ("refusal", 1.0, r"ich\s+bin\s+(?:leider\s+)?nicht\s+in\s+der\s+Lage"),
    ("refusal", 0.8, r"(?:das|dies)\s+kann\s+ich\s+(?:leider\s+)?nicht"),
    (
        "disclaimer",
        0.6,
        rf"als\s+(?:ein\s+|eine\s+)?(?:KI-Sprachmodell|Sprachmodell|KI-Assistent{_LATIN_L}*|KI"
        r"|künstliche\s+Intelligenz)",
    ),
    (
        "disclaimer",
        0.5,
        r"(?:es\s+tut\s+mir\s+leid|Entschuldigung|leider|bedauerlicherweise)\s*,?\s+aber",
    ),
)

_FR: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        rf"je\s+ne\s+(?:peux|pourrai|pourrais|vais|saurais)\s+(?:pas|point)\s+(?:vous\s+"
        rf"|t{_A}\s*|te\s+|l{_A}\s*|y\s+|en\s+)?(?:aider|assister|fournir|donner|répondre"
        r"|satisfaire|créer|écrire|générer|partager|participer|accepter|apporter|proposer"
        r"|offrir|soutenir|encourager|cautionner|faire\s+(?:cela|ça|ceci))",
    ),
    ("refusal", 1.0, r"je\s+ne\s+suis\s+pas\s+en\s+mesure\s+de"),
    ("refusal", 1.0, rf"il\s+m{_A}\s*est\s+impossible\s+de"),
    ("refusal", 1.0, r"je\s+(?:dois|me\s+dois\s+de)\s+(?:refuser|décliner)"),
    ("refusal", 1.0, r"je\s+refuse\s+de"),
    (
        "disclaimer",
        0.6,
        rf"en\s+tant\s+qu{_A}\s*(?:IA|intelligence\s+artificielle|modèle\s+de\s+langage"
        r"|assistant)",
    ),
    (
        "disclaimer",
        0.5,
        rf"(?:je\s+suis\s+désolée?|désolée?|je\s+m{_A}\s*excuse|malheureusement)\s*,?\s+mais",
    ),
)

_IT: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        r"non\s+(?:ti\s+|vi\s+|la\s+|lo\s+|le\s+)?(?:posso|potrò|potrei|intendo"
        rf"|sono\s+in\s+grado\s+di|mi\s+è\s+possibile)\s+(?:{_LATIN_L}+\s+)?(?:aiutar|assister|fornir"
        r"|dar|risponder|soddisfar|crear|scriver|generar|condivider|partecipar|farlo"
        rf"|fare\s+(?:questo|ciò)|offrir|supportar){_LATIN_L}*",
    ),
    ("refusal", 1.0, r"(?:devo|sono\s+costrett[oa]\s+a)\s+(?:rifiutare|declinare)"),
    ("refusal", 1.0, r"mi\s+rifiuto\s+di"),
    (
        "disclaimer",
        0.6,
        r"(?:come|in\s+quanto)\s+(?:un\s+|una\s+)?(?:modello\s+(?:di\s+)?linguaggio"
        r"|assistente\s+(?:di\s+)?IA|IA|intelligenza\s+artificiale)",
    ),
    ("disclaimer", 0.5, r"(?:mi\s+dispiace|spiacente|purtroppo)\s*,?\s+ma"),
)

_PT: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        r"não\s+(?:posso|poderei|poderia|consigo|vou|sou\s+capaz\s+de"
        r"|estou\s+em\s+condições\s+de|me\s+é\s+possível)\s+(?:te\s+|lhe\s+|o\s+|a\s+)?"
        r"(?:ajud|assist|fornec|dar|respond|atend|cumpri|cri|escrev|ger|compartilh|partilh"
        rf"|particip|fazer\s+isso|ofere|apoi){_LATIN_L}*",
    ),
    ("refusal", 1.0, r"(?:devo|tenho\s+de|tenho\s+que)\s+(?:recusar|declinar)"),
    ("refusal", 1.0, r"(?:me\s+recuso|recuso-me)\s+a"),
    (
        "disclaimer",
        0.6,
        r"como\s+(?:um\s+|uma\s+)?(?:modelo\s+de\s+linguagem|assistente\s+de\s+IA|IA"
        r"|inteligência\s+artificial)",
    ),
    ("disclaimer", 0.5, r"(?:desculpe|lamento|sinto\s+muito|infelizmente)\s*,?\s+mas"),
)

_RU: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        rf"я\s+не\s+(?:могу|смогу|буду|стану|в\s+состоянии|имею\s+права)\s+(?:{_CYR_L}+\s+)?"
        r"(?:помо|предостав|выполн|ответ|дать|давать|созда|написа|писать|сгенерир|подели"
        rf"|участвова|содейств|поддерж|сделать\s+это|это\s+сделать|этого\s+сделать){_CYR_L}*",
    ),
    ("refusal", 1.0, rf"(?:вынужден[аы]?|должен|должна)\s+отказа{_CYR_L}*"),
    ("refusal", 1.0, r"я\s+отказываюсь"),
    (
        "disclaimer",
        0.6,
        r"как\s+(?:языковая\s+модель|модель\s+ИИ|ИИ-ассистент|ИИ|искусственный\s+интеллект)",
    ),
    ("disclaimer", 0.5, r"(?:извините|простите|к\s+сожалению|мне\s+жаль)\s*,?\s+но"),
)

_ZH: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        r"(?:我|本人)(?:无法|無法|不能|不可以|不会|不會|没办法|沒辦法|不便|拒绝|拒絕)"
        r"(?:为你|为您|為你|為您|向你|向您|帮你|帮您|幫你|幫您|给你|给您|給你|給您)?"
        r"(?:帮助|幫助|协助|協助|提供|回答|满足|滿足|完成|生成|创作|創作|编写|編寫|撰写|撰寫"
        r"|支持|参与|參與|执行|執行|回应|回應|处理|處理|解答|透露|分享|这样做|這樣做|这么做"
        r"|這麼做|做到)",
    ),
    ("refusal", 1.0, r"我(?:必须|必須|只能)(?:拒绝|拒絕)|恕我(?:不能|无法|無法)|恕难从命|恕難從命"),
    (
        "disclaimer",
        0.6,
        r"作[为為](?:一[个個名])?(?:AI|人工智能|人工智慧)(?:语言模型|語言模型|助手|助理)?",
    ),
    ("disclaimer", 0.6, r"作[为為](?:一[个個名])?(?:语言模型|語言模型)"),
    ("disclaimer", 0.5, r"(?:很抱歉|抱歉|对不起|對不起|很遗憾|很遺憾)[，,]"),
)

_JA: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        r"(?:お手伝い|手伝う|ご協力|協力|ご提供|提供|お答え|回答|対応|作成|お応え|ご案内|支援"
        r"|サポート|応じる)(?:すること|いたすこと)?(?:は|を|が)?"
        r"(?:でき(?:ません|かねます|ない)|いたしかねます|致しかねます)",
    ),
    ("refusal", 1.0, r"お断り(?:します|いたします|致します|させていただきます)"),
    ("disclaimer", 0.6, r"(?:AI|人工知能|言語モデル|AIアシスタント)として"),
    ("disclaimer", 0.5, r"申し訳(?:ありません|ございません|ない)が"),
)

_KO: tuple[Phrase, ...] = (
    (
        "refusal",
        1.0,
        r"(?:도와\s*드릴|도와\s*줄|도움을\s*(?:드릴|줄)|제공(?:해\s*드릴|할)"
        r"|답변(?:해\s*드릴|할|을\s*드릴)|응답할|지원할|응할|작성(?:해\s*드릴|할)"
        r"|안내(?:해\s*드릴|할)|생성할|수행할)\s*수\s*(?:가\s*)?없",
    ),
    ("refusal", 1.0, r"거절(?:해야|하겠|합니다|할\s*수밖에)"),
    ("disclaimer", 0.6, r"(?:AI|인공지능|언어\s*모델)(?:로서|으로서)"),
    ("disclaimer", 0.5, r"죄송(?:하지만|합니다만|합니다|해요)"),
)

#: phrases by ISO 639-1 code
PHRASES: Mapping[str, tuple[Phrase, ...]] = MappingProxyType(
    {
        "en": _EN,
        "es": _ES,
        "de": _DE,
        "fr": _FR,
        "it": _IT,
        "pt": _PT,
        "ru": _RU,
        "zh": _ZH,
        "ja": _JA,
        "ko": _KO,
    }
)
