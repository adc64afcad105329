"""Hearings: a draft open for comment, the committee's responses, speakers by lot, the record."""
