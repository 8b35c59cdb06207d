"""Local development: `make run`. DEBUG on, a fixed throwaway key, mail kept in var/."""

from .base import *

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = SECRET_KEY or "dev-only-insecure-key-never-use-in-production"
