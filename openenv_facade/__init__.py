"""FastAPI server exposing the Among Us environment via OpenEnv."""
