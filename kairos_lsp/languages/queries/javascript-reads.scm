; A base class read by name (`class Admin extends User`), JavaScript's shape.
(class_heritage (identifier) @read.bare)
