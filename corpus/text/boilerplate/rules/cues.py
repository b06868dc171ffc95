# ruff: noqa: E501  (regex tables: one language per line reads better than split strings)
"""Cue stems of ``strip_boilerplate``: the cheap prefilter, and the related-zone headings.

``CUES`` holds word stems that furniture rules need: only a line that contains one of them is
normalized and matched against the rules (``tables``, ``phrases``), so most lines cost one
automaton pass over the document. The gate is part of what the stage means, not a promise
that no rule could match elsewhere: on the dev pages (../shared/eval/boilerplate) 19 of the
18,696 lines a rule classifies hold no cue and stay ("_Impressum", "Threads", "menu-line",
cookie table rows such as "Name: bcookie"); ``tests/text/test_boilerplate.py`` bounds that share.
Stems that start with a letter match at word starts only (``prefilter.cue_pattern``). Extend
``CUES`` with every new rule. Broad words ("your", "more", "read") are not cues: a rule that
starts with one is covered by its more specific keyword ("privacy", "read more").

``BLOCK_HEADING`` names related/more/recommended/trending/most-read blocks; with the opt-in rule
class ``related_block``, a short related line that matches it opens a zone of teaser headlines.
"""

from __future__ import annotations

# Stems starting with a letter match at word starts only (see ``prefilter.cue_pattern``).
CUES: list[str] = [
    # en
    r"sign[ -]?(?:in|up|on|out|me)|signup|log[ -]?(?:in|out|on)|logged in|regist(?!ers\b)|subscri|\bjoin|enrol|my account|create (?:an |your )?account|member(?:s|ship)?\b|forgot (?:your )?password|manage (?:my|your)|already (?:a|have)\b|not a (?:member|subscriber)|become a",
    r"newsletter|inbox|keep up with|we (?:will )?send|i (?:want|would like|wish) to receive|no credit card|recaptcha|mailing list|e-?mail (?:alerts|this)|enter your e-?mail|unsubscri|spam|thank|great!|confirm|contribute\b|donat|receba|ricevi",
    r"e-?mails?\b|updates|news\b|alerts|activation link",
    r"privacy|terms|legal|imprint|disclaim|dmca|copyright|gdpr|gtc|accessib|polic(?:y|ies)|cookie|consent|agree|accept(?:ance)?\b|acknowledg|conditions\b|personal (?:data|info)|data protection|collection notice|do not sell|use of this|registration on|protected by",
    (
        r"share(?!/)|sharing|tweet|\bpin\b|e-?mail(?: this| it)?(?: (?:article|story|post|page|entry|"
        r"link|resource|with friends))? (?:on|to|via|with|by)\b|post(?: this| it)?(?: (?:article|"
        r"story|post|page|entry|link|resource|with friends))? (?:on|to|via|with|by)\b|send(?: this|"
        r" it)?(?: (?:article|story|post|page|entry|link|resource|with friends))? (?:on|to|via|with|"
        r"by)\b|print (?:this )?(?:article|page|story|post)|blogthis|opens in new window|be sociable"
    ),
    (
        r"follow(?!ing)|folllow|find (?:us|me)|connect with|like us|\bfacebook(?![a-z])|"
        r"\btwitter(?![a-z])|\bx\.com(?![a-z])|\binstagram(?![a-z])|\blinkedin(?![a-z])|"
        r"\bpinterest(?![a-z])|\breddit(?![a-z])|\bwhatsapp(?![a-z])|\btelegram(?![a-z])|"
        r"\btumblr(?![a-z])|\bvkontakte(?![a-z])|\bgoogle\+(?![a-z])|\bgoogle plus(?![a-z])|"
        r"\byoutube(?![a-z])|\btiktok(?![a-z])|\bflipboard(?![a-z])|\bmastodon(?![a-z])|"
        r"\bbluesky(?![a-z])|\bsnapchat(?![a-z])|\bdigg(?![a-z])|\bstumbleupon(?![a-z])|"
        r"\bweibo(?![a-z])|\bwechat(?![a-z])|\bok\.ru(?![a-z])|\bодноклассники(?![a-z])|"
        r"\bвконтакте(?![a-z])|messenger|\bxing\b|my profile|\bpin\d|\bad\d|pocket\b"
    ),
    r"related|read (?:more|next|full)|reading|more (?:from|on|in|about|stories|news)|see also|also (?:read|on)|may also|might also|recommend|most (?:popular|read|viewed|shared|commented)|popular|trending|top stories|latest news|editor|don'?t miss|scroll to|full story|rss",
    r"advert|\bads?\b|ad ?choices|sponsor|promot|paid (?:content|post)|partner content|from our|affiliate|commission|compensat|disclos|participant in|blocker|ad-?block",
    r"comment|repl(?:y|ies)|discussion|disqus|akismet|notify me|save my name",
    r"©|c\)|reserved|resderved|rechte|trade ?mark|service ?mark|droits|derechos|direitos|diritti|права",
    # de
    r"anmeld|abmeld|registrier|einlogg|auslogg|konto|abonn|\babos?\b|passwort|melde|impressum|datenschutz|\bagb\b|nutzungsbedingung|rechtliche|haftungsausschluss|barrierefrei|akzeptier|stimme|einverstanden|willige|erkläre mich|mit absenden|ich bin mit",
    r"mit (?:der|dem|ihrer|deiner|meiner) (?:anmeldung|registrierung|absenden|nutzung|klick|eintragung|bestellung)|durch (?:die nutzung|das absenden|klicken|ihre anmeldung|deine anmeldung)",
    r"teilen|twittern|gefallen|\bfolg(?:e|en|t)\b|entfolgen|lesen sie|weiterlesen|mehr (?:lesen|zum)|interessant|zum thema|weitere (?:artikel|beiträge|news|nachrichten)|ähnliche|verwandte|könnte (?:sie|dich) auch|meistgelesen|beliebte|anzeige|werbung|gesponsert|mediadaten|wir werden nicht von|kommentar|antwort|benachrichtig|du musst|sie müssen",
    # fr
    r"se connecter|connexion|inscri|abonn|mon compte|créer un compte|mon espace|lettre|infolettre|légales|confidentialit|\bcg[uv]\b|données personnelles|conditions|charte|j'accepte|j’accepte|partag|suivez|suivre|retrouvez-nous|lire (?:aussi|la suite)|voir aussi|même sujet|similaires|liés|plus lus|aimerez|pourriez|à découvrir|publicité|sponsoris|annonce|commentaire|répondre|la réponse",
    # es
    r"sesión|registr|regístr|suscri|suscríb|mi cuenta|crear (?:una )?cuenta|\bacceder\b|\bentrar\b|\bsalir\b|boletín|boletines|aviso|privacidad|términos|condiciones|acept|política|he leído|compart|síguenos|siguenos|\bsigue|seguir|ya sabías|canal|interesar|interesarte|relacionad|lee también|leer más|lea también|más leído|más visto|más noticias|te recomendamos|publicidad|anuncio|patrocinad|comentario|respuesta|responder|correo",
    # pt
    r"iniciar sessão|\bsair\b|cadastr|registre|registar|assin|minha conta|criar conta|inscreva|boletim|privacidade|termos|aceito|acei|compartilh|partilh|\bsiga\b|siga-nos|acompanhe-nos|leia (?:também|mais)|veja (?:também|mais)|mais lid|mais notícias|também pode|saiba mais|publicidade|anúncio|comentário|resposta",
    # it
    r"accedi|registrati|iscriviti|abbona|il mio account|crea un account|informativa|note legali|termini|condizioni|accett|ho letto|acconsento|cliccando|continuando|iscrivendoti|proseguendo|condividi|seguici|\bsegui\b|leggi|correlati|interessarti|più letti|pubblicità|sponsorizzat|commento|commenti|rispondi|risposta|devi essere|cookie|\besci\b",
    # ru
    r"войти|вход|регистрац|зарегистр|подпис|личный кабинет|выйти|выход|забыли|рассылк|конфиденциальност|соглашени|правила|услови|согласен|принимаю|нажимая|регистрируясь|продолжая|поделит|соцсет|присоединяйтесь|читайте|читать|смотрите|похожие|популярное|по теме|другие новости|рекомендуем|реклам|комментари|ответить|отменить ответ|сохранить моё",
    # pl (cookie notices)
    r"używamy|korzystamy|ta strona|informujemy|ciasteczek",
]

# The furniture class each block of ``CUES`` speaks for, in order: the learned model
# (``model.learned_class``) names a removal no rule made after its first class block; a block of
# one language's stems mixes classes and says only "furniture".
CUE_CLASSES: list[str] = [
    "signup",
    "newsletter",
    "newsletter",
    "terms",
    "share",
    "follow",
    "related",
    "ad",
    "comments",
    "copyright",
    *["furniture"] * 9,  # de, de, de, fr, es, pt, it, ru, pl
]

# A short line naming a block of links to other articles (the zone's heading); matched on the
# normalized line, which must have at most ``HEADING_MAX_WORDS`` words.
HEADING_MAX_WORDS = 8
BLOCK_HEADING = (
    r"\W*(?:related|recommended|trending|most (?:popular|read|viewed|shared|commented|recent)|popular|"
    r"top stories|latest (?:news|stories|articles|posts|videos)|you may also|might also|also read|"
    r"read (?:next|more)\W*$|more (?:from|in|on|about)\b|more (?:\S+ ){0,3}(?:stories|news|articles|posts|videos|reads)\b|"
    r"editor'?s? picks|don'?t miss|further reading|"
    r"lesen sie auch|auch interessant|mehr zum thema|weitere (?:artikel|beiträge|news|nachrichten)|ähnliche|verwandte|"
    r"das könnte (?:sie|dich) auch|meistgelesen|beliebte|zum thema|"
    r"à lire aussi|a lire aussi|lire aussi|voir aussi|à voir aussi|sur le même sujet|articles? (?:similaires|liés)|les plus lus|vous aimerez|"
    r"también te puede|te puede interesar|noticias relacionadas|artículos relacionados|lee también|lea también|lo más (?:leído|visto)|más noticias|te recomendamos|"
    r"leia também|veja também|notícias relacionadas|artigos relacionados|mais lid[ao]s|mais notícias|você também pode|"
    r"leggi anche|articoli correlati|potrebbe interessarti|ti potrebbe interessare|i più letti|più letti|"
    r"читайте также|смотрите также|похожие|популярное|по теме|другие новости|рекомендуем)"
)
