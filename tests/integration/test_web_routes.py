#!/usr/bin/python3
"""Integration test placeholder replaced below (web routes and browser sessions)."""
