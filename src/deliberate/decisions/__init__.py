"""Decisions: the committee's decision on a consultation, citing its published minutes,
answering "you said, we did", with implementation items the public can follow."""
