"""Template filters of the capture pages."""
