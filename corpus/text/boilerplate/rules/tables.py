# ruff: noqa: E501  (regex tables: one rule per line reads better than split strings)
"""Rule tables of ``strip_boilerplate``: multilingual, line-anchored furniture patterns.

Every pattern is matched against one *normalized* line (whitespace runs to one space, stripped,
lowercased) and must describe the whole line, or at least its start: furniture is short and
label-like ("Share on Twitter", "Newsletter abonnieren", "Lire aussi"), while a content sentence
that merely mentions terms, cookies or subscribers does not start like a button.

Three tables, each keyed by rule class then language (ISO 639-1):

``LABELS``   button/link labels. A line made only of labels and separators (a link bar such as
             "Privacy Policy | Terms of Use | Sitemap") is furniture when at least one label is
             not ``GENERIC`` (nav words like "Home" or "Contact" only fill a bar, never remove it).
``LEADS``    prefix patterns (``re.match``) with a word budget: the line is furniture when it
             starts this way and has at most ``max_words`` words.
``ANYWHERE`` patterns searched anywhere in a line of at most ``max_words`` words, for phrases
             that only furniture uses ("all rights reserved", "comments powered by disqus").

Rule ids are "<class>.<lang>" (e.g. "newsletter.de"); link bars use the class and language of
their first non-generic label. Add a language by adding keys; ``compiler`` compiles one
combined regex per table and word budget. A pattern may name a shared piece as "{NAME}"
(``FRAGMENTS``); ``reference.fill`` puts it in.
"""

from __future__ import annotations

# Named pieces that patterns share, written "{NAME}" in a pattern and filled in by
# ``corpus.text.boilerplate.reference`` (regex quantifiers are "{m,n}": digits, never a name).
FRAGMENTS: dict[str, str] = {
    # Social networks and share targets, language-independent.
    "NETWORKS": (
        r"facebook|twitter|x\.com|instagram|linkedin|pinterest|reddit|whatsapp|telegram|tumblr|vk|"
        r"vkontakte|messenger|google\+|google plus|youtube|tiktok|flipboard|xing|mastodon|bluesky|threads|"
        r"snapchat|digg|stumbleupon|pocket|line|weibo|wechat|ok\.ru|одноклассники|вконтакте"
    ),
}

GENERIC: dict[str, list[str]] = {
    "en": [
        r"about|about us|contact|contact us|sitemap|site map|home|faqs?|help|careers|jobs|accessibility",
        r"print|e-?mail|email this|feedback|support|search|menu|more|close|back to top|top|skip to content",
        r"rss|rss feeds?|feeds?|blog|press|subscriptions?|store|shop|directory|advertising|advertise",
        r"x|mail|link|copy link|copy|print this article|print article|corrections|community guidelines",
        r"all sharing options|sharing options|legal|next|previous|prev|likes?|ethics|masthead|site index",
    ],
    "de": [r"kontakt|startseite|über uns|hilfe|suche|drucken|karriere|presse|mehr|schließen|nach oben"],
    "fr": [r"accueil|à propos|plan du site|aide|recherche|imprimer|plus|fermer|nous contacter"],
    "es": [r"contacto|inicio|quiénes somos|mapa del sitio|ayuda|buscar|imprimir|más|cerrar"],
    "pt": [r"contato|contacto|início|sobre nós|ajuda|buscar|pesquisar|imprimir|mais|fechar|baixar"],
    "it": [r"contatti|chi siamo|mappa del sito|aiuto|cerca|stampa|altro|chiudi"],
    "ru": [r"контакты|о нас|главная|карта сайта|помощь|поиск|печать|ещё|еще|закрыть"],
}

LABELS: dict[str, dict[str, list[str]]] = {
    "signup": {
        "en": [
            r"sign ?in|sign[ -]?up|sign[ -]?up now|sign[ -]?up free|log ?in|log[ -]?out|log in now",
            r"register|register now|register for free|registration|subscribe|subscribe now",
            r"my account|manage my account|my profile|create (?:an )?account|join|join now|join us",
            r"member login|customer login|members?|membership|forgot (?:your )?password\??",
            r"subscriber services|subscriber agreement|become a (?:subscriber|member)",
            r"sign in or join|contribute|donate",
        ],
        "de": [
            r"anmelden|abmelden|registrieren|jetzt registrieren|einloggen|ausloggen|mein konto",
            r"konto erstellen|abonnieren|jetzt abonnieren|abo|abos|abonnement|mein abo|passwort vergessen",
        ],
        "fr": [
            r"se connecter|connexion|déconnexion|s'inscrire|s’inscrire|inscription|s'abonner|s’abonner",
            r"abonnez-vous|je m'abonne|je m’abonne|mon compte|créer un compte|abonnements?|mon espace",
        ],
        "es": [
            r"iniciar sesión|inicia sesión|cerrar sesión|registrarse|regístrate|registrate|suscríbete",
            r"suscribete|suscribirse|suscripción|mi cuenta|crear (?:una )?cuenta|acceder|entrar|salir",
        ],
        "pt": [
            r"entrar|iniciar sessão|sair|cadastre-se|cadastrar|registre-se|registar|assine|assinar",
            r"assinatura|minha conta|criar conta|inscreva-se|faça login|fazer login",
        ],
        "it": [r"accedi|registrati|iscriviti|abbonati|abbonamento|il mio account|crea un account|esci"],
        "ru": [r"войти|вход|регистрация|зарегистрироваться|подписаться|личный кабинет|выйти|выход"],
    },
    "newsletter": {
        "en": [r"newsletters?|e-?newsletters?|email alerts|alerts & newsletters|newsletter sign[ -]?up"],
        "de": [r"newsletter|newsletter abonnieren|newsletteranmeldung|newsletter-anmeldung"],
        "fr": [r"newsletter|lettre d'information|lettre d’information|infolettre"],
        "es": [r"boletín|boletines|newsletter"],
        "pt": [r"newsletter|boletim"],
        "it": [r"newsletter"],
        "ru": [r"рассылка|подписка на рассылку|подписка"],
    },
    "terms": {
        "en": [
            r"privacy|privacy policy|privacy notice|privacy statement|privacy & policy|privacy/legal",
            r"privacy (?:preferences|settings|choices|center|centre|overview)|your (?:ca |california )?privacy rights",
            r"my privacy choices|your privacy choices|do not sell (?:or share )?my (?:personal )?info(?:rmation)?",
            r"terms|terms of (?:use|service|sale)|terms (?:&|and) conditions|terms&conditions|user agreement",
            r"legal|legal notice|legal information|imprint|disclaimer|dmca|copyright policy|gdpr",
            r"accessibility statement|legal & privacy information|web privacy policy|general terms and conditions",
            r"(?:gtc)|data protection|privacy & terms|terms & privacy|collection notice|security policy",
        ],
        "de": [
            r"impressum|datenschutz|datenschutzerklärung|datenschutzhinweise|datenschutzbestimmungen",
            r"agb|nutzungsbedingungen|rechtliche hinweise|haftungsausschluss|barrierefreiheit",
            r"kontakt & impressum|impressum & datenschutz|copyright / rechte",
        ],
        "fr": [
            r"mentions légales|politique de confidentialité|confidentialité|cgu|cgv|données personnelles",
            r"conditions générales(?: d'utilisation| d’utilisation| de vente)?|charte de confidentialité",
        ],
        "es": [
            r"aviso legal|política de privacidad|privacidad|términos y condiciones|condiciones de uso",
            r"términos de uso|aviso de privacidad",
        ],
        "pt": [
            r"política de privacidade|privacidade|termos de uso|termos e condições|termos de serviço",
            r"aviso legal",
        ],
        "it": [
            r"informativa sulla privacy|note legali|termini e condizioni|condizioni d'uso|termini di servizio"
        ],
        "ru": [r"политика конфиденциальности|пользовательское соглашение|правила|условия использования"],
    },
    "cookie": {
        "en": [
            r"cookies?|cookie (?:policy|settings|notice|statement|preferences)|cookies settings",
            r"manage cookies|privacy & cookies|privacy & cookies policy|privacy & cookie policy|accept cookies",
        ],
        "de": [r"cookie-einstellungen|cookie-richtlinie|cookies verwalten|cookie-hinweis"],
        "fr": [r"politique (?:de|des|relative aux) cookies|gestion des cookies|paramètres des cookies"],
        "es": [r"política de cookies|configuración de cookies"],
        "pt": [r"política de cookies"],
        "it": [r"cookie policy|impostazioni (?:dei )?cookie"],
        "ru": [r"файлы cookie|политика cookie"],
    },
    "share": {
        "en": [
            "{NETWORKS}",
            r"share|shares|share this|share it|share article|share this (?:article|story|post|page|entry)",
            r"share (?:on|to|via|with) (?:{NETWORKS}|e-?mail|email)|tweet|tweet this|pin it|pin",
            r"share by mail|share via|share links|share post|email this|blogthis!|whatsapp us",
            r"(?:{NETWORKS})-(?:f|in|square|official)",
        ],
        "de": [r"teilen|artikel teilen|beitrag teilen|seite teilen|inhalt teilen|twittern|jetzt teilen"],
        "fr": [r"partager|partagez|partager sur (?:{NETWORKS})|partager l'article"],
        "es": [r"compartir|compartir en (?:{NETWORKS})|comparte"],
        "pt": [r"compartilhar|partilhar|compartilhe|partilhe"],
        "it": [r"condividi|condividi su (?:{NETWORKS})"],
        "ru": [r"поделиться"],
    },
    "follow": {
        "en": [
            r"follow|follow us|follow me|follow us on (?:{NETWORKS})|connect with us|find us on",
            r"follow us elsewhere|follow us on social media|like us on facebook|find us on facebook",
        ],
        "de": [r"folgen sie uns|folge uns|folgen|folge mir|entfolgen"],
        "fr": [r"suivez-nous|nous suivre|suivre"],
        "es": [r"síguenos|siguenos|seguir"],
        "pt": [r"siga-nos|siga|seguir"],
        "it": [r"seguici|segui"],
        "ru": [r"мы в соцсетях|подписывайтесь"],
    },
    "related": {
        "en": [
            r"related(?: (?:articles|stories|posts|content|coverage|topics|products|resources|reading|links))?",
            r"read more|read next|you may also like|you might also like|recommended(?: for you)?",
            r"most popular|most read|most viewed|most shared|most commented|trending|trending now|top stories",
            r"latest news|more stories|more news|popular posts|popular articles|popular videos|see also",
        ],
        "de": [
            r"auch interessant|lesen sie auch|mehr zum thema|weitere artikel|weitere beiträge|weiterlesen",
            r"ähnliche (?:artikel|beiträge)|verwandte (?:artikel|themen)|meistgelesen|mehr lesen",
        ],
        "fr": [
            r"à lire aussi|a lire aussi|lire aussi|voir aussi|lire la suite|les plus lus|articles similaires"
        ],
        "es": [
            r"noticias relacionadas|artículos relacionados|leer más|lo más leído|lo más visto|más noticias"
        ],
        "pt": [r"leia também|leia mais|veja também|notícias relacionadas|mais lidas|mais lidos|saiba mais"],
        "it": [r"leggi anche|articoli correlati|leggi di più|leggi tutto|i più letti|più letti"],
        "ru": [r"читайте также|похожие статьи|популярное|читать далее|читать полностью|по теме"],
    },
    "ad": {
        "en": [
            r"advertisement|advert|ads?|sponsored|sponsored content|promoted|partner content|paid content",
            r"ad ?choices|your ad choices|about our ads|advertise with us|advertiser disclosure",
            r"affiliate disclosure|advertising disclosure",
        ],
        "de": [r"anzeige|werbung|gesponsert|anzeigentarife|mediadaten"],
        "fr": [r"publicité|sponsorisé|contenu sponsorisé|annonce"],
        "es": [r"publicidad|anuncio|patrocinado|contenido patrocinado"],
        "pt": [r"publicidade|anúncio|patrocinado"],
        "it": [r"pubblicità|sponsorizzato"],
        "ru": [r"реклама|на правах рекламы"],
    },
    "comments": {
        "en": [
            r"comments?|leave a (?:comment|reply)|post a comment|add a comment|add your comment|reply",
            r"cancel reply|recent comments|comments are closed|view comments|show comments|no comments",
            r"write a comment|load (?:disqus )?comments|comments feed|comments rss|entries rss|reply delete",
        ],
        "de": [
            r"kommentare?|kommentar schreiben|kommentar hinzufügen|antworten|antworten abbrechen",
            r"antwort abbrechen|neueste kommentare|letzte kommentare|keine kommentare",
        ],
        "fr": [r"commentaires?|laisser un commentaire|répondre|annuler la réponse"],
        "es": [r"comentarios?|deja un comentario|responder|cancelar respuesta"],
        "pt": [r"comentários?|deixe um comentário|responder|cancelar resposta"],
        "it": [r"commenti|lascia un commento|rispondi|annulla risposta"],
        "ru": [r"комментарии|добавить комментарий|ответить|отменить ответ"],
    },
}

# (class, lang, max_words, pattern): the normalized line must START with the pattern.
LEADS: list[tuple[str, str, int, str]] = [
    # --- newsletter (before signup: "Sign up for our newsletter" is a newsletter line)
    ("newsletter", "en", 12, r"(?:sign[ -]?up|subscribe|join|get|receive)\b.*\b(?:e-?)?newsletters?\b"),
    ("newsletter", "en", 8, r"(?:\S+ ){0,5}?(?:e-?)?newsletters?\b"),
    (
        "newsletter",
        "en",
        45,
        r"(?:sign[ -]?up|subscribe|join|get|receive|enter your e-?mail|stay (?:informed|up to date|updated|connected|in the loop)|want more|don'?t miss|never miss|be the first|keep up|start each day|click here to subscribe|i would like to|please,? fill)\b.*\b(?:newsletters?|inbox|e-?mails?|mailing list|email alerts|updates|news)\b",
    ),
    (
        "newsletter",
        "en",
        40,
        r"(?:no spam|we (?:will )?(?:never|won'?t) share|you can unsubscribe|unsubscribe at any time|thank you for subscribing|thanks for subscribing|check your inbox|great! (?:we'?ve|check)|confirm your subscription|there was a problem subscribing|an email with an activation link)",
    ),
    (
        "newsletter",
        "en",
        40,
        r"(?:to complete your (?:newsletter )?(?:sign[ -]?up|subscription)|we send newsletters)",
    ),
    (
        "newsletter",
        "de",
        40,
        r"(?:\S+ ){0,3}?(?:abonniere|abonnieren sie|melde dich|melden sie sich|jetzt|kostenlos|mit (?:unserem|meinem)|unser|der|ja, ich möchte)\b.*newsletter",
    ),
    ("newsletter", "de", 8, r"(?:\S+ ){0,4}?(?:\S*-)?newsletter\b"),
    (
        "newsletter",
        "fr",
        30,
        r"(?:\S+ ){0,4}?(?:inscrivez-vous|abonnez-vous|recevez|s'inscrire|s’inscrire|inscription)\b.*(?:newsletter|lettre|infolettre)",
    ),
    (
        "newsletter",
        "es",
        30,
        r"(?:suscríbete|suscribete|recibe|regístrate|registrate|apúntate)\b.*(?:boletín|newsletter|correo)",
    ),
    ("newsletter", "pt", 30, r"(?:assine|inscreva-se|receba|cadastre-se)\b.*(?:newsletter|e-?mail|boletim)"),
    ("newsletter", "it", 30, r"(?:iscriviti|ricevi|abbonati)\b.*(?:newsletter|e-?mail)"),
    ("newsletter", "ru", 30, r"(?:подпис\w+|получайте)\b.*рассылк"),
    # --- signup: log in / register / subscribe / account / paywall buttons
    (
        "signup",
        "en",
        12,
        r"(?:please |click here to |click to )?(?:sign|log)[ -]?(?:in|up|on|out)\b(?!.*[$€£]\s?\d)",
    ),
    (
        "signup",
        "en",
        12,
        r"(?:register|subscribe|join|enroll)(?: now| today| here| free| for free)?\b(?!.*[$€£]\s?\d)",
    ),
    (
        "signup",
        "en",
        10,
        r"(?:create (?:an |your )?account|become a (?:member|subscriber)|already (?:a |have ))",
    ),
    ("signup", "en", 10, r"(?:not a (?:member|subscriber)|forgot (?:your )?password|manage (?:my|your) )"),
    ("signup", "en", 6, r"(?:my account|member login|customer login|\S+ login$|login\b)"),
    (
        "signup",
        "en",
        30,
        r"(?:to (?:view|read|continue|access)|subscribe now|subscribers? (?:only|get))\b.*\bsubscri",
    ),
    ("signup", "en", 6, r"[\d.,]+ ?[km]? (?:other )?(?:subscribers|followers)\b"),
    (
        "signup",
        "en",
        30,
        r"(?:you are|you're|you have been|you have successfully|you have succesfully) .*subscribed",
    ),
    (
        "signup",
        "de",
        12,
        r"(?:jetzt |bitte |kostenlos )?(?:anmelden|registrieren|einloggen|abmelden|abonnieren)\b",
    ),
    (
        "signup",
        "de",
        12,
        r"(?:bitte )?(?:registrieren|melden) sie sich|(?:mein|ihr) (?:konto|abo)\b|passwort vergessen",
    ),
    ("signup", "de", 8, r"(?:ja\.? ich bin abonnent|abonnement\b|[\d.,]+ (?:tsd\.? )?abonnenten)"),
    (
        "signup",
        "fr",
        12,
        r"(?:se connecter|connexion|s'inscrire|s’inscrire|inscrivez-vous|s'abonner|abonnez-vous)",
    ),
    ("signup", "fr", 8, r"(?:je m'abonne|je m’abonne|mon compte|créer un compte|déjà abonné|abonnements?\b)"),
    (
        "signup",
        "es",
        12,
        r"(?:iniciar sesión|inicia sesión|regístrate|registrate|suscríbete|suscribete|crear (?:una )?cuenta)",
    ),
    (
        "signup",
        "es",
        14,
        r"(?:(?:solo|sólo|exclusivo) para suscriptores|para comentar debes registrarte|mi cuenta\b)",
    ),
    (
        "signup",
        "pt",
        12,
        r"(?:faça login|fazer login|cadastre-se|registre-se|assine\b|inscreva-se|minha conta|criar conta)",
    ),
    ("signup", "pt", 8, r"(?:já é assinante|entrar\b|iniciar sessão)"),
    ("signup", "it", 12, r"(?:accedi|registrati|iscriviti|abbonati|il mio account|crea un account)\b"),
    (
        "signup",
        "ru",
        12,
        r"(?:войти|вход|регистрация|зарегистрироваться|подписаться|личный кабинет|забыли пароль)",
    ),
    # --- terms: legal links, privacy notices, consent ("I agree to the terms")
    (
        "terms",
        "en",
        10,
        r"(?:privacy (?:policy|notice|statement|settings|preferences|center|centre|choices|rights|overview|&|/|and)|terms (?:of (?:use|service|sale)|(?:&|and) conditions|apply)|legal (?:notice|information)|user agreement|subscriber agreement|general terms)",
    ),
    (
        "terms",
        "en",
        10,
        r"(?:your|my|our) (?:\S+ )?privacy (?:rights|choices|policy|notice)|do not sell (?:or share )?my ",
    ),
    (
        "terms",
        "en",
        40,
        r"(?:please |for (?:more|additional|further) (?:information|details)|more information|learn more|read our|see our|view our|review our|further information|if you have (?:any )?questions|we (?:have )?updated|this (?:site|website|page) is protected|(?:your )?use of this (?:site|website)|registration on|we are committed to protecting|updated privacy policy|terms under which).*\b(?:privacy|terms|policy|data protection)\b",
    ),
    (
        "terms_agree",
        "en",
        60,
        r"(?:i |we )?(?:agree|accept|consent|have read|understand)\b.*\b(?:terms|privacy|policy|conditions|personal data|processing|notice)\b",
    ),
    (
        "terms_agree",
        "en",
        150,
        r"by (?:clicking|submitting|signing|subscribing|registering|continuing|using|creating|providing|entering|checking|choosing|tapping|proceeding|browsing|accessing|visiting|joining|logging)\b.*\b(?:agree|accept|consent|acknowledge|terms|policy)",
    ),
    (
        "terms_agree",
        "en",
        60,
        r"(?:registration on or use of|use of this (?:site|website)|the fact of registration)\b.*\b(?:constitutes|acceptance|indicates)",
    ),
    (
        "terms",
        "de",
        40,
        r"(?:ich |wir )?(?:akzeptiere|stimme|bin (?:damit )?einverstanden|willige|erkläre mich)\b.*(?:datenschutz|agb|bedingungen|einverstanden|newsletter|einwilligung|zu\b)",
    ),
    (
        "terms_agree",
        "de",
        80,
        r"(?:mit (?:der|dem|ihrer|deiner|meiner) (?:anmeldung|registrierung|absenden|nutzung|klick|eintragung|bestellung)|durch (?:die nutzung|das absenden|klicken|ihre anmeldung|deine anmeldung)|mit absenden|ich bin mit der verarbeitung|hiermit willige)\b.*(?:zu\b|einverstanden|akzeptier|willige|datenschutz)",
    ),
    (
        "terms",
        "de",
        10,
        r"(?:impressum|datenschutz\w*|agb\b|nutzungsbedingungen|rechtliche hinweise|haftungsausschluss|kontakt & impressum)",
    ),
    (
        "terms",
        "fr",
        10,
        r"(?:mentions légales|politique de confidentialité|conditions générales|charte de confidentialité|données personnelles)",
    ),
    (
        "terms_agree",
        "fr",
        80,
        r"(?:j'accepte|j’accepte|en (?:cliquant|vous inscrivant|poursuivant|continuant|soumettant|validant|utilisant|naviguant))\b.*(?:accept|conditions|politique|confidentialité|cookies)",
    ),
    (
        "terms",
        "es",
        10,
        r"(?:aviso legal|política de privacidad|términos y condiciones|condiciones de uso|aviso de privacidad)",
    ),
    (
        "terms_agree",
        "es",
        80,
        r"(?:acepto|he leído|al (?:hacer clic|suscribirte|registrarte|continuar|enviar|utilizar|navegar))\b.*(?:acept|condiciones|política|privacidad|cookies)",
    ),
    (
        "terms",
        "pt",
        10,
        r"(?:política de privacidade|termos de uso|termos e condições|termos de serviço|aviso legal)",
    ),
    (
        "terms_agree",
        "pt",
        80,
        r"(?:aceito|li e aceito|ao (?:clicar|se inscrever|assinar|continuar|enviar|utilizar|navegar|se cadastrar))\b.*(?:acei|termos|política|privacidade|cookies)",
    ),
    (
        "terms",
        "it",
        10,
        r"(?:informativa sulla privacy|privacy policy|note legali|termini e condizioni|condizioni d'uso)",
    ),
    (
        "terms_agree",
        "it",
        80,
        r"(?:accetto|ho letto|acconsento|cliccando|continuando|iscrivendoti|proseguendo)\b.*(?:accett|termini|privacy|condizioni|cookie)",
    ),
    ("terms", "ru", 12, r"(?:политика конфиденциальности|пользовательское соглашение|условия использования)"),
    (
        "terms_agree",
        "ru",
        60,
        r"(?:я согласен|я принимаю|нажимая|подписываясь|регистрируясь|продолжая)\b.*(?:соглас|услови|политик|принима)",
    ),
    # --- cookie notices
    (
        "cookie",
        "en",
        150,
        r"(?:we use|we and our partners use|we're using|this (?:site|website) (?:uses|is using)|our (?:site|website) uses|by (?:continuing|using|browsing)|cookies|necessary cookies|any cookies|the cookie settings|privacy & cookies|if you continue|we use them to)\b.*\bcookies?\b",
    ),
    ("cookie", "en", 6, r"(?:\S+ ){0,3}?cookies?\b"),
    (
        "cookie",
        "de",
        90,
        r"(?:wir (?:verwenden|nutzen|setzen)|diese (?:web)?seite (?:verwendet|nutzt)|unsere (?:web)?seite (?:verwendet|nutzt)|durch die nutzung|cookies|wir haben sie nicht mit einer cookie)\b.*cookie",
    ),
    ("cookie", "de", 6, r"(?:\S+ ){0,3}?\S*cookies?\b"),
    (
        "cookie",
        "fr",
        90,
        r"(?:nous utilisons|ce site (?:web )?utilise|notre site utilise|en poursuivant|en continuant)\b.*cookies?",
    ),
    (
        "cookie",
        "es",
        90,
        r"(?:utilizamos|usamos|este sitio (?:web )?(?:utiliza|usa)|al continuar|si continúas)\b.*cookies?",
    ),
    (
        "cookie",
        "pt",
        90,
        r"(?:utilizamos|usamos|este site (?:utiliza|usa)|ao continuar|se continuar)\b.*cookies?",
    ),
    (
        "cookie",
        "it",
        90,
        r"(?:utilizziamo|usiamo|questo sito (?:utilizza|usa)|continuando|proseguendo)\b.*cookie",
    ),
    ("cookie", "ru", 90, r"(?:мы используем|этот сайт использует|сайт использует|продолжая)\b.*cookie"),
    ("cookie", "pl", 40, r"(?:używamy|korzystamy|ta strona (?:używa|korzysta)|informujemy).*cookie"),
    # --- share
    (
        "share",
        "en",
        12,
        r"(?:click to |click here to )?(?:share|tweet|pin|e-?mail|post|send)(?: this| it)?(?: (?:article|story|post|page|entry|link|resource|with friends)\b)?(?: (?:on|to|via|with|by)\b)",
    ),
    (
        "share",
        "en",
        6,
        r"(?:share|tweet)(?: this| it| article| post| this (?:article|story|post|page|entry|resource|with \S+))?\W*$",
    ),
    (
        "share",
        "en",
        12,
        r"(?:share (?:your thoughts|all sharing|close|panel)|close share|print this article share|like it\? share|be sociable)",
    ),
    ("share", "de", 12, r"(?:\S+ ){0,5}?(?:jetzt |vergiss nicht zu |dann )?teilen\b"),
    (
        "share",
        "de",
        12,
        r"(?:diesen (?:artikel|beitrag) teilen|teilen sie dies|teilen mit|(?:möchten sie|willst du) .* teilen|(?:dir|ihnen) hat .* gefallen)",
    ),
    ("share", "fr", 10, r"(?:partager|partagez)\b"),
    ("share", "es", 10, r"(?:compartir|comparte|compártelo)\b"),
    ("share", "pt", 10, r"(?:compartilhar|compartilhe|partilhar|partilhe)\b"),
    ("share", "it", 10, r"(?:condividi)\b"),
    ("share", "ru", 10, r"(?:поделиться|поделитесь)\b"),
    # --- follow
    (
        "follow",
        "en",
        25,
        r"(?:follow|folllow|fan|like|find|join|connect with|chat with|watch|keep up with|reach|catch) .*\b(?:{NETWORKS})\b",
    ),
    ("follow", "en", 10, r"(?:follow|connect with|find) (?:us|me)\b"),
    ("share", "en", 5, r"print (?:this )?(?:article|page|story|post)\W*$"),
    ("follow", "en", 4, r"(?:\S+ ){0,2}?(?:on|at|bei|auf|sur|en|no|su|в) (?:{NETWORKS})\W*$"),
    ("follow", "de", 20, r"(?:folgen sie|folge|folgt) (?:uns|mir|\S+)\b"),
    ("follow", "fr", 20, r"(?:suivez-nous|suivez|retrouvez-nous)\b"),
    (
        "follow",
        "es",
        20,
        r"(?:síguenos|siguenos|sigue(?:nos)?|¿ya sabías que .* (?:canal|telegram)|¡mira .* (?:youtube|canal))",
    ),
    ("follow", "pt", 20, r"(?:siga-nos|siga|acompanhe-nos)\b"),
    ("follow", "it", 20, r"(?:seguici|segui)\b"),
    ("follow", "ru", 20, r"(?:подписывайтесь|мы в соцсетях|присоединяйтесь)\b"),
    # --- related links
    (
        "related",
        "en",
        16,
        r"\W*(?:related(?=\s*[:|»›–—-]|\s*$| (?:articles|stories|posts|content|coverage|topics|products|resources|reading|links|videos|news|items|searches|guides|post|story|article|pages)\b)|read more|read next|more from|more on|more in|more about|see also|also read|also on|you may also|you might also|recommended(?: for you| reading| stories| articles| videos| posts)?(?=\W*$|\s*[:|])|most popular|most read|most viewed|most shared|popular (?:on|in|now|today|posts|articles|stories|videos|news)|trending|top stories|latest news|more stories|more news|editor'?s? picks|don'?t miss|scroll to read more)\b",
    ),
    (
        "related",
        "de",
        16,
        r"\W*(?:lesen sie auch|auch interessant|mehr zum thema|weitere (?:artikel|beiträge|news|nachrichten)|ähnliche (?:artikel|beiträge)|verwandte (?:artikel|themen)|das könnte (?:sie|dich) auch|meistgelesen|beliebte (?:artikel|beiträge)|weiterlesen|mehr lesen|zum thema)\b",
    ),
    (
        "related",
        "fr",
        16,
        r"\W*(?:à lire aussi|a lire aussi|lire aussi|voir aussi|à voir aussi|sur le même sujet|articles? (?:similaires|liés)|lire la suite|les plus lus|vous aimerez aussi|vous pourriez aussi aimer|à découvrir)",
    ),
    (
        "related",
        "es",
        16,
        r"\W*(?:también te puede interesar|te puede interesar|puede interesarte|noticias relacionadas|artículos relacionados|lee también|leer más|lea también|lo más leído|lo más visto|más noticias|te recomendamos)",
    ),
    (
        "related",
        "pt",
        16,
        r"\W*(?:leia também|leia mais|veja também|veja mais|notícias relacionadas|artigos relacionados|posts relacionados|mais lid[ao]s|mais notícias|você também pode gostar|saiba mais)",
    ),
    (
        "related",
        "it",
        16,
        r"\W*(?:leggi anche|articoli correlati|potrebbe interessarti|ti potrebbe interessare|leggi di più|leggi tutto|i più letti|più letti)",
    ),
    (
        "related",
        "ru",
        16,
        r"\W*(?:читайте также|читать также|смотрите также|похожие (?:статьи|записи|новости)|популярное|читать далее|читать полностью|по теме|другие новости|рекомендуем)",
    ),
    # --- ad labels and disclosures
    (
        "ad",
        "en",
        12,
        r"(?:advertisement|advertising|advert|ad|ads|sponsored|promoted|paid (?:content|post)|partner content|from our (?:advertisers|partners|sponsors)|advertise|advertiser disclosure|affiliate disclosure|special advertising)\b",
    ),
    (
        "ad",
        "en",
        60,
        r"(?:advertising disclosure|we (?:may )?(?:receive|earn|get) (?:a )?(?:compensation|commission)|we may be compensated|we rely on advertising|\S+ relies on advertising|some posts .* affiliate links|this post (?:may )?contains? affiliate|we are a participant in the amazon|\S+(?: \S+)? is a participant in the amazon|we occasionally get sponsored)",
    ),
    ("ad", "de", 14, r"\W*(?:anzeige|werbung|gesponsert|anzeigentarife|mediadaten|sponsored)\b"),
    (
        "ad",
        "de",
        40,
        r"(?:dieser (?:beitrag|artikel) enthält (?:werbung|affiliate)|wir schalten keine werbung|wir werden nicht von)",
    ),
    ("ad", "fr", 12, r"(?:publicité|sponsorisé|contenu sponsorisé|annonce)\b"),
    ("ad", "es", 12, r"(?:publicidad|anuncio|patrocinado|contenido patrocinado)\b"),
    ("ad", "pt", 12, r"(?:publicidade|anúncio|patrocinado)\b"),
    ("ad", "it", 12, r"(?:pubblicità|sponsorizzato|contenuto sponsorizzato)\b"),
    ("ad", "ru", 12, r"(?:реклама|на правах рекламы)\b"),
    # --- short lines that END with a furniture label ("Tips Sign Up", "Entertainment Latest News")
    ("signup", "en", 5, r"(?:\S+ ){1,3}(?:sign[ -]?up|signup|log ?in|sign ?in|register|subscribe)\W*$"),
    ("newsletter", "en", 5, r"(?:\S+ ){1,3}(?:e-?)?newsletters?\W*$"),
    (
        "terms",
        "en",
        5,
        r"(?:\S+ ){1,3}(?:privacy policy|privacy|terms(?: and| &) conditions|terms of (?:use|service))\W*$",
    ),
    (
        "related",
        "en",
        5,
        r"(?:\S+ ){1,3}(?:top stories|latest news|trending(?: \S+)?|most popular|recommended)\W*$",
    ),
    ("ad", "en", 5, r"(?:\S+ ){1,3}(?:advertising|advertise|sponsored)(?: guidelines| by)?\W*$"),
    ("related", "en", 80, r".*\b(?:read more|continue reading|read full (?:story|article)|full story)\W*$"),
    # --- comment widgets
    ("comments", "en", 10, r"(?:\d+ )?(?:comments?|replies)(?: \(\d+\))?\W*$"),
    (
        "comments",
        "en",
        16,
        r"(?:leave|post|add|write|submit|view|show|load|read|join) (?:a |your |all |new |more |the )?(?:comments?|reply|discussion)",
    ),
    (
        "comments",
        "en",
        30,
        r"(?:leave a reply|cancel reply|comments are (?:closed|moderated)|no comments|notify me (?:of|when|via)|save my name, email|you must be logged in to|please (?:log|sign) in (?:here )?to (?:comment|post|reply|leave)|(?:please )?enable javascript to view the comments|javascript is required to load the comments|this site uses akismet|you are commenting using|top rated comments|all comments are moderated)",
    ),
    (
        "comments",
        "de",
        16,
        r"(?:schreibe|hinterlasse|hinterlassen sie) (?:einen|jetzt einen) kommentar|(?:kommentar|antwort) (?:schreiben|verfassen|hinzufügen|abbrechen)|(?:keine|bisher keine|es gibt noch keine|neueste|letzte|bisherige) kommentare|benachrichtige mich|du musst (?:angemeldet|eingeloggt)|sie müssen sich anmelden um|dieses kommentarformular|\d+ (?:kommentare|antworten)\b",
    ),
    (
        "comments",
        "fr",
        16,
        r"(?:laisser|ajouter|écrire) un commentaire|annuler la réponse|votre commentaire|charte des commentaires|\d+ commentaires?",
    ),
    (
        "comments",
        "es",
        16,
        r"(?:deja|dejar|escribe|añadir) (?:un )?comentario|cancelar respuesta|\d+ comentarios?",
    ),
    (
        "comments",
        "pt",
        16,
        r"(?:deixe|deixar|escreva|adicionar) (?:um |seu )?comentário|cancelar resposta|\d+ comentários?",
    ),
    (
        "comments",
        "it",
        16,
        r"(?:lascia|scrivi|aggiungi) un commento|annulla risposta|devi essere connesso|\d+ commenti",
    ),
    (
        "comments",
        "ru",
        16,
        r"(?:добавить|оставить|написать) комментарий|отменить ответ|сохранить моё имя|\d+ комментари",
    ),
]

# (class, lang, max_words, pattern): searched anywhere in the normalized line.
ANYWHERE: list[tuple[str, str, int, str]] = [
    ("copyright", "en", 45, r"^\W{0,3}(?:\(?image:? )?(?:©|\(c\)|copyright\b|image copyright)"),
    ("copyright", "en", 30, r"^.{0,60}(?:©|\(c\) \d{4}|copyright ©)"),
    ("copyright", "en", 80, r"all rights? reserved|all rights resderved"),
    ("copyright", "de", 45, r"alle rechte (?:vorbehalten|beim)"),
    ("copyright", "fr", 45, r"tous droits réservés"),
    ("copyright", "es", 45, r"todos los derechos reservados"),
    ("copyright", "pt", 45, r"todos os direitos reservados"),
    ("copyright", "it", 45, r"tutti i diritti riservati"),
    ("copyright", "ru", 45, r"все права защищены"),
    (
        "copyright",
        "en",
        60,
        r"is a registered (?:trade|service) ?mark|are registered (?:trade|service) ?marks|registered trademarks of",
    ),
    (
        "ad",
        "en",
        40,
        r"(?:disable|turn off|pause|whitelist|allowlist|deactivate) (?:your |the )?ad ?-?blocker|(?:using|use) an? ad ?-?blocker",
    ),
    (
        "newsletter",
        "en",
        40,
        r"\b(?:subscribe|sign up) (?:now|today|here)\b|\b(?:subscribe|sign up) (?:to|for) our\b|join our (?:newsletter|mailing list)|(?:delivered |straight |right |directly )(?:to|in|into) your inbox|in your inbox (?:daily|every|each)",
    ),
    ("share", "en", 20, r"cannot share posts by e-?mail"),
    ("ad", "en", 60, r"may (?:earn|receive|get) (?:an? )?(?:small )?(?:affiliate )?commission"),
    (
        "comments",
        "en",
        30,
        r"please (?:register|sign up) or (?:log|sign) in|(?:log|sign) in to (?:comment|reply)",
    ),
    ("terms", "en", 60, r"^your privacy is important|^we value your privacy"),
    ("comments", "en", 20, r"comments powered by disqus|comments feed"),
    ("share", "en", 12, r"\(opens in new window\)"),
]
