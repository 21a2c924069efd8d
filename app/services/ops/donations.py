"""Handlers: donation.post, donation.edit, donation.cancel, donation.reassign (issue 3)."""
