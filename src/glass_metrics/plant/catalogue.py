"""The simulated float-glass line: its sensors, their graph, and the six defect types.

Each sensor reads one latent process signal (``signal``): ``reading = base + scale * signal +
noise * N(0, 1)``, where the signal has unit variance. Sensors in the same redundancy
``group`` read the same signal (four crown thermocouples, three bottom thermocouples, ...),
which is what lets a fault hide from a per-sensor check and still show against neighbours.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from itertools import combinations

ZONES = ("batch_house", "melting_furnace", "refiner", "tin_bath", "annealing_lehr")
DEFECTS = ("bubbles", "stones", "cords", "tin_defects", "distortion", "cracks")


@dataclass(frozen=True)
class Sensor:
    """One instrument on the line: what a process engineer would see on the HMI."""

    name: str
    unit: str
    zone: str
    description: str
    signal: str
    base: float
    scale: float
    noise: float
    group: str = ""

    def manifest_entry(self) -> dict:
        """The sensor as written to ``manifest.json``."""
        entry = asdict(self)
        return {key: entry[key] for key in ("name", "unit", "zone", "description", "group")}


def _thermocouples(prefix: str, zone: str, where: str, bases, signal, scale, noise, group):
    return [
        Sensor(
            f"{prefix}_{i}",
            "degC",
            zone,
            f"{where} thermocouple {i}",
            signal,
            base,
            scale,
            noise,
            group,
        )
        for i, base in enumerate(bases, start=1)
    ]


SENSORS: tuple[Sensor, ...] = (
    Sensor(
        "batch_feed_rate",
        "t/h",
        "batch_house",
        "batch charged to the furnace",
        "pull",
        28.0,
        1.5,
        0.15,
        "charging",
    ),
    Sensor(
        "batch_charger_speed",
        "rpm",
        "batch_house",
        "screw charger speed",
        "pull",
        42.0,
        2.0,
        0.2,
        "charging",
    ),
    Sensor(
        "cullet_ratio", "%", "batch_house", "cullet share of the batch", "cullet", 25.0, 3.0, 0.3
    ),
    Sensor(
        "batch_moisture",
        "%",
        "batch_house",
        "moisture of the wetted batch",
        "moisture",
        3.0,
        0.4,
        0.04,
    ),
    *_thermocouples(
        "crown_temp",
        "melting_furnace",
        "crown",
        (1570.0, 1590.0, 1600.0, 1585.0),
        "crown",
        12.0,
        1.5,
        "crown",
    ),
    *_thermocouples(
        "bottom_temp",
        "melting_furnace",
        "furnace bottom",
        (1350.0, 1370.0, 1360.0),
        "bottom",
        8.0,
        1.0,
        "bottom",
    ),
    Sensor(
        "fuel_gas_flow",
        "Nm3/h",
        "melting_furnace",
        "natural gas to the burners",
        "fuel",
        2500.0,
        120.0,
        12.0,
        "firing",
    ),
    Sensor(
        "combustion_air_flow",
        "Nm3/h",
        "melting_furnace",
        "combustion air to the burners",
        "fuel",
        24500.0,
        1100.0,
        110.0,
        "firing",
    ),
    Sensor(
        "furnace_pressure",
        "Pa",
        "melting_furnace",
        "combustion chamber pressure",
        "fuel",
        10.0,
        2.0,
        0.2,
        "firing",
    ),
    Sensor(
        "flue_gas_o2",
        "%",
        "melting_furnace",
        "oxygen in the flue gas",
        "air_excess",
        2.0,
        0.4,
        0.04,
    ),
    Sensor(
        "glass_level",
        "mm",
        "melting_furnace",
        "melt level in the doghouse",
        "level",
        1000.0,
        1.5,
        0.15,
    ),
    *_thermocouples(
        "refiner_temp", "refiner", "refiner", (1400.0, 1380.0), "refiner", 8.0, 1.0, "refiner"
    ),
    Sensor(
        "working_end_temp",
        "degC",
        "refiner",
        "working end thermocouple",
        "refiner",
        1330.0,
        8.0,
        1.0,
        "refiner",
    ),
    Sensor(
        "bath_temp_entry",
        "degC",
        "tin_bath",
        "tin bath temperature at the spout",
        "bath",
        1050.0,
        6.0,
        0.8,
        "bath",
    ),
    Sensor(
        "bath_temp_mid",
        "degC",
        "tin_bath",
        "tin bath temperature, middle bays",
        "bath",
        900.0,
        6.0,
        0.8,
        "bath",
    ),
    Sensor(
        "bath_temp_exit",
        "degC",
        "tin_bath",
        "tin bath temperature at the lift-out",
        "bath",
        620.0,
        6.0,
        0.8,
        "bath",
    ),
    Sensor("bath_h2", "%", "tin_bath", "hydrogen in the bath atmosphere", "h2", 8.0, 0.8, 0.08),
    Sensor(
        "bath_o2", "ppm", "tin_bath", "oxygen in the bath atmosphere", "bath_o2", 5.0, 1.2, 0.12
    ),
    *_thermocouples(
        "lehr_temp",
        "annealing_lehr",
        "lehr zone",
        (580.0, 520.0, 450.0, 300.0),
        "lehr",
        5.0,
        0.6,
        "lehr",
    ),
    Sensor(
        "ribbon_speed",
        "m/min",
        "annealing_lehr",
        "ribbon speed at the lift-out",
        "speed",
        15.0,
        0.4,
        0.04,
        "speed",
    ),
    Sensor(
        "lehr_roll_speed",
        "m/min",
        "annealing_lehr",
        "lehr roller line speed",
        "speed",
        15.1,
        0.4,
        0.04,
        "speed",
    ),
)
SENSOR_NAMES = tuple(sensor.name for sensor in SENSORS)

# Along the flow of material and heat: batch -> melter -> refiner -> bath -> lehr.
PROCESS_EDGES = (
    ("batch_feed_rate", "glass_level"),
    ("batch_charger_speed", "glass_level"),
    ("cullet_ratio", "crown_temp_1"),
    ("batch_moisture", "crown_temp_1"),
    ("fuel_gas_flow", "crown_temp_2"),
    ("combustion_air_flow", "flue_gas_o2"),
    ("furnace_pressure", "flue_gas_o2"),
    ("crown_temp_1", "bottom_temp_1"),
    ("crown_temp_2", "bottom_temp_2"),
    ("crown_temp_3", "bottom_temp_3"),
    ("crown_temp_4", "working_end_temp"),
    ("bottom_temp_3", "working_end_temp"),
    ("working_end_temp", "refiner_temp_1"),
    ("refiner_temp_2", "bath_temp_entry"),
    ("bath_h2", "bath_o2"),
    ("bath_o2", "bath_temp_mid"),
    ("bath_temp_exit", "lehr_temp_1"),
    ("glass_level", "ribbon_speed"),
    ("lehr_temp_4", "lehr_roll_speed"),
)


def neighbour_edges() -> list[tuple[str, str]]:
    """Pairs of sensors that sit side by side and read the same process quantity."""
    groups: dict[str, list[str]] = {}
    for sensor in SENSORS:
        if sensor.group:
            groups.setdefault(sensor.group, []).append(sensor.name)
    return [pair for members in groups.values() for pair in combinations(members, 2)]


def graph_edges() -> list[list[str]]:
    """Every edge as ``[a, b, kind]`` with kind ``"process"`` or ``"neighbour"``."""
    process = [[a, b, "process"] for a, b in PROCESS_EDGES]
    return process + [[a, b, "neighbour"] for a, b in neighbour_edges()]


def redundant_sensors() -> list[str]:
    """Sensors with at least one neighbour reading the same quantity; faults are injected here."""
    return sorted({name for pair in neighbour_edges() for name in pair}, key=SENSOR_NAMES.index)
