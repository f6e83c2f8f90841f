"""Local sample portals (one per publishing platform) for the tests, the demo and the benchmark."""
from .server import SamplePortals

__all__ = ["SamplePortals"]
