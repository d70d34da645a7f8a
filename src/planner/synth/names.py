"""Invented people's names, by language, in Latin spelling with the native script, and the nationalities of
the 2021 border group that are not Iraqi (with the name pool and home airport each draws on)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

#: Kurdish (Sorani) names and Arabic-origin names as Iraqi Kurds write them, in Sorani script.
KU_MALE = {
    "Rebin": "ڕێبین", "Karwan": "کاروان", "Hawre": "هاوڕێ", "Azad": "ئازاد", "Aram": "ئارام",
    "Dilshad": "دڵشاد", "Shwan": "شوان", "Sherko": "شێرکۆ", "Hemin": "هێمن", "Kawa": "کاوە",
    "Rezan": "ڕێزان", "Soran": "سۆران", "Baran": "باران", "Zana": "زانا", "Diyar": "دیار",
    "Hiwa": "هیوا", "Saman": "سامان", "Bakhtiyar": "بەختیار", "Goran": "گۆران", "Alan": "ئالان",
    "Dana": "دانا", "Sirwan": "سیروان", "Nawzad": "نەوزاد", "Botan": "بۆتان", "Hogir": "هۆگر",
    "Mohammed": "محەمەد", "Ahmed": "ئەحمەد", "Ali": "عەلی", "Omar": "عومەر", "Hassan": "حەسەن",
    "Hussein": "حوسێن", "Mustafa": "مستەفا", "Karim": "کەریم", "Ibrahim": "ئیبراهیم", "Yusuf": "یووسف",
}
KU_FEMALE = {
    "Shilan": "شیلان", "Nask": "ناسک", "Jwan": "جوان", "Dilan": "دیلان", "Lana": "لانا", "Shno": "شنۆ",
    "Rozhan": "ڕۆژان", "Avin": "ئاڤین", "Nazdar": "نازدار", "Hana": "هانا", "Bahar": "بەهار",
    "Sozan": "سۆزان", "Parwin": "پەروین", "Kazhal": "کەژاڵ", "Chra": "چرا", "Shirin": "شیرین",
    "Hero": "هێرۆ", "Gulala": "گوڵاڵە", "Bafrin": "بەفرین", "Rojin": "ڕۆژین", "Srwa": "سروە",
    "Fatima": "فاتیمە", "Zainab": "زەینەب", "Maryam": "مەریەم", "Sara": "سارا", "Amina": "ئامینە",
}
KU_FAMILY = {
    "Ahmed": "ئەحمەد", "Mohammed": "محەمەد", "Ali": "عەلی", "Omar": "عومەر", "Hassan": "حەسەن",
    "Mustafa": "مستەفا", "Karim": "کەریم", "Abdullah": "عەبدوڵڵا", "Salih": "ساڵح", "Mahmoud": "مەحموود",
    "Ibrahim": "ئیبراهیم", "Rashid": "ڕەشید", "Aziz": "عەزیز", "Qadir": "قادر", "Othman": "عوسمان",
    "Rahman": "ڕەحمان", "Hamid": "حەمید", "Khidir": "خدر", "Rasul": "ڕەسوڵ", "Amin": "ئەمین",
    "Faraj": "فەرەج", "Sharif": "شەریف", "Jaf": "جاف", "Zebari": "زێباری", "Hawrami": "هەورامی",
    "Barwari": "بەرواری", "Doski": "دۆسکی", "Surchi": "سورچی", "Herki": "هەرکی",
}
#: Arabic names in Arabic orthography (Arab Iraqis, Syrians, Yemenis).
AR_MALE = {
    "Ahmed": "أحمد", "Mohammed": "محمد", "Ali": "علي", "Omar": "عمر", "Hassan": "حسن", "Hussein": "حسين",
    "Mustafa": "مصطفى", "Haider": "حيدر", "Yusuf": "يوسف", "Ibrahim": "إبراهيم", "Khalid": "خالد",
    "Karim": "كريم", "Abdullah": "عبد الله", "Salih": "صالح", "Mahmoud": "محمود", "Abbas": "عباس",
    "Kamal": "كمال", "Jamal": "جمال", "Sami": "سامي", "Bilal": "بلال", "Hamza": "حمزة", "Ammar": "عمار",
    "Zaid": "زيد", "Mahdi": "مهدي", "Qasim": "قاسم", "Abdulrahman": "عبد الرحمن",
}
AR_FEMALE = {
    "Fatima": "فاطمة", "Zahraa": "زهراء", "Maryam": "مريم", "Noor": "نور", "Zainab": "زينب", "Huda": "هدى",
    "Sara": "سارة", "Aisha": "عائشة", "Layla": "ليلى", "Amina": "أمينة", "Rana": "رنا", "Hiba": "هبة",
    "Samira": "سميرة", "Nadia": "نادية", "Asmaa": "أسماء", "Ruqaya": "رقية", "Shahad": "شهد", "Israa": "إسراء",
}
AR_FAMILY = {
    "Ahmed": "أحمد", "Hassan": "حسن", "Hussein": "حسين", "Karim": "كريم", "Salih": "صالح",
    "Abdullah": "عبد الله", "Mahmoud": "محمود", "Abbas": "عباس", "Khalil": "خليل", "Mahdi": "مهدي",
    "Jaber": "جابر", "Rashid": "رشيد", "Kadhim": "كاظم", "Jawad": "جواد", "Al-Jubouri": "الجبوري",
    "Al-Obaidi": "العبيدي", "Al-Dulaimi": "الدليمي", "Al-Tamimi": "التميمي", "Al-Saadi": "الساعدي",
    "Al-Shammari": "الشمري", "Al-Hashimi": "الهاشمي", "Al-Hakimi": "الحكيمي", "Nasser": "ناصر",
}
#: Persian and Dari names in Perso-Arabic script (Iranians, Afghans).
FA_MALE = {
    "Reza": "رضا", "Mehdi": "مهدی", "Ali": "علی", "Hossein": "حسین", "Amir": "امیر", "Saeed": "سعید",
    "Dariush": "داریوش", "Ahmad": "احمد", "Farid": "فرید", "Habib": "حبیب", "Navid": "نوید", "Zia": "ضیا",
}
FA_FEMALE = {
    "Maryam": "مریم", "Zahra": "زهرا", "Fatemeh": "فاطمه", "Leila": "لیلا", "Nasrin": "نسرین",
    "Shirin": "شیرین", "Fariba": "فریبا", "Nargis": "نرگس", "Shabnam": "شبنم",
}
FA_FAMILY = {
    "Ahmadi": "احمدی", "Mohammadi": "محمدی", "Hosseini": "حسینی", "Karimi": "کریمی", "Rahimi": "رحیمی",
    "Moradi": "مرادی", "Rostami": "رستمی", "Ahmadzai": "احمدزی", "Hakimi": "حکیمی", "Noori": "نوری",
    "Sultani": "سلطانی",
}
#: Cameroonian names are written in Latin script; they have no separate native spelling.
CM_MALE = {n: "" for n in ("Jean", "Paul", "Emmanuel", "Samuel", "Moussa", "Hamadou", "Serge", "Blaise")}
CM_FEMALE = {n: "" for n in ("Marie", "Grace", "Aissatou", "Florence", "Brigitte", "Estelle")}
CM_FAMILY = {n: "" for n in ("Mbarga", "Ngono", "Fotso", "Tchoumi", "Nkwenti", "Abena", "Bello", "Essomba")}


@dataclass(frozen=True)
class NamePool:
    male: Mapping[str, str]
    female: Mapping[str, str]
    family: Mapping[str, str]


NAME_POOLS = {
    "ku": NamePool(KU_MALE, KU_FEMALE, KU_FAMILY),
    "ar": NamePool(AR_MALE, AR_FEMALE, AR_FAMILY),
    "fa": NamePool(FA_MALE, FA_FEMALE, FA_FAMILY),
    "cm": NamePool(CM_MALE, CM_FEMALE, CM_FAMILY),
}

#: Non-Iraqi nationalities seen in the 2021 border group: (share among them, home airport, name pool,
#: share of them who live in the Kurdistan Region and fly to Erbil).
FOREIGN = {
    "SYR": (0.35, "DAM", "ar", 0.5),
    "IRN": (0.20, "IKA", "fa", 0.4),
    "AFG": (0.20, "KBL", "fa", 0.0),
    "YEM": (0.10, "SAH", "ar", 0.0),
    "CMR": (0.15, "DLA", "cm", 0.0),
}
DOCUMENT_PREFIX = {"IRQ": "A", "SYR": "N", "IRN": "K", "AFG": "P", "YEM": "Y", "CMR": "C"}
