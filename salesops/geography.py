"""Indian states, union territories, sales regions and ~140 real cities: reference data shared by the
simulator, lead routing (city-to-state) and territory design.

The simulator draws accounts and leads from these cities in proportion to population, so market potential
follows real geography; the lead-assignment engine resolves a lead's city to its state with
`city_to_state`, and territory design uses the coordinates. Populations are census-2011 city figures
(municipal corporation or urban agglomeration where that is the better known number), rounded where the
census itself is ambiguous: good enough for weighting, not for statistics. Codes follow ISO 3166-2:IN as
amended in 2023 (IN-CG, IN-OD, IN-TS, IN-UK); the older codes still resolve through `canonical_state`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

REGION_NAMES = ("North", "South", "East", "West")


@dataclass(frozen=True)
class State:
    """A state or union territory: ISO 3166-2 code, main languages, sales region, first digits of its PINs."""

    name: str
    code: str
    union_territory: bool
    languages: tuple[str, ...]
    region: str
    old_names: tuple[str, ...] = ()
    old_codes: tuple[str, ...] = ()

    @property
    def short_code(self) -> str:
        """The code without the country prefix (`MH`), as used in territory names and number plates."""
        return self.code.removeprefix("IN-")


@dataclass(frozen=True)
class City:
    """A city with its real state, coordinates, census-2011 population and postal (PIN) prefix."""

    name: str
    state: str
    lat: float
    lon: float
    population: int
    pin_prefix: str
    aliases: tuple[str, ...] = ()

    @property
    def tier(self) -> int:
        """1 for the eight metros, 2 for other cities over half a million people, else 3."""
        if self.name in METROS:
            return 1
        return 2 if self.population >= 500_000 else 3


def _state(name: str, code: str, languages: str, region: str, ut: bool = False, old_names: str = "",
           old_codes: str = "") -> State:
    return State(name, f"IN-{code}", ut, tuple(languages.split(";")), region,
                 tuple(filter(None, old_names.split(";"))), tuple(filter(None, old_codes.split(";"))))


_STATE_LIST = (
    _state("Andhra Pradesh", "AP", "Telugu;Urdu", "South"),
    _state("Arunachal Pradesh", "AR", "English;Hindi", "East"),
    _state("Assam", "AS", "Assamese;Bengali;Bodo", "East"),
    _state("Bihar", "BR", "Hindi;Maithili;Urdu", "East"),
    _state("Chhattisgarh", "CG", "Hindi;Chhattisgarhi", "West", old_codes="CT"),
    _state("Goa", "GA", "Konkani;Marathi", "West"),
    _state("Gujarat", "GJ", "Gujarati", "West"),
    _state("Haryana", "HR", "Hindi;Punjabi", "North"),
    _state("Himachal Pradesh", "HP", "Hindi", "North"),
    _state("Jharkhand", "JH", "Hindi;Santali", "East"),
    _state("Karnataka", "KA", "Kannada", "South"),
    _state("Kerala", "KL", "Malayalam", "South"),
    _state("Madhya Pradesh", "MP", "Hindi", "West"),
    _state("Maharashtra", "MH", "Marathi", "West"),
    _state("Manipur", "MN", "Manipuri", "East"),
    _state("Meghalaya", "ML", "Khasi;Garo;English", "East"),
    _state("Mizoram", "MZ", "Mizo;English", "East"),
    _state("Nagaland", "NL", "English", "East"),
    _state("Odisha", "OD", "Odia", "East", old_names="Orissa", old_codes="OR"),
    _state("Punjab", "PB", "Punjabi", "North"),
    _state("Rajasthan", "RJ", "Hindi;Rajasthani", "North"),
    _state("Sikkim", "SK", "Nepali;English", "East"),
    _state("Tamil Nadu", "TN", "Tamil", "South", old_names="Tamilnadu"),
    _state("Telangana", "TS", "Telugu;Urdu", "South", old_codes="TG"),
    _state("Tripura", "TR", "Bengali;Kokborok", "East"),
    _state("Uttar Pradesh", "UP", "Hindi;Urdu", "North"),
    _state("Uttarakhand", "UK", "Hindi", "North", old_names="Uttaranchal", old_codes="UT;UL"),
    _state("West Bengal", "WB", "Bengali", "East"),
    _state("Andaman and Nicobar Islands", "AN", "Hindi;English;Bengali", "East", ut=True),
    _state("Chandigarh", "CH", "Hindi;Punjabi;English", "North", ut=True),
    _state("Dadra and Nagar Haveli and Daman and Diu", "DH", "Gujarati;Hindi", "West", ut=True,
           old_names="Dadra and Nagar Haveli;Daman and Diu", old_codes="DN;DD"),
    _state("Delhi", "DL", "Hindi;Punjabi;Urdu;English", "North", ut=True, old_names="NCT of Delhi;New Delhi"),
    _state("Jammu and Kashmir", "JK", "Kashmiri;Dogri;Urdu;Hindi", "North", ut=True, old_names="J&K"),
    _state("Ladakh", "LA", "Ladakhi;Hindi", "North", ut=True),
    _state("Lakshadweep", "LD", "Malayalam", "South", ut=True),
    _state("Puducherry", "PY", "Tamil;English", "South", ut=True, old_names="Pondicherry"),
)

STATES: dict[str, State] = {state.name: state for state in _STATE_LIST}
"""Canonical state / union territory name -> State (28 states and 8 union territories)."""

REGIONS: dict[str, tuple[str, ...]] = {
    region: tuple(state.name for state in _STATE_LIST if state.region == region) for region in REGION_NAMES}
"""Sales region -> the states it covers; every state is in exactly one region."""

METROS = frozenset({"Mumbai", "Delhi", "Bengaluru", "Hyderabad", "Chennai", "Kolkata", "Pune", "Ahmedabad"})

_C = City
CITIES: tuple[City, ...] = (
    # Maharashtra
    _C("Mumbai", "Maharashtra", 19.0760, 72.8777, 12_442_373, "400", ("Bombay",)),
    _C("Pune", "Maharashtra", 18.5204, 73.8567, 3_124_458, "411", ("Poona",)),
    _C("Nagpur", "Maharashtra", 21.1458, 79.0882, 2_405_665, "440"),
    _C("Thane", "Maharashtra", 19.2183, 72.9781, 1_841_488, "400", ("Thana",)),
    _C("Pimpri-Chinchwad", "Maharashtra", 18.6298, 73.7997, 1_727_692, "411", ("Pimpri", "Chinchwad")),
    _C("Nashik", "Maharashtra", 19.9975, 73.7898, 1_486_053, "422", ("Nasik",)),
    _C("Kalyan-Dombivli", "Maharashtra", 19.2403, 73.1305, 1_247_327, "421", ("Kalyan", "Dombivli")),
    _C("Vasai-Virar", "Maharashtra", 19.3919, 72.8397, 1_222_390, "401", ("Vasai", "Virar")),
    _C("Aurangabad", "Maharashtra", 19.8762, 75.3433, 1_175_116, "431", ("Chhatrapati Sambhajinagar",)),
    _C("Navi Mumbai", "Maharashtra", 19.0330, 73.0297, 1_119_477, "400", ("New Bombay",)),
    _C("Solapur", "Maharashtra", 17.6599, 75.9064, 951_558, "413", ("Sholapur",)),
    _C("Amravati", "Maharashtra", 20.9374, 77.7796, 647_057, "444"),
    _C("Kolhapur", "Maharashtra", 16.7050, 74.2433, 549_236, "416"),
    # Delhi
    _C("Delhi", "Delhi", 28.7041, 77.1025, 11_034_555, "110", ("New Delhi",)),
    # Karnataka
    _C("Bengaluru", "Karnataka", 12.9716, 77.5946, 8_443_675, "560", ("Bangalore", "Bengaluru Urban")),
    _C("Hubballi-Dharwad", "Karnataka", 15.3647, 75.1240, 943_788, "580", ("Hubli", "Hubballi", "Dharwad")),
    _C("Mysuru", "Karnataka", 12.2958, 76.6394, 920_550, "570", ("Mysore",)),
    _C("Kalaburagi", "Karnataka", 17.3297, 76.8343, 543_147, "585", ("Gulbarga",)),
    _C("Mangaluru", "Karnataka", 12.9141, 74.8560, 488_968, "575", ("Mangalore",)),
    _C("Belagavi", "Karnataka", 15.8497, 74.4977, 488_157, "590", ("Belgaum",)),
    _C("Davanagere", "Karnataka", 14.4644, 75.9218, 435_128, "577", ("Davangere",)),
    # Telangana
    _C("Hyderabad", "Telangana", 17.3850, 78.4867, 6_809_970, "500", ("Secunderabad", "Cyberabad")),
    _C("Warangal", "Telangana", 17.9689, 79.5941, 704_570, "506"),
    _C("Nizamabad", "Telangana", 18.6725, 78.0941, 311_152, "503"),
    _C("Karimnagar", "Telangana", 18.4386, 79.1288, 261_185, "505"),
    # Gujarat
    _C("Ahmedabad", "Gujarat", 23.0225, 72.5714, 5_577_940, "380", ("Amdavad",)),
    _C("Surat", "Gujarat", 21.1702, 72.8311, 4_467_797, "395"),
    _C("Vadodara", "Gujarat", 22.3072, 73.1812, 1_670_806, "390", ("Baroda",)),
    _C("Rajkot", "Gujarat", 22.3039, 70.8022, 1_286_678, "360"),
    _C("Bhavnagar", "Gujarat", 21.7645, 72.1519, 593_368, "364"),
    _C("Jamnagar", "Gujarat", 22.4707, 70.0577, 529_308, "361"),
    _C("Gandhinagar", "Gujarat", 23.2156, 72.6369, 208_299, "382"),
    # Tamil Nadu
    _C("Chennai", "Tamil Nadu", 13.0827, 80.2707, 4_646_732, "600", ("Madras",)),
    _C("Coimbatore", "Tamil Nadu", 11.0168, 76.9558, 1_050_721, "641", ("Kovai",)),
    _C("Madurai", "Tamil Nadu", 9.9252, 78.1198, 1_017_865, "625"),
    _C("Tiruchirappalli", "Tamil Nadu", 10.7905, 78.7047, 847_387, "620", ("Trichy", "Tiruchi")),
    _C("Salem", "Tamil Nadu", 11.6643, 78.1460, 829_267, "636"),
    _C("Tirunelveli", "Tamil Nadu", 8.7139, 77.7567, 474_838, "627"),
    _C("Tiruppur", "Tamil Nadu", 11.1085, 77.3411, 444_352, "641", ("Tirupur",)),
    _C("Vellore", "Tamil Nadu", 12.9165, 79.1325, 185_803, "632"),
    _C("Erode", "Tamil Nadu", 11.3410, 77.7172, 157_101, "638"),
    # West Bengal
    _C("Kolkata", "West Bengal", 22.5726, 88.3639, 4_496_694, "700", ("Calcutta",)),
    _C("Howrah", "West Bengal", 22.5958, 88.2636, 1_077_075, "711"),
    _C("Durgapur", "West Bengal", 23.5204, 87.3119, 566_517, "713"),
    _C("Asansol", "West Bengal", 23.6739, 86.9524, 563_917, "713"),
    _C("Siliguri", "West Bengal", 26.7271, 88.3953, 513_264, "734"),
    # Uttar Pradesh
    _C("Lucknow", "Uttar Pradesh", 26.8467, 80.9462, 2_817_105, "226"),
    _C("Kanpur", "Uttar Pradesh", 26.4499, 80.3319, 2_765_348, "208", ("Cawnpore",)),
    _C("Ghaziabad", "Uttar Pradesh", 28.6692, 77.4538, 1_648_643, "201"),
    _C("Agra", "Uttar Pradesh", 27.1767, 78.0081, 1_585_704, "282"),
    _C("Meerut", "Uttar Pradesh", 28.9845, 77.7064, 1_305_429, "250"),
    _C("Varanasi", "Uttar Pradesh", 25.3176, 82.9739, 1_198_491, "221", ("Benares", "Banaras", "Kashi")),
    _C("Prayagraj", "Uttar Pradesh", 25.4358, 81.8463, 1_112_544, "211", ("Allahabad",)),
    _C("Bareilly", "Uttar Pradesh", 28.3670, 79.4304, 898_167, "243"),
    _C("Moradabad", "Uttar Pradesh", 28.8386, 78.7733, 889_810, "244"),
    _C("Aligarh", "Uttar Pradesh", 27.8974, 78.0880, 874_408, "202"),
    _C("Gorakhpur", "Uttar Pradesh", 26.7606, 83.3732, 673_446, "273"),
    _C("Noida", "Uttar Pradesh", 28.5355, 77.3910, 642_381, "201", ("Gautam Buddh Nagar", "Greater Noida")),
    # Rajasthan
    _C("Jaipur", "Rajasthan", 26.9124, 75.7873, 3_046_163, "302", ("Pink City",)),
    _C("Jodhpur", "Rajasthan", 26.2389, 73.0243, 1_033_756, "342"),
    _C("Kota", "Rajasthan", 25.2138, 75.8648, 1_001_694, "324"),
    _C("Bikaner", "Rajasthan", 28.0229, 73.3119, 644_406, "334"),
    _C("Ajmer", "Rajasthan", 26.4499, 74.6399, 542_321, "305"),
    _C("Udaipur", "Rajasthan", 24.5854, 73.7125, 451_100, "313"),
    # Madhya Pradesh
    _C("Indore", "Madhya Pradesh", 22.7196, 75.8577, 1_964_086, "452"),
    _C("Bhopal", "Madhya Pradesh", 23.2599, 77.4126, 1_798_218, "462"),
    _C("Gwalior", "Madhya Pradesh", 26.2183, 78.1828, 1_069_276, "474"),
    _C("Jabalpur", "Madhya Pradesh", 23.1815, 79.9864, 1_055_525, "482"),
    _C("Ujjain", "Madhya Pradesh", 23.1765, 75.7885, 515_215, "456"),
    # Bihar
    _C("Patna", "Bihar", 25.5941, 85.1376, 1_684_222, "800"),
    _C("Gaya", "Bihar", 24.7914, 85.0002, 470_839, "823"),
    _C("Bhagalpur", "Bihar", 25.2425, 86.9842, 400_146, "812"),
    _C("Muzaffarpur", "Bihar", 26.1209, 85.3647, 393_724, "842"),
    # Andhra Pradesh
    _C("Visakhapatnam", "Andhra Pradesh", 17.6868, 83.2185, 1_728_128, "530", ("Vizag", "Vishakhapatnam")),
    _C("Vijayawada", "Andhra Pradesh", 16.5062, 80.6480, 1_048_240, "520", ("Bezawada",)),
    _C("Guntur", "Andhra Pradesh", 16.3067, 80.4365, 647_508, "522"),
    _C("Nellore", "Andhra Pradesh", 14.4426, 79.9865, 499_575, "524"),
    _C("Kurnool", "Andhra Pradesh", 15.8281, 78.0373, 424_920, "518"),
    _C("Tirupati", "Andhra Pradesh", 13.6288, 79.4192, 287_035, "517"),
    # Punjab
    _C("Ludhiana", "Punjab", 30.9010, 75.8573, 1_618_879, "141"),
    _C("Amritsar", "Punjab", 31.6340, 74.8723, 1_132_761, "143"),
    _C("Jalandhar", "Punjab", 31.3260, 75.5762, 862_886, "144", ("Jullundur",)),
    _C("Patiala", "Punjab", 30.3398, 76.3869, 446_246, "147"),
    _C("Mohali", "Punjab", 30.7046, 76.7179, 146_213, "160", ("SAS Nagar", "Sahibzada Ajit Singh Nagar")),
    # Haryana
    _C("Faridabad", "Haryana", 28.4089, 77.3178, 1_414_050, "121"),
    _C("Gurugram", "Haryana", 28.4595, 77.0266, 876_969, "122", ("Gurgaon",)),
    _C("Rohtak", "Haryana", 28.8955, 76.6066, 374_292, "124"),
    _C("Hisar", "Haryana", 29.1492, 75.7217, 301_249, "125", ("Hissar",)),
    _C("Panipat", "Haryana", 29.3909, 76.9635, 294_292, "132"),
    _C("Ambala", "Haryana", 30.3782, 76.7767, 195_153, "133"),
    # Kerala
    _C("Thiruvananthapuram", "Kerala", 8.5241, 76.9366, 752_490, "695", ("Trivandrum",)),
    _C("Kozhikode", "Kerala", 11.2588, 75.7804, 609_224, "673", ("Calicut",)),
    _C("Kochi", "Kerala", 9.9312, 76.2673, 602_046, "682", ("Cochin", "Ernakulam")),
    _C("Kollam", "Kerala", 8.8932, 76.6141, 349_033, "691", ("Quilon",)),
    _C("Thrissur", "Kerala", 10.5276, 76.2144, 315_957, "680", ("Trichur",)),
    # Odisha
    _C("Bhubaneswar", "Odisha", 20.2961, 85.8245, 837_737, "751", ("Bhubaneshwar",)),
    _C("Cuttack", "Odisha", 20.4625, 85.8830, 606_007, "753"),
    _C("Berhampur", "Odisha", 19.3150, 84.7941, 356_598, "760", ("Brahmapur",)),
    _C("Rourkela", "Odisha", 22.2604, 84.8536, 273_217, "769"),
    # Jharkhand
    _C("Dhanbad", "Jharkhand", 23.7957, 86.4304, 1_162_472, "826"),
    _C("Ranchi", "Jharkhand", 23.3441, 85.3096, 1_073_427, "834"),
    _C("Jamshedpur", "Jharkhand", 22.8046, 86.2029, 629_659, "831", ("Tatanagar",)),
    _C("Bokaro Steel City", "Jharkhand", 23.6693, 86.1511, 414_820, "827", ("Bokaro",)),
    # Chhattisgarh
    _C("Raipur", "Chhattisgarh", 21.2514, 81.6296, 1_010_087, "492"),
    _C("Bhilai", "Chhattisgarh", 21.1938, 81.3509, 625_697, "490", ("Bhilai Nagar",)),
    _C("Korba", "Chhattisgarh", 22.3595, 82.7501, 365_253, "495"),
    _C("Bilaspur", "Chhattisgarh", 22.0797, 82.1409, 330_106, "495"),
    # Assam
    _C("Guwahati", "Assam", 26.1445, 91.7362, 957_352, "781", ("Gauhati",)),
    _C("Silchar", "Assam", 24.8333, 92.7789, 172_830, "788"),
    _C("Dibrugarh", "Assam", 27.4728, 94.9120, 154_296, "786"),
    _C("Jorhat", "Assam", 26.7509, 94.2037, 126_736, "785"),
    # Uttarakhand
    _C("Dehradun", "Uttarakhand", 30.3165, 78.0322, 578_420, "248", ("Dehra Dun",)),
    _C("Haridwar", "Uttarakhand", 29.9457, 78.1642, 228_832, "249", ("Hardwar",)),
    _C("Haldwani", "Uttarakhand", 29.2183, 79.5130, 156_078, "263"),
    _C("Roorkee", "Uttarakhand", 29.8543, 77.8880, 118_473, "247"),
    # Himachal Pradesh
    _C("Shimla", "Himachal Pradesh", 31.1048, 77.1734, 169_578, "171", ("Simla",)),
    _C("Solan", "Himachal Pradesh", 30.9045, 77.0967, 39_256, "173"),
    _C("Dharamshala", "Himachal Pradesh", 32.2190, 76.3234, 30_764, "176", ("Dharamsala",)),
    # Jammu and Kashmir, Ladakh
    _C("Srinagar", "Jammu and Kashmir", 34.0837, 74.7973, 1_180_570, "190"),
    _C("Jammu", "Jammu and Kashmir", 32.7266, 74.8570, 502_197, "180"),
    _C("Leh", "Ladakh", 34.1526, 77.5771, 30_870, "194"),
    # Goa
    _C("Panaji", "Goa", 15.4909, 73.8278, 114_405, "403", ("Panjim",)),
    _C("Vasco da Gama", "Goa", 15.3982, 73.8113, 100_128, "403", ("Vasco",)),
    _C("Margao", "Goa", 15.2832, 73.9862, 87_650, "403", ("Madgaon",)),
    # North-east
    _C("Agartala", "Tripura", 23.8315, 91.2868, 400_004, "799"),
    _C("Aizawl", "Mizoram", 23.7271, 92.7176, 293_416, "796"),
    _C("Imphal", "Manipur", 24.8170, 93.9368, 268_243, "795"),
    _C("Shillong", "Meghalaya", 25.5788, 91.8933, 143_229, "793"),
    _C("Dimapur", "Nagaland", 25.9091, 93.7266, 122_834, "797"),
    _C("Kohima", "Nagaland", 25.6751, 94.1086, 99_039, "797"),
    _C("Gangtok", "Sikkim", 27.3389, 88.6065, 100_286, "737"),
    _C("Itanagar", "Arunachal Pradesh", 27.0844, 93.6053, 59_490, "791"),
    # Union territories
    _C("Chandigarh", "Chandigarh", 30.7333, 76.7794, 960_787, "160"),
    _C("Puducherry", "Puducherry", 11.9416, 79.8083, 244_377, "605", ("Pondicherry", "Pondy")),
    _C("Port Blair", "Andaman and Nicobar Islands", 11.6234, 92.7265, 100_608, "744", ("Sri Vijaya Puram",)),
    _C("Silvassa", "Dadra and Nagar Haveli and Daman and Diu", 20.2766, 73.0169, 98_265, "396"),
    _C("Daman", "Dadra and Nagar Haveli and Daman and Diu", 20.3974, 72.8328, 39_737, "396"),
    _C("Kavaratti", "Lakshadweep", 10.5669, 72.6420, 11_210, "682"),
)
del _C

_NOT_WORD = re.compile(r"[^a-z0-9&]+")


def _key(text: str) -> str:
    """Lookup key: case, punctuation and spacing do not matter (`navi-mumbai ` == `Navi Mumbai`)."""
    return _NOT_WORD.sub(" ", text.lower()).strip()


def _city_index() -> dict[str, City]:
    index: dict[str, City] = {}
    for city in CITIES:
        for name in (city.name, *city.aliases):
            index.setdefault(_key(name), city)
    return index


def _state_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for state in _STATE_LIST:
        names = (state.name, state.name.replace(" and ", " & "), state.code, state.short_code, *state.old_names,
                 *state.old_codes)
        for name in names:
            index.setdefault(_key(name), state.name)
    return index


_CITY_INDEX = _city_index()
_STATE_INDEX = _state_index()


def find_city(name: str | None) -> City | None:
    """The city called `name` (canonical or common alternate name, any case/spacing), else None."""
    if not name:
        return None
    key = _key(name)
    city = _CITY_INDEX.get(key)
    if city is None and key.endswith(" city"):
        city = _CITY_INDEX.get(key.removesuffix(" city"))
    return city


def city_to_state(name: str | None) -> str | None:
    """Canonical state of a city (`city_to_state("Bombay") == "Maharashtra"`), or None when unknown."""
    city = find_city(name)
    return city.state if city else None


def canonical_state(text: str | None) -> str | None:
    """Canonical state name from a name, ISO code (`IN-MH`, `MH`), old name or code (`Orissa`, `OR`), or None."""
    if not text:
        return None
    return _STATE_INDEX.get(_key(text))


def region_of(state: str) -> str:
    """Sales region (North, South, East, West) of a canonical state name."""
    return STATES[state].region


def cities_in(state: str) -> list[City]:
    """The state's cities, most populous first."""
    return sorted((city for city in CITIES if city.state == state), key=lambda city: -city.population)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in kilometres, for travel cost in territory design."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(a))
