"""Reading sources into canonical tables: files (:mod:`.files`), header aliases
(:mod:`.aliases`) and cell readers (:mod:`.parsing`)."""
