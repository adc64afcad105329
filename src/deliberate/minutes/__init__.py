"""Published minutes: PDF/A-3b with their JSON snapshot inside, signed (PAdES), verifiable.

``pdfa`` renders, ``signing`` signs, ``verify`` judges any uploaded file. Import the
submodules directly: they load WeasyPrint and pyHanko, which take a while.
"""
