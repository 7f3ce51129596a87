"""The Skeld: rooms, corridors, vents, shortest paths and drawing polygons.

Everything here is static data about the map, in the exact order the reference engine builds its
graph, because that order decides the order of legal MOVE and VENT actions and of room iteration
for location messages. The shortest-path tables are data too: the reference breaks ties between
equally short routes with its graph library's search order, and the tables record the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

ROOMS: Final[tuple[str, ...]] = (
    "Cafeteria",
    "Weapons",
    "Navigation",
    "O2",
    "Shields",
    "Communications",
    "Storage",
    "Admin",
    "Electrical",
    "Lower Engine",
    "Security",
    "Reactor",
    "Upper Engine",
    "Medbay",
)
ROOM_INDEX: Final[Mapping[str, int]] = MappingProxyType({room: i for i, room in enumerate(ROOMS)})
CAFETERIA: Final[str] = "Cafeteria"
SECURITY: Final[str] = "Security"

#: Corridor edges in definition order (undirected).
CORRIDORS: Final[tuple[tuple[str, str], ...]] = (
    ("Cafeteria", "Weapons"),
    ("Cafeteria", "Admin"),
    ("Cafeteria", "Upper Engine"),
    ("Cafeteria", "Medbay"),
    ("Weapons", "Navigation"),
    ("Weapons", "O2"),
    ("Navigation", "Shields"),
    ("O2", "Shields"),
    ("O2", "Admin"),
    ("Shields", "Communications"),
    ("Shields", "Storage"),
    ("Communications", "Storage"),
    ("Storage", "Admin"),
    ("Storage", "Electrical"),
    ("Storage", "Lower Engine"),
    ("Admin", "Electrical"),
    ("Electrical", "Lower Engine"),
    ("Lower Engine", "Security"),
    ("Lower Engine", "Reactor"),
    ("Lower Engine", "Upper Engine"),
    ("Security", "Reactor"),
    ("Security", "Upper Engine"),
    ("Reactor", "Upper Engine"),
    ("Upper Engine", "Medbay"),
    ("Medbay", "Cafeteria"),
)

#: Vent pairs as the map declares them. Six of them coincide with corridors, and in the reference
#: graph the corridor overwrites the vent, so only three vents really exist (see ``VENTS``).
DECLARED_VENTS: Final[tuple[tuple[str, str], ...]] = (
    ("Reactor", "Lower Engine"),
    ("Upper Engine", "Reactor"),
    ("Electrical", "Security"),
    ("Upper Engine", "Lower Engine"),
    ("Electrical", "Medbay"),
    ("Navigation", "Shields"),
    ("Medbay", "Security"),
    ("Navigation", "Weapons"),
    ("Admin", "Cafeteria"),
)


def _build_neighbours() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """Neighbour lists in the order each neighbour was first linked: declared vents, then corridors.

    A pair that is both a declared vent and a corridor ends up a corridor, keeping the position
    its vent declaration gave it.
    """
    first_linked: dict[str, list[str]] = {room: [] for room in ROOMS}
    for a, b in DECLARED_VENTS + CORRIDORS:
        if b not in first_linked[a]:
            first_linked[a].append(b)
            first_linked[b].append(a)
    corridor_pairs = {frozenset(pair) for pair in CORRIDORS}
    corridors = {
        room: tuple(n for n in linked if frozenset((room, n)) in corridor_pairs)
        for room, linked in first_linked.items()
    }
    vents = {
        room: tuple(n for n in linked if frozenset((room, n)) not in corridor_pairs)
        for room, linked in first_linked.items()
    }
    return corridors, vents


_corridors, _vents = _build_neighbours()
#: MOVE targets of each room, in legal-action order.
CORRIDOR_NEIGHBOURS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(_corridors)
#: VENT targets of each room, in legal-action order (only Electrical, Security and Medbay have any).
VENT_NEIGHBOURS: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(_vents)
#: The vent edges that exist in the reference rules: the Electrical-Security-Medbay triangle.
VENTS: Final[tuple[tuple[str, str], ...]] = tuple(
    pair for pair in DECLARED_VENTS if pair[1] in _vents[pair[0]]
)

# Shortest paths, written ``Source: Target[intermediate rooms]; ...`` ("direct" = adjacent).
# Crewmates walk weighted paths (vents cost 100, so they never vent); impostors count hops, vents
# included, and differ from crewmates only in the pairs listed in the second table.
_CREWMATE_PATHS = """\
Cafeteria: Weapons[direct]; Navigation[Weapons]; O2[Weapons]; Shields[Admin, O2]; Communications[Admin, Storage]; Storage[Admin]; Admin[direct]; Electrical[Admin]; Lower Engine[Upper Engine]; Security[Upper Engine]; Reactor[Upper Engine]; Upper Engine[direct]; Medbay[direct]
Weapons: Cafeteria[direct]; Navigation[direct]; O2[direct]; Shields[Navigation]; Communications[Navigation, Shields]; Storage[Navigation, Shields]; Admin[Cafeteria]; Electrical[Cafeteria, Admin]; Lower Engine[Cafeteria, Upper Engine]; Security[Cafeteria, Upper Engine]; Reactor[Cafeteria, Upper Engine]; Upper Engine[Cafeteria]; Medbay[Cafeteria]
Navigation: Cafeteria[Weapons]; Weapons[direct]; O2[Weapons]; Shields[direct]; Communications[Shields]; Storage[Shields]; Admin[Shields, O2]; Electrical[Shields, Storage]; Lower Engine[Shields, Storage]; Security[Shields, Storage, Lower Engine]; Reactor[Shields, Storage, Lower Engine]; Upper Engine[Weapons, Cafeteria]; Medbay[Weapons, Cafeteria]
O2: Cafeteria[Admin]; Weapons[direct]; Navigation[Shields]; Shields[direct]; Communications[Shields]; Storage[Shields]; Admin[direct]; Electrical[Admin]; Lower Engine[Shields, Storage]; Security[Shields, Storage, Lower Engine]; Reactor[Shields, Storage, Lower Engine]; Upper Engine[Weapons, Cafeteria]; Medbay[Weapons, Cafeteria]
Shields: Cafeteria[Navigation, Weapons]; Weapons[Navigation]; Navigation[direct]; O2[direct]; Communications[direct]; Storage[direct]; Admin[O2]; Electrical[Storage]; Lower Engine[Storage]; Security[Storage, Lower Engine]; Reactor[Storage, Lower Engine]; Upper Engine[Storage, Lower Engine]; Medbay[Navigation, Weapons, Cafeteria]
Communications: Cafeteria[Storage, Admin]; Weapons[Shields, Navigation]; Navigation[Shields]; O2[Shields]; Shields[direct]; Storage[direct]; Admin[Storage]; Electrical[Storage]; Lower Engine[Storage]; Security[Storage, Lower Engine]; Reactor[Storage, Lower Engine]; Upper Engine[Storage, Lower Engine]; Medbay[Storage, Admin, Cafeteria]
Storage: Cafeteria[Admin]; Weapons[Shields, Navigation]; Navigation[Shields]; O2[Shields]; Shields[direct]; Communications[direct]; Admin[direct]; Electrical[direct]; Lower Engine[direct]; Security[Lower Engine]; Reactor[Lower Engine]; Upper Engine[Lower Engine]; Medbay[Admin, Cafeteria]
Admin: Cafeteria[direct]; Weapons[Cafeteria]; Navigation[Cafeteria, Weapons]; O2[direct]; Shields[O2]; Communications[Storage]; Storage[direct]; Electrical[direct]; Lower Engine[Storage]; Security[Cafeteria, Upper Engine]; Reactor[Cafeteria, Upper Engine]; Upper Engine[Cafeteria]; Medbay[Cafeteria]
Electrical: Cafeteria[Admin]; Weapons[Admin, Cafeteria]; Navigation[Storage, Shields]; O2[Admin]; Shields[Storage]; Communications[Storage]; Storage[direct]; Admin[direct]; Lower Engine[direct]; Security[Lower Engine]; Reactor[Lower Engine]; Upper Engine[Lower Engine]; Medbay[Admin, Cafeteria]
Lower Engine: Cafeteria[Upper Engine]; Weapons[Upper Engine, Cafeteria]; Navigation[Storage, Shields]; O2[Storage, Shields]; Shields[Storage]; Communications[Storage]; Storage[direct]; Admin[Storage]; Electrical[direct]; Security[direct]; Reactor[direct]; Upper Engine[direct]; Medbay[Upper Engine]
Security: Cafeteria[Upper Engine]; Weapons[Upper Engine, Cafeteria]; Navigation[Lower Engine, Storage, Shields]; O2[Lower Engine, Storage, Shields]; Shields[Lower Engine, Storage]; Communications[Lower Engine, Storage]; Storage[Lower Engine]; Admin[Lower Engine, Storage]; Electrical[Lower Engine]; Lower Engine[direct]; Reactor[direct]; Upper Engine[direct]; Medbay[Upper Engine]
Reactor: Cafeteria[Upper Engine]; Weapons[Upper Engine, Cafeteria]; Navigation[Lower Engine, Storage, Shields]; O2[Upper Engine, Cafeteria, Weapons]; Shields[Lower Engine, Storage]; Communications[Lower Engine, Storage]; Storage[Lower Engine]; Admin[Lower Engine, Storage]; Electrical[Lower Engine]; Lower Engine[direct]; Security[direct]; Upper Engine[direct]; Medbay[Upper Engine]
Upper Engine: Cafeteria[direct]; Weapons[Cafeteria]; Navigation[Cafeteria, Weapons]; O2[Cafeteria, Weapons]; Shields[Lower Engine, Storage]; Communications[Lower Engine, Storage]; Storage[Lower Engine]; Admin[Cafeteria]; Electrical[Lower Engine]; Lower Engine[direct]; Security[direct]; Reactor[direct]; Medbay[direct]
Medbay: Cafeteria[direct]; Weapons[Cafeteria]; Navigation[Cafeteria, Weapons]; O2[Cafeteria, Admin]; Shields[Cafeteria, Weapons, Navigation]; Communications[Cafeteria, Admin, Storage]; Storage[Cafeteria, Admin]; Admin[Cafeteria]; Electrical[Cafeteria, Admin]; Lower Engine[Upper Engine]; Security[Upper Engine]; Reactor[Upper Engine]; Upper Engine[direct]
"""
_IMPOSTOR_PATH_OVERRIDES = """\
Cafeteria: Electrical[Medbay]; Security[Medbay]
Navigation: Security[Shields, Storage, Electrical]
O2: Security[Admin, Electrical]
Shields: Security[Storage, Electrical]; Medbay[Storage, Electrical]
Communications: Security[Storage, Electrical]; Medbay[Storage, Electrical]
Storage: Security[Electrical]; Medbay[Electrical]
Admin: Navigation[O2, Shields]; Security[Electrical]; Reactor[Storage, Lower Engine]; Medbay[Electrical]
Electrical: Security[direct]; Medbay[direct]
Lower Engine: Medbay[Electrical]
Security: Navigation[Electrical, Storage, Shields]; O2[Electrical, Admin]; Shields[Electrical, Storage]; Communications[Electrical, Storage]; Storage[Electrical]; Admin[Electrical]; Electrical[direct]; Medbay[direct]
Reactor: Electrical[Security]; Medbay[Security]
Upper Engine: Electrical[Security]
Medbay: O2[Cafeteria, Weapons]; Shields[Electrical, Storage]; Communications[Electrical, Storage]; Storage[Electrical]; Electrical[direct]; Security[direct]
"""


def _parse_paths(table: str) -> dict[tuple[str, str], tuple[str, ...]]:
    paths: dict[tuple[str, str], tuple[str, ...]] = {}
    for line in table.strip().splitlines():
        source, entries = line.split(": ", 1)
        for entry in entries.split("; "):
            target, via = entry.rstrip("]").split("[")
            middle = () if via == "direct" else tuple(via.split(", "))
            paths[(source, target)] = (source, *middle, target)
    return paths


_crewmate_paths = _parse_paths(_CREWMATE_PATHS)
_impostor_paths = {**_crewmate_paths, **_parse_paths(_IMPOSTOR_PATH_OVERRIDES)}
#: ``(source, target) -> rooms from source to target inclusive`` for crewmates.
CREWMATE_PATHS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = MappingProxyType(_crewmate_paths)
#: The same for impostors, who may cut through the vent triangle.
IMPOSTOR_PATHS: Final[Mapping[tuple[str, str], tuple[str, ...]]] = MappingProxyType(_impostor_paths)


def shortest_path(source: str, target: str, *, impostor: bool) -> tuple[str, ...]:
    """The reference route from ``source`` to ``target``, both ends included."""
    if source == target:
        return (source,)
    return (IMPOSTOR_PATHS if impostor else CREWMATE_PATHS)[(source, target)]


#: Room outlines on the 980 x 561 map picture, as (x, y) vertices. Drawing data only.
MAP_SIZE: Final[tuple[int, int]] = (980, 561)
ROOM_POLYGONS: Final[Mapping[str, tuple[tuple[int, int], ...]]] = MappingProxyType(
    {
        room: tuple(zip(flat[0::2], flat[1::2], strict=True))
        for room, flat in {
            "Cafeteria": (405, 50, 447, 7, 582, 7, 647, 70, 647, 195, 589, 250, 458, 250, 405, 198),
            "Weapons": (705, 107, 797, 107, 797, 163, 726, 163, 705, 147),
            "Navigation": (902, 214, 936, 214, 966, 238, 966, 268, 932, 298, 902, 298),
            "O2": (672, 212, 710, 212, 710, 262, 639, 262, 639, 240),
            "Shields": (719, 397, 796, 397, 796, 438, 756, 474, 719, 474),
            "Communications": (583, 481, 677, 481, 677, 526, 583, 526),
            "Storage": (433, 386, 463, 363, 546, 363, 546, 536, 475, 536, 433, 499),
            "Admin": (593, 304, 689, 304, 689, 365, 593, 365),
            "Electrical": (311, 326, 378, 326, 378, 412, 311, 412),
            "Lower Engine": (100, 367, 195, 367, 195, 460, 127, 460, 100, 442),
            "Security": (215, 229, 262, 229, 262, 315, 215, 315),
            "Reactor": (10, 225, 96, 225, 96, 311, 10, 311),
            "Upper Engine": (100, 108, 127, 90, 195, 90, 195, 170, 100, 170),
            "Medbay": (305, 181, 367, 181, 367, 270, 305, 270),
        }.items()
    }
)
#: Short labels the map picture uses for long room names.
ROOM_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        **{room: room for room in ROOMS},
        "Upper Engine": "Upper Eng.",
        "Lower Engine": "Lower Eng.",
        "Communications": "Comms",
        "Navigation": "Nav",
    }
)
