"""Presentation: pages, maps and exports of analysis results. Nothing here computes an analysis."""
