"""The xAPI endpoint: a Learning Record Store inside Trellis."""
