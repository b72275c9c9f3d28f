"""Campaigns launched by hand (issue 14): campaign files, validation, rendering and sending of
their steps, each step dated from the campaign's reference day."""
