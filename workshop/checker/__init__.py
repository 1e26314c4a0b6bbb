"""checker -- the workshop's exercise checker (run it as workshop/check)."""
