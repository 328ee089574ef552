"""Personal data: per-student data keys, sealed fields, subject access, retention."""
