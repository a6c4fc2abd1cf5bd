"""Search methods (``searcher=`` in conf/searcher/; ``METHODS.names()`` lists
them). A method works in every space that provides what it
``needs``. A new method is one module here with a ``@METHODS.register``
dataclass, plus its ``conf/searcher/<name>.yaml``."""

from leaps.registry import Registry
from leaps.search.methods.base import SearchMethod, Step

METHODS: Registry[type[SearchMethod]] = Registry("searcher", __name__)

__all__ = ["METHODS", "SearchMethod", "Step"]
