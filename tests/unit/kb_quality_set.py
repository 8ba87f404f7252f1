"""A fixed Dutch + English article set with queries and the articles that answer them.

Written before the ranking was tuned, and not to be changed to make a tuning pass: the
queries are what requesters type (misspellings, the other language's word, no stop-word
care), and `RELEVANT` lists every article a person would accept as an answer, best first.
"""

ARTICLES: dict[str, tuple[str, str, str]] = {
    # id: (language, title, body)
    "en-password": (
        "en",
        "Reset your password",
        "Forgot your password or is your account locked? Open the self-service page, "
        "choose 'Forgot password' and enter your work e-mail address. You receive a link "
        "that is valid for 15 minutes. Choose a new password of at least 12 characters. "
        "After three wrong attempts your account is locked for 10 minutes.",
    ),
    "nl-wachtwoord": (
        "nl",
        "Je wachtwoord opnieuw instellen",
        "Wachtwoord vergeten of is je account geblokkeerd? Ga naar de selfservicepagina, "
        "kies 'Wachtwoord vergeten' en vul je zakelijke e-mailadres in. Je krijgt een link "
        "die 15 minuten geldig is. Kies een nieuw wachtwoord van minstens 12 tekens. Na drie "
        "verkeerde pogingen wordt je account 10 minuten geblokkeerd.",
    ),
    "en-vpn": (
        "en",
        "VPN connection keeps dropping",
        "If the VPN disconnects every few minutes, check that you use the latest VPN client. "
        "Switch from Wi-Fi to a cable if possible. Home routers with aggressive power saving "
        "drop idle tunnels: disable 'green mode'. Still dropping? Send us the client log.",
    ),
    "nl-vpn": (
        "nl",
        "VPN-verbinding valt steeds weg",
        "Verbreekt de VPN elke paar minuten de verbinding? Controleer of je de nieuwste "
        "VPN-client gebruikt. Gebruik als het kan een netwerkkabel in plaats van wifi. "
        "Thuisrouters met een energiebesparende stand verbreken stille tunnels: zet de "
        "groene stand uit. Valt de verbinding nog steeds weg? Stuur ons het logbestand.",
    ),
    "en-printer": (
        "en",
        "Printer jams or prints nothing",
        "A paper jam: open tray 2 and the rear door, remove the paper and close both. If the "
        "printer shows error 79, switch it off for 30 seconds. Jobs stuck in the queue: "
        "cancel them in the print queue and print again. Toner is ordered by facilities.",
    ),
    "nl-printer": (
        "nl",
        "Printer loopt vast of drukt niets af",
        "Papierstoring: open lade 2 en de achterklep, haal het papier weg en sluit beide. "
        "Geeft de printer foutcode 79, zet hem dan 30 seconden uit. Blijven afdrukken in de "
        "wachtrij hangen? Annuleer ze in de afdrukwachtrij en druk opnieuw af. Toner bestel "
        "je bij facilitair.",
    ),
    "en-mail-phone": (
        "en",
        "Set up work e-mail on your phone",
        "Install the Outlook app from the App Store or Google Play. Sign in with your work "
        "e-mail address and approve the sign-in in the authenticator app. Your mailbox, "
        "calendar and contacts synchronise within a few minutes.",
    ),
    "nl-mail-telefoon": (
        "nl",
        "Zakelijke mail op je telefoon instellen",
        "Installeer de Outlook-app uit de App Store of Google Play. Log in met je zakelijke "
        "e-mailadres en keur de aanmelding goed in de authenticator-app. Je mailbox, agenda "
        "en contactpersonen worden binnen enkele minuten gesynchroniseerd.",
    ),
    "en-laptop-boot": (
        "en",
        "Laptop does not start",
        "Black screen or the laptop will not boot? Connect the charger and hold the power "
        "button for 15 seconds. Remove the docking station and any USB devices, then start "
        "again. If the battery light blinks orange, the battery needs replacing.",
    ),
    "nl-laptop-start": (
        "nl",
        "Laptop start niet op",
        "Zwart scherm of wil de laptop niet opstarten? Sluit de oplader aan en houd de "
        "aan-uitknop 15 seconden ingedrukt. Haal het dockingstation en usb-apparaten los en "
        "start opnieuw. Knippert het batterijlampje oranje, dan moet de accu vervangen worden.",
    ),
    "en-screen-dock": (
        "en",
        "Second screen not detected on the docking station",
        "If an external monitor stays black, check the cable between screen and docking "
        "station. Press Windows+P and choose 'Extend'. Update the dock firmware from the "
        "software centre. A USB-C dock needs the laptop's power adapter to drive two screens.",
    ),
    "nl-scherm-dock": (
        "nl",
        "Tweede beeldscherm wordt niet herkend op het dockingstation",
        "Blijft een extern beeldscherm zwart, controleer dan de kabel tussen scherm en "
        "dockingstation. Druk op Windows+P en kies 'Uitbreiden'. Werk de firmware van het "
        "dock bij via het softwarecentrum. Een usb-c-dock heeft de voeding van de laptop "
        "nodig voor twee schermen.",
    ),
    "en-software": (
        "en",
        "Request new software",
        "Software that is not in the software centre is requested with a service request. "
        "Name the software, the version and why you need it. Your manager approves the "
        "licence; installation follows within three working days.",
    ),
    "nl-software": (
        "nl",
        "Nieuwe software aanvragen",
        "Software die niet in het softwarecentrum staat, vraag je aan met een "
        "serviceverzoek. Noem de software, de versie en waarom je die nodig hebt. Je "
        "leidinggevende keurt de licentie goed; installatie volgt binnen drie werkdagen.",
    ),
    "en-teams-audio": (
        "en",
        "No sound in Teams meetings",
        "Others cannot hear you, or you hear nothing? In Teams open Settings, Devices and "
        "pick the right speaker and microphone. Unplug and replug the headset. Close other "
        "apps that use the microphone.",
    ),
    "nl-teams-geluid": (
        "nl",
        "Geen geluid in Teams-vergaderingen",
        "Horen anderen je niet, of hoor je niets? Open in Teams Instellingen, Apparaten en "
        "kies de juiste luidspreker en microfoon. Trek de headset eruit en sluit hem "
        "opnieuw aan. Sluit andere apps die de microfoon gebruiken.",
    ),
}

# (query, relevant articles). Precision@3 per query = relevant articles in the top 3
# divided by min(3, number of relevant articles).
QUERIES: list[tuple[str, tuple[str, ...]]] = [
    ("forgot my password", ("en-password",)),
    ("wachtwoord vergeten", ("nl-wachtwoord",)),
    ("account locked", ("en-password",)),
    ("mijn account is geblokkeerd", ("nl-wachtwoord",)),
    ("vpn keeps disconnecting", ("en-vpn", "nl-vpn")),
    ("vpn verbinding valt weg", ("nl-vpn",)),
    ("printer paper jam", ("en-printer",)),
    ("printer loopt vast", ("nl-printer",)),
    ("error 79", ("en-printer", "nl-printer")),
    ("email on my iphone", ("en-mail-phone",)),
    ("mail op mijn telefoon", ("nl-mail-telefoon",)),
    ("laptop won't start black screen", ("en-laptop-boot",)),
    ("laptop start niet", ("nl-laptop-start",)),
    ("external monitor stays black", ("en-screen-dock",)),
    ("tweede scherm werkt niet", ("nl-scherm-dock",)),
    ("install new software", ("en-software",)),
    ("software aanvragen", ("nl-software",)),
    ("no audio in teams meeting", ("en-teams-audio",)),
    ("ze horen me niet in teams", ("nl-teams-geluid",)),
    # Misspelt and unfinished words (typo tolerance for short queries).
    ("pasword", ("en-password",)),
    ("wachtwoord vergten", ("nl-wachtwoord",)),
    ("dockingstat", ("en-screen-dock", "nl-scherm-dock", "en-laptop-boot", "nl-laptop-start")),
]

# The mean precision@3 the ranking must reach over QUERIES.
MINIMUM_PRECISION_AT_3 = 0.85
