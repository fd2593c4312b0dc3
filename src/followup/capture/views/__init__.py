"""The pages, one module per part of a REDCap user's day (``urls.py`` says where each lives)."""
