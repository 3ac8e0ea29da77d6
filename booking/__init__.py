"""Guichet booking service: sites, counters, slots, appointments and their web interfaces."""
