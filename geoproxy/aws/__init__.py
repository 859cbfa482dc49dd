"""The imperative shell towards AWS: sessions and error translation, the readers, the one writer
(execute), the audit log, saved plan files.
"""
