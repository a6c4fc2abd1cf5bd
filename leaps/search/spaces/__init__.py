"""Search spaces (``space=`` in conf/space/): ``latent``, a stage-1 model's
program embedding space, and ``program``, programs themselves (the DSL
prior and subtree mutation). A new space is one module here with a
``@SPACES.register`` class, plus its ``conf/space/<name>.yaml``."""

from leaps.registry import Registry
from leaps.search.spaces.base import NEIGHBOURS, SAMPLES, VECTORS, SearchSpace, VectorSpace

SPACES: Registry[type[SearchSpace]] = Registry("space", __name__)

__all__ = ["NEIGHBOURS", "SAMPLES", "SPACES", "VECTORS", "SearchSpace", "VectorSpace"]
