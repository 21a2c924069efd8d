"""Municipalities of the demo province with their coordinates, and distances.

Offline by design: no geocoding service is called. A volunteer's base is the
centre of their municipality unless they give coordinates.
"""
import math

PROVINCE = "Bologna"

# Centre of each municipality (WGS84), from public gazetteer data.
MUNICIPALITIES = {
    "Bologna": (44.4949, 11.3426),
    "Casalecchio di Reno": (44.4756, 11.2751),
    "San Lazzaro di Savena": (44.4707, 11.4086),
    "Imola": (44.3533, 11.7141),
    "Castel Maggiore": (44.5772, 11.3593),
    "Zola Predosa": (44.4890, 11.2180),
    "Budrio": (44.5373, 11.5348),
    "Pianoro": (44.3880, 11.3420),
    "San Giovanni in Persiceto": (44.6400, 11.1847),
    "Medicina": (44.4780, 11.6380),
    "Castenaso": (44.5096, 11.4700),
    "Granarolo dell'Emilia": (44.5530, 11.4440),
    "Sasso Marconi": (44.3980, 11.2510),
    "Anzola dell'Emilia": (44.5470, 11.1950),
    "Calderara di Reno": (44.5650, 11.2720),
}


def coordinates(municipality):
    """(lat, lon) of a municipality of the province, or None if unknown."""
    if not municipality:
        return None
    for name, coords in MUNICIPALITIES.items():
        if name.lower() == municipality.strip().lower():
            return coords
    return None


def distance_km(a, b):
    """Great-circle distance in km between two (lat, lon) pairs; None if either is missing."""
    if not a or not b or None in a or None in b:
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 6371.0 * 2 * math.asin(math.sqrt(h))
