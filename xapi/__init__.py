"""Trellis xAPI protocol: validation, vocabulary, storage rules, LRS client and export."""
