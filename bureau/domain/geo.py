"""A coarse travel-distance model on Dutch four-digit postcode areas.

Each two-digit postcode region (10..99) has an approximate centroid (the main town of
the region, to about 10-15 km). The distance between two areas is:

- 0 km in the same four-digit area,
- ``SAME_REGION_KM`` in the same two-digit region,
- otherwise the great-circle distance between the regions' centroids, in whole km.

Good enough to tell "next town" from "across the country"; not a route planner. The
distances are computed once, at import, into a 90 x 90 table.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping

SAME_REGION_KM = 5
"""Assumed distance between two different areas of one two-digit region."""

REGION_CENTROIDS: Mapping[int, tuple[float, float]] = {
    10: (52.37, 4.89),  # Amsterdam
    11: (52.31, 4.93),  # Amsterdam-Zuidoost, Amstelveen, Diemen
    12: (52.23, 5.17),  # Hilversum, Huizen
    13: (52.37, 5.22),  # Almere
    14: (52.40, 4.95),  # Purmerend, Bussum, Aalsmeer, Uithoorn
    15: (52.46, 4.82),  # Zaanstad
    16: (52.65, 5.06),  # Hoorn, Enkhuizen
    17: (52.82, 4.82),  # Den Helder, Schagen, Heerhugowaard
    18: (52.63, 4.75),  # Alkmaar
    19: (52.48, 4.65),  # Beverwijk, IJmuiden
    20: (52.38, 4.64),  # Haarlem
    21: (52.30, 4.62),  # Hoofddorp, Heemstede, Lisse
    22: (52.22, 4.44),  # Katwijk, Noordwijk
    23: (52.16, 4.49),  # Leiden
    24: (52.13, 4.66),  # Alphen aan den Rijn
    25: (52.07, 4.30),  # Den Haag
    26: (52.01, 4.36),  # Delft, Rijswijk
    27: (52.06, 4.49),  # Zoetermeer
    28: (52.02, 4.71),  # Gouda
    29: (51.92, 4.58),  # Capelle, Krimpen, Ridderkerk
    30: (51.92, 4.48),  # Rotterdam
    31: (51.91, 4.34),  # Schiedam, Vlaardingen, Maassluis
    32: (51.84, 4.30),  # Spijkenisse, Hellevoetsluis
    33: (51.81, 4.67),  # Dordrecht
    34: (52.05, 5.00),  # Nieuwegein, IJsselstein, Woerden
    35: (52.09, 5.12),  # Utrecht
    36: (52.14, 5.03),  # Maarssen, Breukelen
    37: (52.09, 5.23),  # Zeist, De Bilt
    38: (52.16, 5.39),  # Amersfoort
    39: (52.03, 5.55),  # Veenendaal, Rhenen
    40: (51.89, 5.43),  # Tiel
    41: (51.92, 5.20),  # Culemborg, Geldermalsen, Leerdam
    42: (51.83, 4.97),  # Gorinchem
    43: (51.50, 3.61),  # Middelburg, Vlissingen, Zierikzee
    44: (51.50, 3.89),  # Goes
    45: (51.33, 3.83),  # Terneuzen, Zeeuws-Vlaanderen
    46: (51.50, 4.29),  # Bergen op Zoom
    47: (51.53, 4.46),  # Roosendaal
    48: (51.59, 4.78),  # Breda
    49: (51.64, 4.86),  # Oosterhout
    50: (51.56, 5.08),  # Tilburg
    51: (51.69, 5.06),  # Waalwijk, Dongen
    52: (51.69, 5.30),  # 's-Hertogenbosch
    53: (51.77, 5.45),  # Oss, Zaltbommel
    54: (51.64, 5.61),  # Uden, Veghel
    55: (51.39, 5.44),  # Veldhoven, Valkenswaard
    56: (51.44, 5.48),  # Eindhoven
    57: (51.48, 5.66),  # Helmond
    58: (51.53, 5.97),  # Venray, Boxmeer
    59: (51.37, 6.17),  # Venlo
    60: (51.22, 5.90),  # Weert, Roermond
    61: (51.00, 5.87),  # Sittard-Geleen
    62: (50.85, 5.69),  # Maastricht
    63: (50.87, 5.87),  # Valkenburg, Voerendaal
    64: (50.89, 6.01),  # Heerlen, Kerkrade
    65: (51.84, 5.86),  # Nijmegen
    66: (51.86, 5.72),  # Wijchen, Druten, Elst
    67: (52.03, 5.67),  # Ede, Wageningen
    68: (51.98, 5.91),  # Arnhem
    69: (51.93, 6.07),  # Zevenaar, Duiven
    70: (51.96, 6.29),  # Doetinchem
    71: (51.96, 6.70),  # Winterswijk, Aalten
    72: (52.14, 6.20),  # Zutphen, Lochem
    73: (52.21, 5.97),  # Apeldoorn
    74: (52.25, 6.16),  # Deventer
    75: (52.22, 6.89),  # Enschede, Hengelo
    76: (52.36, 6.66),  # Almelo
    77: (52.51, 6.50),  # Hardenberg, Ommen
    78: (52.78, 6.90),  # Emmen
    79: (52.72, 6.48),  # Hoogeveen, Meppel
    80: (52.51, 6.09),  # Zwolle
    81: (52.39, 6.27),  # Raalte
    82: (52.52, 5.47),  # Lelystad, Kampen
    83: (52.71, 5.75),  # Emmeloord, Steenwijk
    84: (52.96, 5.92),  # Heerenveen
    85: (52.90, 5.65),  # Joure, Lemmer
    86: (53.03, 5.66),  # Sneek
    87: (53.03, 5.46),  # Bolsward, Workum
    88: (53.18, 5.47),  # Franeker, Harlingen
    89: (53.20, 5.80),  # Leeuwarden
    90: (53.14, 5.90),  # Grou, Burgum
    91: (53.32, 6.00),  # Dokkum
    92: (53.11, 6.10),  # Drachten
    93: (53.15, 6.42),  # Roden, Leek
    94: (52.99, 6.56),  # Assen
    95: (52.99, 6.95),  # Stadskanaal
    96: (53.15, 6.77),  # Hoogezand, Veendam
    97: (53.22, 6.57),  # Groningen
    98: (53.30, 6.45),  # Zuidhorn, Winsum
    99: (53.32, 6.88),  # Delfzijl, Appingedam
}
"""Approximate (latitude, longitude) of each two-digit postcode region."""

_EARTH_RADIUS_KM = 6371.0


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_KM * math.asin(math.sqrt(h))


# Indexed by region number directly (0..99) so that a lookup is two list subscripts.
_REGION_KM: list[list[int]] = [[0] * 100 for _ in range(100)]
for _a, _ca in REGION_CENTROIDS.items():
    for _b, _cb in REGION_CENTROIDS.items():
        _REGION_KM[_a][_b] = round(_haversine_km(_ca, _cb))

_NEIGHBOURS: dict[int, tuple[list[int], list[int]]] = {}
for _a in REGION_CENTROIDS:
    _by_distance = sorted((_REGION_KM[_a][_b], _b) for _b in REGION_CENTROIDS)
    _NEIGHBOURS[_a] = ([d for d, _ in _by_distance], [b for _, b in _by_distance])


_AREA_REGION: dict[str, int] = {str(n): n // 100 for n in range(1000, 10000)}


def region_of(area: str) -> int:
    """The two-digit postcode region of a four-digit postcode area."""
    region = _AREA_REGION.get(area)
    if region is None:
        raise ValueError(f"not a Dutch four-digit postcode area: {area!r}")
    return region


def distance_km(a: str, b: str) -> int:
    """Coarse travel distance in km between two four-digit postcode areas."""
    if a == b:
        return 0
    ra, rb = region_of(a), region_of(b)
    if ra == rb:
        return SAME_REGION_KM
    return _REGION_KM[ra][rb]


def regions_within(region: int, km: float) -> list[tuple[int, int]]:
    """(region, km) of the regions within ``km`` of ``region``, nearest first (itself at 0)."""
    distances, regions = _NEIGHBOURS[region]
    n = bisect.bisect_right(distances, km)
    return list(zip(regions[:n], distances[:n], strict=True))
