"""Social publishing: an approved edition's posts handed to the platforms, never twice.

``publishing`` strings it together over the publishing ledger (``ledger``); one module per
platform behind the small :class:`~hrc_outreach.social.base.Publisher` protocol, each taking an
httpx client and a base URL (``mastodon``, ``bluesky``, ``facebook``, ``instagram``,
``linkedin``); ``export`` writes the bundle a person schedules by hand; ``length`` counts as each
platform counts; ``accounts`` reads the accounts and tokens from the environment and secrets.
"""
