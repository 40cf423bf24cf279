"""Notifications: derived from the closed loop's events and the calendar; inbox and deliveries."""
