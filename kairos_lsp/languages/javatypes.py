"""What the Java platform, its build tools and Lombok bring to a class of the workspace: the
methods every object has, those of the interfaces a class most often implements whose methods
are few, where Maven and Gradle keep sources, and the annotations that write constructors.

>>> "hashCode" in OBJECT_METHODS, FEW_METHODS["Serializable"]
(True, frozenset())
>>> SOURCE_ROOT.search("lib/src/test/java/com/ex/T.java").group()
'/src/test/java'

"""

from __future__ import annotations

import re

# Where Maven and Gradle keep a source set's Java packages: `src/main/java`, `src/test/java`,
# `src/androidTest/java` (the match ends at the root's last folder).
SOURCE_ROOT = re.compile(r"(?:^|/)src/[\w-]+/java(?=/)")

# java.lang.Object's, and every enum's (java.lang.Enum's, and the two its compiler writes:
# `values()`, `valueOf(String)`)
OBJECT_METHODS = frozenset(
    "equals hashCode toString getClass clone finalize notify notifyAll wait "
    "name ordinal compareTo getDeclaringClass describeConstable values valueOf".split()
)

# Platform interfaces by simple name, and the methods each declares (with its own bases'): a
# class implementing one gets no other method from it.
FEW_METHODS: dict[str, frozenset[str]] = {
    name: frozenset(methods.split())
    for name, methods in {
        "Serializable": "",
        "Cloneable": "",
        "RandomAccess": "",
        "EventListener": "",
        "Runnable": "run",
        "AutoCloseable": "close",
        "Closeable": "close",
        "Flushable": "flush",
        "Comparable": "compareTo",
        "Iterable": "iterator forEach spliterator",
        "Callable": "call",
        "Supplier": "get",
    }.items()
}

# Class annotations that write constructors the source does not have (Lombok's).
MAKES_CONSTRUCTORS = frozenset(
    "AllArgsConstructor NoArgsConstructor RequiredArgsConstructor Data Value Builder SuperBuilder".split()
)
