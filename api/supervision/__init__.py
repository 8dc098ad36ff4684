"""Supervision (电子监察): usage records of verifications, their statistics, feedback, and the dashboard."""
