"""hrc-outreach: newsletter and outreach automation for the Human Rights Cities Network."""

__version__ = "0.1.0"
