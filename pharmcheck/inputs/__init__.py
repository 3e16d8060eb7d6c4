"""Input: reading medication lists, parsing sig strings and resolving names."""
