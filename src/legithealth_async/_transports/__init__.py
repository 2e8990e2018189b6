"""The transports: one private interface, implemented once per way of sending."""
