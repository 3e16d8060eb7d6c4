"""The schema revision this code reads, kept free of SQLAlchemy so the check path stays light."""

SCHEMA_HEAD = "0006site"
