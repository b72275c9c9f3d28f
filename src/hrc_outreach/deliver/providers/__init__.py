"""deliver/providers."""
